import { readFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { resolveScenario, scenarioSchema, type ResolvedScenario } from './schema.ts';
import { resolveScenarioLink } from './scenario-link.ts';
import { loadFecRateTableSync } from '../../src/sender/fec-controller/rate-table.ts';

/** One problem found in a scenario file: where (file, path, line) and what was expected. */
export interface ScenarioIssue {
  file: string;
  /** dotted path inside the document, e.g. "encoder.bitrate"; "" for the document itself */
  path: string;
  line?: number;
  message: string;
}

/** A scenario file that cannot be used; `issues` names every problem found. */
export class ScenarioError extends Error {
  readonly code = 'SCENARIO_INVALID';
  constructor(readonly issues: ScenarioIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ScenarioError';
  }
}

/** "file:line: path: message" */
export function formatIssue(issue: ScenarioIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}` : issue.file;
  return `${where}: ${issue.path === '' ? '(document)' : issue.path}: ${issue.message}`;
}

/** The issues of a failed union: those of the branch that fits the input's shape (the object branch for a mapping). */
function unionIssues(issue: z.core.$ZodIssue, input: unknown): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  if (input === null || typeof input !== 'object') return [{ ...issue, message: 'expected "none" or a mapping of link fields' }];
  const branch = issue.errors.find((errors) => !errors.every((e) => e.path.length === 0)) ?? issue.errors.at(-1)!;
  return branch.map((e) => ({ ...e, path: [...issue.path, ...e.path] }));
}

/** Node of the document at `path`, or the deepest existing ancestor; its 1-based line. */
function lineOf(doc: Document, lineCounter: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `required: ${issue.message.replace(/, received undefined$/, '')}`;
  return issue.message;
}

/** Parses and validates scenario text; throws ScenarioError naming file, path, line and expectation. */
export function parseScenarioText(text: string, file: string, seed = randomInt(0, 2 ** 31)): ResolvedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => ({ file, path: '', line: lineCounter.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias to an anchor that does not exist, or an alias bomb
    throw new ScenarioError([{ file, path: '', message: `YAML: ${(error as Error).message.split('\n')[0]}` }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError([{ file, path: '', message: 'expected a mapping of scenario fields (name, duration, ...)' }]);
  }
  const locate = (path: (string | number)[], message: string): ScenarioIssue => {
    const line = lineOf(doc, lineCounter, path);
    return { file, path: path.map(String).join('.'), ...(line !== undefined ? { line } : {}), message };
  };
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    throw new ScenarioError(
      result.error.issues.flatMap((issue) => unionIssues(issue, (data as Record<string, unknown>)[String(issue.path[0])])).flatMap((issue) => {
        const path = issue.path as (string | number)[];
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => locate([...path, key], `unknown field "${key}"`));
        }
        return [locate(path, zodMessage(issue))];
      }),
    );
  }
  const raw = data as { link?: unknown; timeline?: unknown };
  const link = resolveScenarioLink(raw.link ?? 'none', raw.timeline, path.dirname(file));
  if ('issues' in link) {
    throw new ScenarioError(
      link.issues.map((issue) => {
        // resolveLink names directions ("link.up.delay") that the file may give once for both
        const at = issue.path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
        return { ...locate(at, issue.message), path: issue.path };
      }),
    );
  }
  const scenario = resolveScenario(result.data, seed, link.link, path.dirname(file));
  // a rate table file is read and checked now, so a bad one fails here and not in the sender
  const rateTable = scenario.protection?.rateTable;
  if (rateTable !== undefined && rateTable !== 'libwebrtc') {
    const table = loadFecRateTableSync(rateTable);
    if (!table.ok) throw new ScenarioError([locate(['protection', 'rateTable'], `FEC rate table ${table.error.code}: ${table.error.message}`)]);
  }
  return scenario;
}

/** Reads, parses and validates a scenario file. */
export async function loadScenario(file: string, seed?: number): Promise<ResolvedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError([{ file, path: '', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  return parseScenarioText(text, file, seed);
}
