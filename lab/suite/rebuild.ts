/**
 * `glasslab report <suite-dir>`: re-analyses every run folder the suite lists (buildReport: each
 * run's results.json, report.html, junit.xml), copies the fresh key results into suite.json and
 * rewrites suite.html. A run that cannot be re-analysed keeps what suite.json had.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildReport } from '../report/build.ts';
import { SUITE_FILES, writeSuiteFiles } from './runner.ts';
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
  for (const run of suite.runs) {
    if (run.runDir === null) continue;
    try {
      const { results } = await buildReport(path.join(suiteDir, run.runDir));
      run.results = keyResults(results);
    } catch (error) {
      problems.push({ run: run.name, message: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
    }
  }
  await writeSuiteFiles(suiteDir, suite);
  return { suite, problems, reportPath: path.join(suiteDir, SUITE_FILES.report) };
}
