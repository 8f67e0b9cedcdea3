import path from 'node:path';
import type { Command } from 'commander';
import { loadScenario, ScenarioError } from '../../scenario/load.ts';
import { runAndReport } from '../../run/run-and-report.ts';
import type { LinkBackendChoice } from '../../run/run-link.ts';
import { isSuiteFile } from '../../suite/load.ts';
import { type CliContext, ExitCode, type GlobalOptions, badInputReporter, parseSeedFlag } from '../context.ts';
import { ensureWritableFolder, OutputPathError } from '../output-path.ts';
import { progressPrinter, withInterrupt } from '../run-session.ts';
import { runSuiteFile } from '../suite-run.ts';

interface RunCommandOptions {
  runs: string;
  seed?: string;
  linkBackend?: string;
  filter?: string;
  allowPath: string[];
}

/** What `glasslab run` hands to a single run or a suite, checked. */
export interface RunSettings {
  /** folder that receives run (or suite) folders, absolute */
  runsRoot: string;
  seed?: number;
  linkBackend?: LinkBackendChoice;
  json: boolean;
  /** --allow-path folders: files a scenario names may also lie there (lab/scenario/scenario-files.ts) */
  allowPaths: string[];
}

const LINK_BACKENDS = ['userspace', 'netem', 'auto'] as const;

/**
 * Registers `glasslab run <scenario|suite>`. A scenario: runs it, writes the run folder (records,
 * results.json, report.html, junit.xml with budgets) and exits 0 (met), 1 (a budget broken),
 * 2 (bad input), 3 (the run failed or was interrupted). A suite (a file with a top-level `suite:`
 * key): see lab/cli/suite-run.ts.
 */
export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run a scenario or a suite and write its run folder(s) and report')
    .argument('<file>', 'scenario or suite file (YAML; a suite has a top-level "suite:" key)')
    .option('--runs <dir>', 'folder that receives run folders (and suite folders)', 'runs')
    .option('--seed <n>', 'seed for a scenario that names none (a suite: the same seed for each run)')
    .option('--link-backend <name>', 'link emulator: userspace | netem | auto (overrides the scenario\'s link.backend)')
    .option('--filter <glob>', 'suites: run only the runs whose name matches (* any characters, ? one)')
    .option(
      '--allow-path <dir>',
      "also let the scenario read files under this folder (repeatable; default: only the scenario's folder and the repository's scenarios/ and data/)",
      (dir: string, dirs: string[]) => [...dirs, dir],
      [],
    )
    .action(async (file: string, options: RunCommandOptions, command: Command) => {
      const { json } = command.optsWithGlobals<GlobalOptions>();
      const { io } = context;
      const badInput = badInputReporter(context);
      const seedFlag = parseSeedFlag(options.seed);
      if ('error' in seedFlag) return badInput(seedFlag.error);
      const { seed } = seedFlag;
      const linkBackend = LINK_BACKENDS.find((name) => name === options.linkBackend);
      if (options.linkBackend !== undefined && linkBackend === undefined) {
        return badInput(`--link-backend: expected one of ${LINK_BACKENDS.join(', ')} (got "${options.linkBackend}")`);
      }
      let runsRoot: string;
      try {
        runsRoot = ensureWritableFolder('--runs', options.runs);
      } catch (error) {
        if (error instanceof OutputPathError) return badInput(error.message);
        throw error;
      }
      const settings: RunSettings = {
        runsRoot,
        json: json === true,
        allowPaths: options.allowPath.map((dir) => path.resolve(dir)),
        ...(seed !== undefined ? { seed } : {}),
        ...(linkBackend ? { linkBackend } : {}),
      };
      if (await isSuiteFile(file)) {
        context.exitCode = await runSuiteFile(file, settings, options.filter, io);
        return;
      }
      if (options.filter !== undefined) return badInput(`--filter applies to suites only; ${file} is a scenario (no top-level "suite:" key)`);
      context.exitCode = await runSingle(file, settings, context);
    });
}

/** One scenario: run, analyse, print the summary; returns the exit code. */
async function runSingle(file: string, settings: RunSettings, context: CliContext): Promise<CliContext['exitCode']> {
  const { io } = context;
  const { json } = settings;
  let scenario;
  try {
    scenario = await loadScenario(file, settings.seed, { allowPaths: settings.allowPaths });
  } catch (error) {
    if (error instanceof ScenarioError) {
      io.stderr(`glasslab: invalid scenario\n${error.message}\n`);
      return ExitCode.badInput;
    }
    throw error;
  }
  const progress = progressPrinter(io, { json, label: scenario.name, tty: !json && process.stderr.isTTY === true });
  const { outcome, results, reportPath, budgetsBroken } = await withInterrupt((signal) =>
    runAndReport(scenario, {
      runsRoot: settings.runsRoot,
      signal,
      ...(settings.linkBackend ? { linkBackend: settings.linkBackend } : {}),
      onPhase: progress.onPhase,
      onProgress: progress.onProgress,
    }),
  );
  progress.finish();
  const summary = {
    runDir: outcome.runDir,
    state: outcome.status.state,
    ...(outcome.status.message ? { message: outcome.status.message } : {}),
    report: reportPath,
    budgetsBroken: budgetsBroken.length,
    g2gP50Ms: results.summary.g2g.p50 ?? null,
    g2gP95Ms: results.summary.g2g.p95 ?? null,
    framesSent: results.summary.frames.sent,
    framesDisplayed: results.summary.frames.displayed,
    g2gFrames: results.summary.frames.g2gFrames ?? null,
    warnings: results.warnings ?? [],
  };
  if (json) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    if (outcome.status.state !== 'completed') io.stderr(`[run] ${outcome.status.state}: ${outcome.status.message ?? ''}\n`);
    const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} ms`);
    const over = summary.g2gFrames === null ? '' : ` over ${summary.g2gFrames} frames`;
    io.stdout(`${scenario.name}: ${summary.framesDisplayed}/${summary.framesSent} frames displayed; g2g${over} p50 ${ms(summary.g2gP50Ms)}, p95 ${ms(summary.g2gP95Ms)}\n`);
    for (const w of summary.warnings) io.stdout(`  WARNING ${w.code}: ${w.message}\n`);
    for (const b of results.budgets) io.stdout(`  ${b.pass ? 'PASS' : 'FAIL'} ${b.expression}: ${b.message}\n`);
    io.stdout(`report: ${summary.report}\n`);
  }
  return outcome.status.state !== 'completed' ? ExitCode.failed : budgetsBroken.length > 0 ? ExitCode.budgetBroken : ExitCode.ok;
}
