/**
 * `glasslab run <suite.yaml>`: loads and validates the whole suite first (exit 2 on any invalid
 * expanded scenario), then runs the selected runs one after another through the same
 * runAndReport as a single run, into `<runs>/<YYYYMMDD-HHMMSS>-<suite>/`. One line per finished
 * run on stderr; suite.json and suite.html rewritten after each. Ctrl-C stops the current run
 * (torn down as usual) and skips the rest.
 * Exit codes: 0 every run completed and met its budgets, 1 otherwise (a run failed, broke a
 * budget, or the suite was interrupted), 2 bad input.
 */
import type { ResolvedScenario } from '../scenario/schema.ts';
import { RunAnalysisError, runAndReport } from '../run/run-and-report.ts';
import { senderAvailability } from '../suite/availability.ts';
import { filterRuns, loadSuite, SuiteError } from '../suite/load.ts';
import { runSuite, suitePassed, type SuiteRunResult } from '../suite/runner.ts';
import type { SuiteRunEntry } from '../suite/suite-json.ts';
import { formatMs, formatPercent } from '../report/format.ts';
import type { RunSettings } from './commands/run.ts';
import { type CliIo, ExitCode } from './context.ts';
import { progressPrinter, withInterrupt } from './run-session.ts';

/** One line about a finished run. */
export function formatRunLine(index: number, total: number, entry: SuiteRunEntry): string {
  const r = entry.results;
  const parts = [`[suite] ${index + 1}/${total} ${entry.name}: ${entry.outcome}`];
  if (r !== null) {
    parts.push(`${r.framesDisplayed}/${r.framesSent} displayed`, `g2g p95 ${formatMs(r.g2gP95Ms)}`);
    if (r.recovery !== null) parts.push(`dropped ${r.recovery.dropped}, residual ${formatPercent(r.recovery.residualLoss)}`);
    if (r.budgetsBroken.length > 0) parts.push(`broke ${r.budgetsBroken.join('; ')}`);
  }
  if (entry.message !== undefined && entry.outcome !== 'completed') parts.push(entry.message);
  if (entry.wallMs !== null) parts.push(`${(entry.wallMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

/** One run of a suite, without its progress display: the real run (default) or a simulation (`glasslab sim`). */
export type SuiteRunOne = (scenario: ResolvedScenario, runsRoot: string, signal: AbortSignal | undefined, progress: ReturnType<typeof progressPrinter>) => Promise<SuiteRunResult>;

/** The real run of one suite entry: runAndReport, as a single run. */
function realRunOne(settings: RunSettings): SuiteRunOne {
  return async (scenario, runsRoot, runSignal, progress) => {
    try {
      const run = await runAndReport(scenario, {
        runsRoot,
        ...(runSignal ? { signal: runSignal } : {}),
        ...(settings.linkBackend ? { linkBackend: settings.linkBackend } : {}),
        onPhase: progress.onPhase,
        onProgress: progress.onProgress,
      });
      const { state, message } = run.outcome.status;
      return { runDir: run.outcome.runDir, state: state === 'running' ? 'failed' : state, ...(message ? { message } : {}), results: run.results };
    } catch (error) {
      if (error instanceof RunAnalysisError) return { runDir: error.outcome.runDir, state: 'failed', message: error.message, results: null };
      throw error;
    }
  };
}

/**
 * Runs a suite file (each run through `runOne`, default the real run); returns the exit code.
 * `unavailable` says which configurations this machine cannot run (listed as skipped with the
 * reason); default for the real run: the native addon's capture-path and encoder probes.
 */
export async function runSuiteFile(
  file: string,
  settings: RunSettings,
  filter: string | undefined,
  io: CliIo,
  runOne?: SuiteRunOne,
  unavailable: ((scenario: ResolvedScenario) => Promise<string | undefined>) | undefined = runOne === undefined ? senderAvailability() : undefined,
): Promise<ExitCode> {
  const runEach = runOne ?? realRunOne(settings);
  const { json } = settings;
  let suite;
  try {
    suite = await loadSuite(file, settings.seed, settings.allowPaths);
  } catch (error) {
    if (error instanceof SuiteError) {
      io.stderr(`glasslab: invalid suite\n${error.message}\n`);
      return ExitCode.badInput;
    }
    throw error;
  }
  const selected = filterRuns(suite.runs, filter);
  if (selected.length === 0) {
    io.stderr(`glasslab: --filter "${filter}" matches none of the ${suite.runs.length} runs of ${suite.name} (e.g. ${suite.runs[0]!.name})\n`);
    return ExitCode.badInput;
  }
  const tty = !json && process.stderr.isTTY === true;
  const say = (text: string): void => {
    if (!json) io.stderr(`${tty ? '\r\x1b[2K' : ''}${text}\n`);
  };
  const outcome = await withInterrupt((signal) =>
    runSuite(suite, selected, {
      outRoot: settings.runsRoot,
      signal,
      ...(filter !== undefined ? { filter } : {}),
      ...(unavailable ? { unavailable } : {}),
      onStart: (dir) =>
        say(`[suite] ${suite.name}: ${selected.length} of ${suite.runs.length} runs${suite.excluded > 0 ? ` (${suite.excluded} excluded)` : ''}, seed ${suite.seed}, into ${dir}`),
      onRunEnd: (index, total, entry) => say(formatRunLine(index, total, entry)),
      runOne: async (scenario: ResolvedScenario, runsRoot, runSignal): Promise<SuiteRunResult> => {
        const progress = progressPrinter(io, { json, label: scenario.name, tty, quiet: true });
        try {
          return await runEach(scenario, runsRoot, runSignal, progress);
        } finally {
          progress.finish();
        }
      },
    }),
  );
  const passed = suitePassed(outcome.suite);
  const count = (outcomeName: SuiteRunEntry['outcome']): number => outcome.suite.runs.filter((run) => run.outcome === outcomeName).length;
  const budgetsBroken = outcome.suite.runs.filter((run) => run.results !== null && !run.results.budgetsPassed).length;
  const summary = {
    suiteDir: outcome.suiteDir,
    state: outcome.suite.state,
    runs: outcome.suite.runs.length,
    completed: count('completed'),
    failed: count('failed'),
    interrupted: count('interrupted'),
    skipped: count('skipped'),
    unavailable: outcome.suite.runs.filter((run) => run.unavailable === true).length,
    budgetsBroken,
    passed,
    suiteJson: outcome.jsonPath,
    report: outcome.reportPath,
  };
  if (json) io.stdout(`${JSON.stringify(summary)}\n`);
  else {
    io.stdout(
      `${suite.name}: ${summary.completed}/${summary.runs} runs completed${summary.failed ? `, ${summary.failed} failed` : ''}${summary.unavailable ? `, ${summary.unavailable} not available here` : ''}${summary.interrupted + summary.skipped - summary.unavailable ? `, ${summary.interrupted} interrupted, ${summary.skipped - summary.unavailable} skipped` : ''}${budgetsBroken ? `, ${budgetsBroken} broke a budget` : ''}\n`,
    );
    io.stdout(`report: ${summary.report}\n`);
  }
  return passed ? ExitCode.ok : ExitCode.budgetBroken;
}
