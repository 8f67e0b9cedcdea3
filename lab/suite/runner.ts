/**
 * Runs a suite's runs one after another into one suite folder `<out>/<YYYYMMDD-HHMMSS>-<suite>/`,
 * each run in its own run folder inside it. suite.json and suite.html are rewritten (atomically)
 * after every run, so an interrupted or crashed suite leaves the finished runs, their reports and
 * a partial suite.json. Aborting stops the current run (it ends "interrupted", the orchestrator
 * tears it down) and skips the rest. Before anything runs, `unavailable` (when given) is asked
 * about each run: one this machine cannot run is `skipped` with the reason and `unavailable`.
 */
import path from 'node:path';
import { writeFileAtomic } from '../results/atomic.ts';
import type { Results } from '../results/schema.ts';
import { createRunFolder } from '../run/run-folder.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import type { LoadedSuite, SuiteRunPlan } from './load.ts';
import { renderSuiteReport } from './render.ts';
import { readSenderProcess } from './sender-process.ts';
import { keyResults, runConfig, SUITE_JSON_VERSION, type SuiteJson, type SuiteRunEntry } from './suite-json.ts';

/** File names inside a suite folder. */
export const SUITE_FILES = { json: 'suite.json', report: 'suite.html' } as const;

/** What one run gave back to the suite. */
export interface SuiteRunResult {
  runDir: string;
  state: 'completed' | 'failed' | 'interrupted';
  message?: string;
  /** null when the run could not be analysed */
  results: Results | null;
}

/** Makes one run into a new folder under `runsRoot` (the real one: runAndReport). */
export type RunOne = (scenario: ResolvedScenario, runsRoot: string, signal: AbortSignal | undefined, index: number) => Promise<SuiteRunResult>;

/** Options of {@link runSuite}. */
export interface SuiteRunnerOptions {
  /** folder that receives the suite folder */
  outRoot: string;
  runOne: RunOne;
  signal?: AbortSignal;
  /** the --filter glob, recorded in suite.json */
  filter?: string;
  /** why this machine cannot run a configuration, or undefined when it can (availability.ts); absent: every run is tried */
  unavailable?: (scenario: ResolvedScenario) => Promise<string | undefined>;
  /** the suite folder was made */
  onStart?: (suiteDir: string) => void;
  onRunStart?: (index: number, total: number, plan: SuiteRunPlan) => void;
  onRunEnd?: (index: number, total: number, entry: SuiteRunEntry) => void;
  /** wall clock, injectable for tests */
  now?: () => Date;
}

/** What {@link runSuite} produced. */
export interface SuiteOutcome {
  suiteDir: string;
  suite: SuiteJson;
  jsonPath: string;
  reportPath: string;
}

/** Writes suite.json and suite.html of `suite` into `suiteDir`, each atomically. */
export async function writeSuiteFiles(suiteDir: string, suite: SuiteJson): Promise<void> {
  await writeFileAtomic(path.join(suiteDir, SUITE_FILES.json), `${JSON.stringify(suite, null, 2)}\n`);
  await writeFileAtomic(path.join(suiteDir, SUITE_FILES.report), renderSuiteReport(suite));
}

/** Runs `runs` (a subset of `suite.runs`, e.g. filtered) in order; never throws for a failed run. */
export async function runSuite(suite: LoadedSuite, runs: readonly SuiteRunPlan[], options: SuiteRunnerOptions): Promise<SuiteOutcome> {
  const now = options.now ?? ((): Date => new Date());
  const { dir: suiteDir } = await createRunFolder(options.outRoot, suite.name, now());
  const state: SuiteJson = {
    schemaVersion: SUITE_JSON_VERSION,
    suite: suite.name,
    ...(suite.description !== undefined ? { description: suite.description } : {}),
    file: path.resolve(suite.file),
    seed: suite.seed,
    filter: options.filter ?? null,
    state: 'running',
    startedAt: now().toISOString(),
    axes: suite.axes,
    excluded: suite.excluded,
    runs: runs.map((plan) => ({ name: plan.name, variants: plan.variants, config: runConfig(plan.scenario), runDir: null, outcome: 'pending', wallMs: null, results: null })),
  };
  // one after another: each probe may open a Vulkan device or an encoder. A check that throws
  // leaves the run to be tried (it then fails naming its own cause).
  for (const [index, plan] of runs.entries()) {
    const reason = options.unavailable ? await options.unavailable(plan.scenario).catch(() => undefined) : undefined;
    if (reason !== undefined) Object.assign(state.runs[index]!, { outcome: 'skipped', unavailable: true, message: reason });
  }
  await writeSuiteFiles(suiteDir, state);
  options.onStart?.(suiteDir);

  for (const [index, plan] of runs.entries()) {
    const entry = state.runs[index]!;
    if (entry.unavailable) {
      options.onRunEnd?.(index, runs.length, entry);
      continue;
    }
    if (options.signal?.aborted) {
      entry.outcome = 'skipped';
      entry.message = 'not started: the suite was interrupted';
      continue;
    }
    options.onRunStart?.(index, runs.length, plan);
    entry.outcome = 'running';
    await writeSuiteFiles(suiteDir, state);
    const started = performance.now();
    // each run gets its own signal, linked to the suite's for the run's duration: the orchestrator
    // listens on it and would otherwise pile one listener per run onto the suite's signal
    const runAbort = new AbortController();
    const forward = (): void => runAbort.abort();
    options.signal?.addEventListener('abort', forward, { once: true });
    try {
      const result = await options.runOne(plan.scenario, suiteDir, options.signal ? runAbort.signal : undefined, index);
      entry.runDir = path.relative(suiteDir, result.runDir);
      entry.outcome = result.state;
      if (result.message !== undefined) entry.message = result.message;
      entry.results = result.results === null ? null : keyResults(result.results, await readSenderProcess(result.runDir));
    } catch (error) {
      entry.outcome = 'failed';
      entry.message = error instanceof Error ? error.message : String(error);
    } finally {
      options.signal?.removeEventListener('abort', forward);
    }
    entry.wallMs = Math.round(performance.now() - started);
    await writeSuiteFiles(suiteDir, state);
    options.onRunEnd?.(index, runs.length, entry);
  }
  state.state = options.signal?.aborted ? 'interrupted' : 'completed';
  if (options.signal?.aborted) state.message = 'interrupted: the runs not started are marked skipped';
  state.endedAt = now().toISOString();
  await writeSuiteFiles(suiteDir, state);
  return { suiteDir, suite: state, jsonPath: path.join(suiteDir, SUITE_FILES.json), reportPath: path.join(suiteDir, SUITE_FILES.report) };
}

/**
 * Whether every run completed and passed its budgets (the suite's exit code 0); a run this
 * machine cannot run (skipped, `unavailable`) does not count against it, but at least one run
 * must have completed.
 */
export function suitePassed(suite: SuiteJson): boolean {
  const ran = suite.runs.filter((run) => run.unavailable !== true);
  return suite.state === 'completed' && ran.length > 0 && ran.every((run) => run.outcome === 'completed' && run.results?.budgetsPassed === true);
}
