/**
 * `glasslab report <run-dir>`: (re)analyses a run folder and writes results.json, report.html and
 * junit.xml (with budgets). Exit codes: 0 the run completed and met its budgets (or has none),
 * 1 a budget is broken, 2 the folder or a budget expression is unusable (no scenario file,
 * impossible counts; nothing written), 3 the run failed or was interrupted (the report is still
 * written) or an output could not be written. A run whose status.json says `running` while its
 * owner is gone is first marked interrupted. Unusable record lines are named on stderr.
 */
import type { Command } from 'commander';
import { BudgetError } from '../../metrics/budgets.ts';
import { buildReport, type BuildReportOptions } from '../../report/build.ts';
import { RunFolderError } from '../../report/load-run.ts';
import { formatRecordProblems } from '../../report/record-problems.ts';
import { ResultsValidationError } from '../../results/schema.ts';
import { findWriteFailure } from '../../../src/shared/write-error.ts';
import { markStaleRun, markStaleRuns } from '../../run/run-status.ts';
import { isSuiteFolder, rebuildSuiteReport, SuiteFolderError } from '../../suite/rebuild.ts';
import { checkOutFolder } from '../output-path.ts';

/** Exit codes of the report command. */
export const REPORT_EXIT = { ok: 0, budgetBroken: 1, unusable: 2, failed: 3 } as const;

/** Marks a stale `running` run interrupted; a folder it cannot write to is reported, not fatal. */
async function markIfStale(runDir: string, io: ReportIo): Promise<void> {
  try {
    const marked = await markStaleRun(runDir, 'glasslab report');
    if (marked) io.err(`glasslab report: ${runDir}: status.json said "running"; marked interrupted: ${marked.message ?? ''}`);
  } catch (error) {
    io.err(`glasslab report: could not mark the stale run interrupted: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Options as commander parses them. */
interface ReportCliOptions {
  budget?: string[];
  scenario?: string;
  runId?: string;
  out?: string;
  json?: boolean;
}

/** Output sinks (stdout/stderr lines), injectable for tests. */
export interface ReportIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: ReportIo = { out: (text) => process.stdout.write(text + '\n'), err: (text) => process.stderr.write(text + '\n') };

/**
 * A suite folder (it holds suite.json): re-analyses each of its runs and rewrites suite.json and
 * suite.html. Exit 0 when every run completed and met its budgets, 1 otherwise, 2 unusable.
 */
async function suiteReport(suiteDir: string, options: ReportCliOptions, io: ReportIo): Promise<number> {
  if (options.budget !== undefined || options.scenario !== undefined || options.runId !== undefined || options.out !== undefined) {
    io.err('glasslab report: --budget, --scenario, --run-id and --out apply to run folders, not to a suite folder');
    return REPORT_EXIT.unusable;
  }
  try {
    // runs a killed suite left "running" with their owner gone are interrupted, as for a run folder
    for (const stale of await markStaleRuns(suiteDir, 'glasslab report')) {
      io.err(`glasslab report: ${stale.runDir}: status.json said "running"; marked interrupted: ${stale.status.message ?? ''}`);
    }
    const { suite, problems, reportPath } = await rebuildSuiteReport(suiteDir);
    // a run this machine could not run (skipped, unavailable) does not count against the suite, as for `glasslab run`
    const ran = suite.runs.filter((run) => run.unavailable !== true);
    const passed = ran.length > 0 && ran.every((run) => run.outcome === 'completed' && run.results?.budgetsPassed === true);
    if (options.json) io.out(JSON.stringify({ suite: suite.suite, report: reportPath, runs: suite.runs.length, passed, problems }));
    else {
      for (const problem of problems) io.err(`glasslab report: ${problem.run}: ${problem.message} (kept its previous results)`);
      io.out(`${suite.suite}: ${suite.runs.filter((run) => run.outcome === 'completed').length}/${suite.runs.length} runs completed; wrote ${reportPath}`);
    }
    return passed ? REPORT_EXIT.ok : REPORT_EXIT.budgetBroken;
  } catch (error) {
    if (error instanceof SuiteFolderError) {
      io.err(`glasslab report: ${error.message}`);
      return REPORT_EXIT.unusable;
    }
    throw error;
  }
}

/** Runs the report command on a run folder or a suite folder; returns its exit code. */
export async function runReportCommand(runDir: string, options: ReportCliOptions, io: ReportIo = defaultIo): Promise<number> {
  if (isSuiteFolder(runDir)) return suiteReport(runDir, options, io);
  const outProblem = checkOutFolder('--out', options.out);
  if (outProblem !== undefined) {
    io.err(`glasslab report: ${outProblem}`);
    return REPORT_EXIT.unusable;
  }
  const buildOptions: BuildReportOptions = {
    refuseUnusable: true,
    ...(options.budget !== undefined ? { budgets: options.budget } : {}),
    ...(options.scenario !== undefined ? { scenario: options.scenario } : {}),
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
    ...(options.out !== undefined ? { outDir: options.out } : {}),
  };
  try {
    await markIfStale(runDir, io);
    const built = await buildReport(runDir, buildOptions);
    const { results } = built;
    for (const line of formatRecordProblems(runDir, built.lineProblems)) io.err(`glasslab report: ${line}`);
    if (options.json) {
      io.out(JSON.stringify({ results: built.resultsPath, report: built.reportPath, junit: built.junitPath ?? null, budgetsPassed: results.budgetsPassed, outcome: results.outcome }));
    } else {
      const g2g = results.summary.g2g;
      io.out(`${results.scenario} (${results.runId}): ${results.outcome.status}; g2g p50 ${g2g.p50?.toFixed(1) ?? '—'} ms, p95 ${g2g.p95?.toFixed(1) ?? '—'} ms; ` +
        `${results.summary.frames.displayed}/${results.summary.frames.sent} frames displayed, ${results.summary.frames.neverDisplayed} never`);
      for (const budget of results.budgets) io.out(`  ${budget.pass ? 'PASS' : 'FAIL'} ${budget.expression}: ${budget.message}`);
      io.out(`wrote ${built.resultsPath}, ${built.reportPath}${built.junitPath ? `, ${built.junitPath}` : ''}`);
    }
    if (results.outcome.status !== 'completed') {
      io.err(`glasslab report: the run ${results.outcome.status}${results.outcome.message ? `: ${results.outcome.message}` : ''} (report written)`);
      return REPORT_EXIT.failed;
    }
    return results.budgetsPassed ? REPORT_EXIT.ok : REPORT_EXIT.budgetBroken;
  } catch (error) {
    if (error instanceof BudgetError || error instanceof RunFolderError || error instanceof ResultsValidationError) {
      io.err(`glasslab report: ${error.message}`);
      return REPORT_EXIT.unusable;
    }
    const writeFailure = findWriteFailure(error);
    if (writeFailure) {
      io.err(`glasslab: ${writeFailure.message}`);
      return REPORT_EXIT.failed;
    }
    throw error;
  }
}

/**
 * Adds `report <run-dir>` to a commander 14 program. `setExitCode` receives the command's exit
 * code (default: sets process.exitCode); main() should return it.
 */
export function registerReportCommand(program: Command, setExitCode: (code: number) => void = (code) => void (process.exitCode = code)): Command {
  return program
    .command('report')
    .description('analyse a run folder: write results.json, report.html and junit.xml (with budgets); or a suite folder: re-analyse its runs, write suite.json and suite.html')
    .argument('<run-dir>', 'run folder with sender/receiver/run .ndjson records, or a suite folder with suite.json')
    .option('-b, --budget <expr...>', 'budget expressions, e.g. "g2g.p95 <= 120ms" (replace the scenario\'s)')
    .option('--scenario <name>', 'scenario name to report (default: from the run folder)')
    .option('--run-id <id>', 'run id to report (default: from the run folder)')
    .option('-o, --out <dir>', 'write the outputs here instead of the run folder')
    .option('--json', 'print the output paths and verdict as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 the run completed and met its budgets, 1 a budget broken, 2 unusable folder (no scenario file, impossible counts; nothing written) or budget expression, ' +
        '3 the run failed or was interrupted (report written) or an output could not be written.\n' +
        'A run folder whose status.json says "running" while its owner process is gone is marked interrupted first. Unusable record lines are named on stderr (file:line).',
    )
    .action(async (runDir: string, options: ReportCliOptions) => {
      setExitCode(await runReportCommand(runDir, options));
    });
}
