/**
 * The lines of a run's record files that the analysis could not use, each named by file and line:
 * a last line cut short (a killed run), a line that is not JSON or not an object, and an object
 * that matches no record kind. `glasslab report` prints them on stderr; results.json keeps only
 * their counts. A problem quotes at most a short excerpt of its line (EXCERPT_CHARS).
 */
import { EXCERPT_CHARS, type NdjsonReadResult } from '../../src/shared/ndjson.ts';
import { sortRecords } from '../metrics/run-records.ts';

/** One unusable line of a record file. */
export interface RecordLineProblem {
  file: string;
  /** 1-based */
  lineNumber: number;
  /** what is wrong with it */
  problem: string;
}

/** How many problems `glasslab report` prints before it only counts the rest. */
export const PRINTED_PROBLEMS_LIMIT = 20;

function describeObject(value: unknown): string {
  const type = (value as { type?: unknown }).type;
  const shown = typeof type === 'string' ? JSON.stringify(type.length > EXCERPT_CHARS ? `${type.slice(0, EXCERPT_CHARS)}…` : type) : 'none';
  return `not a usable record (type ${shown}; missing or mistyped fields)`;
}

/**
 * Problems of one record file. `isUsable` says whether a parsed object is a record the analysis
 * takes (default: one of the run-record kinds).
 */
export function recordProblemsOf(file: string, read: NdjsonReadResult, isUsable: (value: unknown) => boolean = (value) => sortRecords([value]).invalid === 0): RecordLineProblem[] {
  const problems: RecordLineProblem[] = read.badLines.map((line) => ({ file, lineNumber: line.lineNumber, problem: `${line.message}: ${JSON.stringify(line.excerpt)}` }));
  read.records.forEach((value, index) => {
    if (!isUsable(value)) problems.push({ file, lineNumber: read.recordLines[index] ?? 0, problem: describeObject(value) });
  });
  const cut = read.truncatedLastLine;
  if (cut) problems.push({ file, lineNumber: cut.lineNumber, problem: `last line cut short (${cut.bytes} bytes, no newline): ${JSON.stringify(cut.excerpt)}` });
  return problems.sort((a, b) => a.lineNumber - b.lineNumber);
}

/** Lines for stderr: `file:line: problem`, at most PRINTED_PROBLEMS_LIMIT, then a count of the rest. */
export function formatRecordProblems(runDir: string, problems: readonly RecordLineProblem[]): string[] {
  const lines = problems.slice(0, PRINTED_PROBLEMS_LIMIT).map((p) => `${runDir.replace(/\/$/, '')}/${p.file}:${p.lineNumber}: ${p.problem}`);
  if (problems.length > PRINTED_PROBLEMS_LIMIT) lines.push(`… and ${problems.length - PRINTED_PROBLEMS_LIMIT} more unusable record lines`);
  return lines;
}
