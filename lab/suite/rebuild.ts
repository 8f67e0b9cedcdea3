/**
 * `glasslab report <suite-dir>`: re-analyses every run folder the suite lists (buildReport: each
 * run's results.json, report.html, junit.xml), copies the fresh key results into suite.json and
 * rewrites suite.html. A run that cannot be re-analysed keeps what suite.json had. A run still
 * marked "running" without a folder (the suite process died during it) gets its run folder back
 * when exactly one folder of its name is in the suite folder, and the outcome its records give.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildReport } from '../report/build.ts';
import { SUITE_FILES, writeSuiteFiles } from './runner.ts';
import { readSenderProcess } from './sender-process.ts';
import { keyResults, validateSuiteJson, type SuiteJson } from './suite-json.ts';

/** A suite folder that cannot be read. */
export class SuiteFolderError extends Error {
  readonly code = 'SUITE_FOLDER_UNUSABLE';
  constructor(message: string) {
    super(message);
    this.name = 'SuiteFolderError';
  }
}

/** Whether `dir` is a suite folder (holds suite.json). */
export function isSuiteFolder(dir: string): boolean {
  return existsSync(path.join(dir, SUITE_FILES.json));
}

/** Reads and validates a suite folder's suite.json. */
export async function readSuiteJson(suiteDir: string): Promise<SuiteJson> {
  const file = path.join(suiteDir, SUITE_FILES.json);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new SuiteFolderError(`${file}: ${(error as Error).message}`);
  }
  const validated = validateSuiteJson(value);
  if (!validated.ok) throw new SuiteFolderError(`${file} does not match the suite.json schema:\n  ${validated.issues.join('\n  ')}`);
  return validated.suite;
}

/** The run folder `<YYYYMMDD-HHMMSS>-<name>` (or `...-<name>-<n>`) of a run, when exactly one is there. */
function orphanFolder(folders: readonly string[], runName: string): string | undefined {
  const matching = folders.filter((folder) => {
    if (!/^\d{8}-\d{6}-/.test(folder)) return false;
    const rest = folder.slice('YYYYMMDD-HHMMSS-'.length);
    return rest === runName || (rest.startsWith(`${runName}-`) && /^\d+$/.test(rest.slice(runName.length + 1)));
  });
  return matching.length === 1 ? matching[0] : undefined;
}

/** What a rebuild did: the suite and, per run that could not be re-analysed, why. */
export interface RebuiltSuite {
  suite: SuiteJson;
  problems: { run: string; message: string }[];
  reportPath: string;
}

/** Re-analyses the suite's runs and rewrites suite.json and suite.html. */
export async function rebuildSuiteReport(suiteDir: string): Promise<RebuiltSuite> {
  const suite = await readSuiteJson(suiteDir);
  const problems: RebuiltSuite['problems'] = [];
  const folders = await readdir(suiteDir);
  for (const run of suite.runs) {
    // a run the suite process did not see end (it crashed): adopt the run folder it had made
    const orphan = run.runDir === null && run.outcome === 'running' ? orphanFolder(folders, run.name) : undefined;
    if (orphan !== undefined) run.runDir = orphan;
    if (run.runDir === null) continue;
    const unseenEnd = run.outcome === 'running';
    try {
      const runDir = path.join(suiteDir, run.runDir);
      const { results } = await buildReport(runDir);
      run.results = keyResults(results, await readSenderProcess(runDir));
      if (unseenEnd) {
        run.outcome = results.outcome.status;
        run.message = results.outcome.message ?? 'the suite did not see this run end';
      }
    } catch (error) {
      problems.push({ run: run.name, message: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
    }
  }
  await writeSuiteFiles(suiteDir, suite);
  return { suite, problems, reportPath: path.join(suiteDir, SUITE_FILES.report) };
}
