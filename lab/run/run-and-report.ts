/**
 * One run as `glasslab run` makes it: the orchestrated run (runScenario) followed by its analysis
 * (buildReport: results.json, report.html, junit.xml). Single runs and every run of a suite go
 * through here.
 */
import { buildReport } from '../report/build.ts';
import type { Results } from '../results/schema.ts';
import { findWriteFailure, WriteFailedError } from '../../src/shared/write-error.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import { runScenario, type RunOptions, type RunOutcome } from './orchestrator.ts';
import { writeRunStatus } from './run-status.ts';

/** A finished and analysed run. */
export interface ReportedRun {
  outcome: RunOutcome;
  results: Results;
  /** absolute path of report.html */
  reportPath: string;
  /** expressions of the budgets the run broke */
  budgetsBroken: string[];
}

/** The run folder was written but could not be analysed; `cause` says why. */
export class RunAnalysisError extends Error {
  readonly code = 'RUN_ANALYSIS_FAILED';
  constructor(readonly outcome: RunOutcome, cause: unknown) {
    super(`analysis of ${outcome.runDir} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RunAnalysisError';
  }
}

/**
 * Runs the scenario into a new folder under `options.runsRoot`, then analyses it. A failed run
 * still resolves (its outcome says how it ended); a run that cannot be analysed rejects with
 * RunAnalysisError, or with the WriteFailedError itself when an output could not be written (no
 * partial results.json is left; status.json says failed with the cause where it can be written).
 */
export async function runAndReport(scenario: ResolvedScenario, options: RunOptions): Promise<ReportedRun> {
  const outcome = await runScenario(scenario, options);
  let built;
  try {
    built = await buildReport(outcome.runDir);
  } catch (error) {
    const writeFailure = findWriteFailure(error);
    if (writeFailure === undefined) throw new RunAnalysisError(outcome, error);
    const { state, message } = outcome.status;
    if (state === 'completed') {
      await writeRunStatus(outcome.runDir, { ...outcome.status, state: 'failed', message: `analysis: ${writeFailure.message}` }).catch(() => undefined);
      throw writeFailure;
    }
    // the run had already failed (often the same full disk): its own cause stays in status.json
    // and goes with the one line the user sees
    throw new WriteFailedError(writeFailure.filePath, writeFailure.cause, `the run ${state}${message ? `: ${message}` : ''}`);
  }
  const { results, reportPath } = built;
  return { outcome, results, reportPath, budgetsBroken: results.budgets.filter((b) => !b.pass).map((b) => b.expression) };
}
