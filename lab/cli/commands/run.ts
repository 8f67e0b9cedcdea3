import path from 'node:path';
import type { Command } from 'commander';
import { loadScenario, ScenarioError } from '../../scenario/load.ts';
import { runScenario, type RunProgress } from '../../run/orchestrator.ts';
import { buildReport } from '../../report/build.ts';
import { type CliContext, ExitCode, type GlobalOptions } from '../context.ts';

interface RunCommandOptions {
  runs: string;
  seed?: string;
  linkBackend?: string;
}

const LINK_BACKENDS = ['userspace', 'netem', 'auto'] as const;

function formatProgress(p: RunProgress): string {
  const g2g = p.receiver.g2gP50Ms !== undefined ? `${p.receiver.g2gP50Ms.toFixed(1)} ms` : '-';
  return `${(p.elapsedMs / 1000).toFixed(1)}/${(p.durationMs / 1000).toFixed(1)} s  sent ${p.sender.framesSent ?? 0}  received ${p.receiver.framesReceived ?? 0}  displayed ${p.receiver.framesDisplayed ?? 0}  g2g p50 ${g2g}`;
}

/**
 * Registers `glasslab run <scenario>`: runs it, writes the run folder (records, results.json,
 * report.html, junit.xml with budgets) and exits 0 (met), 1 (a budget broken), 2 (bad input),
 * 3 (the run failed or was interrupted).
 */
export function registerRunCommand(program: Command, context: CliContext): void {
  program
    .command('run')
    .description('run a scenario and write its run folder and report')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--runs <dir>', 'folder that receives run folders', 'runs')
    .option('--seed <n>', 'seed for a scenario that names none')
    .option('--link-backend <name>', 'link emulator: userspace | netem | auto (overrides the scenario\'s link.backend)')
    .action(async (scenarioFile: string, options: RunCommandOptions, command: Command) => {
      const { json } = command.optsWithGlobals<GlobalOptions>();
      const { io } = context;
      let seed: number | undefined;
      if (options.seed !== undefined) {
        seed = Number(options.seed);
        if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
          io.stderr(`glasslab: --seed: expected an integer 0..4294967295 (got "${options.seed}")\n`);
          context.exitCode = ExitCode.badInput;
          return;
        }
      }
      const linkBackend = LINK_BACKENDS.find((name) => name === options.linkBackend);
      if (options.linkBackend !== undefined && linkBackend === undefined) {
        io.stderr(`glasslab: --link-backend: expected one of ${LINK_BACKENDS.join(', ')} (got "${options.linkBackend}")\n`);
        context.exitCode = ExitCode.badInput;
        return;
      }
      let scenario;
      try {
        scenario = await loadScenario(scenarioFile, seed);
      } catch (error) {
        if (error instanceof ScenarioError) {
          io.stderr(`glasslab: invalid scenario\n${error.message}\n`);
          context.exitCode = ExitCode.badInput;
          return;
        }
        throw error;
      }

      const tty = !json && process.stderr.isTTY === true;
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      // `on`, not `once`: execa's signal-exit re-raises a signal that no other listener holds,
      // which would kill this process before the run tears its network down
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let lastLine = 0;
      try {
        const outcome = await runScenario(scenario, {
          runsRoot: path.resolve(options.runs),
          signal: abort.signal,
          ...(linkBackend ? { linkBackend } : {}),
          onPhase: (phase) => {
            if (!json) io.stderr(`${tty ? '\r\x1b[2K' : ''}[run] ${scenario.name}: ${phase}\n`);
          },
          onProgress: (p) => {
            if (json) return;
            if (tty) io.stderr(`\r\x1b[2K[run] ${formatProgress(p)}`);
            else if (p.elapsedMs - lastLine >= 5000) {
              lastLine = p.elapsedMs;
              io.stderr(`[run] ${formatProgress(p)}\n`);
            }
          },
        });
        if (tty) io.stderr('\n');
        const { results, reportPath } = await buildReport(outcome.runDir);
        const budgetsBroken = results.budgets.filter((b) => !b.pass);
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
        };
        if (json) io.stdout(`${JSON.stringify(summary)}\n`);
        else {
          if (outcome.status.state !== 'completed') io.stderr(`[run] ${outcome.status.state}: ${outcome.status.message ?? ''}\n`);
          const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)} ms`);
          io.stdout(`${scenario.name}: ${summary.framesDisplayed}/${summary.framesSent} frames displayed; g2g p50 ${ms(summary.g2gP50Ms)}, p95 ${ms(summary.g2gP95Ms)}\n`);
          for (const b of results.budgets) io.stdout(`  ${b.pass ? 'PASS' : 'FAIL'} ${b.expression}: ${b.message}\n`);
          io.stdout(`report: ${summary.report}\n`);
        }
        context.exitCode =
          outcome.status.state !== 'completed' ? ExitCode.failed : budgetsBroken.length > 0 ? ExitCode.budgetBroken : ExitCode.ok;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
