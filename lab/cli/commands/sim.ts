/**
 * `glasslab sim <scenario|suite>`: runs a scenario (or each run of a suite) in virtual time
 * through the lab's own send and receive pipelines and the native link model, with frame sizes
 * from `--trace` (a real run's sender.ndjson or run folder) or the rate model, and writes the
 * same run folder, results.json and report.html as `glasslab run`, marked as simulated. Needs no
 * root, GPU, encoder or network. Exit codes as `glasslab run`.
 * Given a real run's folder instead, replays it (its frame sizes and link fate log, lab/sim/replay.ts)
 * and prints how each dropped media packet's outcome compares: exit 0 when all agree, 1 otherwise.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { replayRun } from '../../sim/replay.ts';
import { RunFolderError } from '../../report/load-run.ts';
import { loadScenario, ScenarioError } from '../../scenario/load.ts';
import type { ResolvedScenario } from '../../scenario/schema.ts';
import { isSuiteFile } from '../../suite/load.ts';
import { runSimulation, type SimOptions } from '../../sim/run-sim.ts';
import { loadFrameTrace, TraceError } from '../../sim/trace.ts';
import { type CliContext, ExitCode, type GlobalOptions, badInputReporter, parseSeedFlag } from '../context.ts';
import { ensureWritableFolder, OutputPathError } from '../output-path.ts';
import { runSuiteFile } from '../suite-run.ts';
import type { RunSettings } from './run.ts';

interface SimCommandOptions {
  runs: string;
  seed?: string;
  trace?: string;
  keyframes: string;
  decodeMs: string;
  filter?: string;
  allowPath: string[];
}

const KEYFRAME_MODES = ['trace', 'on-request'] as const;

export function registerSimCommand(program: Command, context: CliContext): void {
  program
    .command('sim')
    .description('simulate a scenario or a suite in virtual time (no root, GPU or encoder) and write its run folder(s) and report')
    .argument('<file>', 'scenario or suite file (YAML; a suite has a top-level "suite:" key), or a real run\'s folder to replay and cross-check')
    .option('--runs <dir>', 'folder that receives run folders (and suite folders)', 'runs')
    .option('--seed <n>', 'seed for a scenario that names none (a suite: the same seed for each run)')
    .option('--trace <file>', "frame sizes and keyframes from a real run: its sender.ndjson or its run folder (default: a rate model from the scenario's encoder)")
    .option('--keyframes <mode>', 'with --trace: "on-request" (a keyframe request makes the next frame a keyframe) or "trace" (keyframes exactly as recorded)', 'on-request')
    .option('--decode-ms <ms>', 'time one decode takes in the simulation, ms', '2')
    .option('--filter <glob>', 'suites: simulate only the runs whose name matches (* any characters, ? one)')
    .option('--allow-path <dir>', "also let the scenario read files under this folder (repeatable)", (dir: string, dirs: string[]) => [...dirs, dir], [])
    .action(async (file: string, options: SimCommandOptions, command: Command) => {
      const { json } = command.optsWithGlobals<GlobalOptions>();
      const { io } = context;
      const badInput = badInputReporter(context);
      const seedFlag = parseSeedFlag(options.seed);
      if ('error' in seedFlag) return badInput(seedFlag.error);
      const { seed } = seedFlag;
      const keyframes = KEYFRAME_MODES.find((mode) => mode === options.keyframes);
      if (keyframes === undefined) return badInput(`--keyframes: expected one of ${KEYFRAME_MODES.join(', ')} (got "${options.keyframes}")`);
      const decodeMs = Number(options.decodeMs);
      if (!Number.isFinite(decodeMs) || decodeMs < 0 || decodeMs > 1000) return badInput(`--decode-ms: expected a number of ms 0..1000 (got "${options.decodeMs}")`);
      let runsRoot: string;
      try {
        runsRoot = ensureWritableFolder('--runs', options.runs);
      } catch (error) {
        if (error instanceof OutputPathError) return badInput(error.message);
        throw error;
      }
      const sim: Omit<SimOptions, 'runsRoot'> = { decodeMs };
      if (options.trace !== undefined) {
        try {
          const trace = await loadFrameTrace(options.trace);
          sim.trace = { ...trace, keyframes };
        } catch (error) {
          if (error instanceof TraceError) return badInput(error.message);
          throw error;
        }
      }
      if (isDirectory(file)) {
        if (!existsSync(path.join(file, 'link.ndjson'))) return badInput(`${file}: a folder, but not a run folder with a link fate log (link.ndjson) to replay`);
        context.exitCode = await replayCommand(file, runsRoot, json === true, context);
        return;
      }
      const settings: RunSettings = {
        runsRoot, json: json === true, allowPaths: options.allowPath.map((dir) => path.resolve(dir)), ...(seed !== undefined ? { seed } : {}),
      };
      if (await isSuiteFile(file)) {
        context.exitCode = await runSuiteFile(file, settings, options.filter, io, async (scenario, root) => {
          const run = await runSimulation(scenario, { ...sim, runsRoot: root });
          const state = run.status.state === 'running' ? 'failed' : run.status.state;
          return { runDir: run.runDir, state, ...(run.status.message ? { message: run.status.message } : {}), results: run.results };
        }, (scenario) => Promise.resolve(simulationUnavailable(scenario)));
        return;
      }
      if (options.filter !== undefined) return badInput(`--filter applies to suites only; ${file} is a scenario (no top-level "suite:" key)`);
      let scenario;
      try {
        scenario = await loadScenario(file, settings.seed, { allowPaths: settings.allowPaths });
      } catch (error) {
        if (error instanceof ScenarioError) return badInput(`invalid scenario\n${error.message}`);
        throw error;
      }
      const notSimulated = simulationUnavailable(scenario);
      if (notSimulated !== undefined) return badInput(`${file}: ${notSimulated}`);
      const run = await runSimulation(scenario, { ...sim, runsRoot });
      const s = run.results.summary;
      const summary = {
        runDir: run.runDir, state: run.status.state, ...(run.status.message ? { message: run.status.message } : {}), report: run.reportPath,
        simulated: true, speedup: run.simulation.speedup, budgetsBroken: run.budgetsBroken.length,
        g2gP50Ms: s.g2g.p50 ?? null, g2gP95Ms: s.g2g.p95 ?? null, framesSent: s.frames.sent, framesDisplayed: s.frames.displayed,
        residualLoss: run.results.recovery?.residualLoss ?? null,
      };
      if (json) io.stdout(`${JSON.stringify(summary)}\n`);
      else {
        if (run.status.state !== 'completed') io.stderr(`[sim] ${run.status.state}: ${run.status.message ?? ''}\n`);
        const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} ms`);
        io.stdout(`${scenario.name} (simulated, ${run.simulation.speedup.toFixed(0)}× real time): ${summary.framesDisplayed}/${summary.framesSent} frames displayed; g2g p50 ${ms(summary.g2gP50Ms)}, p95 ${ms(summary.g2gP95Ms)}\n`);
        for (const b of run.results.budgets) io.stdout(`  ${b.pass ? 'PASS' : 'FAIL'} ${b.expression}: ${b.message}\n`);
        io.stdout(`report: ${run.reportPath}\n`);
      }
      context.exitCode = run.status.state !== 'completed' ? ExitCode.failed : run.budgetsBroken.length > 0 ? ExitCode.budgetBroken : ExitCode.ok;
    });
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** `glasslab sim <run-folder>`: replays a real run and prints the packet-by-packet comparison. */
async function replayCommand(runDir: string, runsRoot: string, json: boolean, context: CliContext): Promise<CliContext['exitCode']> {
  const { io } = context;
  let r;
  try {
    r = await replayRun(runDir, runsRoot);
  } catch (error) {
    if (error instanceof RunFolderError || error instanceof TraceError) {
      io.stderr(`glasslab: ${error.message}\n`);
      return ExitCode.badInput;
    }
    throw error;
  }
  const dropped = Object.values(r.real).reduce((a, b) => a + b, 0);
  const summary = {
    replayDir: r.replay.runDir, report: r.replay.reportPath, dropped, agree: r.agree, differences: r.differences, real: r.real, replayed: r.replayed,
    packetCountMismatches: r.packetCountMismatches, link: r.link, speedup: r.replay.simulation.speedup,
  };
  if (json) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    const counts = (c: Record<string, number>): string => `fec ${c.fec}, rtx ${c.rtx}, too late ${c.tooLate}, never ${c.never}`;
    io.stdout(`replay of ${runDir}: ${r.agree} of ${r.agree + r.differences.length} dropped media packets classified alike\n`);
    io.stdout(`  real:   ${counts(r.real)}\n  replay: ${counts(r.replayed)}\n`);
    for (const d of r.differences) io.stdout(`  seq ${d.seq}: real ${d.real}, replay ${d.replay}\n`);
    if (r.packetCountMismatches > 0) io.stdout(`  ${r.packetCountMismatches} frames packetized into a different number of packets\n`);
    io.stdout(`  link up: ${r.link.up.matched} packets met their recorded fate, ${r.link.up.unmatched} had none (sent unharmed), ${r.link.up.rtcp} RTCP\n`);
    io.stdout(`report: ${r.replay.reportPath}\n`);
  }
  return r.differences.length === 0 ? ExitCode.ok : ExitCode.budgetBroken;
}

/** Why a scenario cannot be simulated, or undefined: the simulator models the lab's own peers only. */
export function simulationUnavailable(scenario: ResolvedScenario): string | undefined {
  const peers = [scenario.sender?.kind === 'chromium' ? 'sender' : undefined, scenario.receiver?.kind === 'chromium' ? 'receiver' : undefined].filter((p) => p !== undefined);
  if (peers.length === 0) return undefined;
  return `glasslab sim models the lab's own sender and receiver; a Chromium ${peers.join(' and ')} runs only in a real run (glasslab run)`;
}
