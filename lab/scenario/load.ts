import { randomInt } from 'node:crypto';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { resolveScenario, scenarioSchema, type ResolvedScenario } from './schema.ts';
import { resolveScenarioLink } from './scenario-link.ts';
import { resolveLink } from './link-resolve.ts';
import { readScenarioFile, scenarioFileAccess, type ScenarioFileAccess } from './scenario-files.ts';
import { formatLimitMs, parseDurationUs } from './units.ts';
import { parseFecRateTable } from '../../src/sender/fec-controller/rate-table.ts';
import { readNamedFileSync } from '../../src/shared/named-file.ts';

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

/**
 * The issues of a failed union: those of the branch that fits the input's shape (the object
 * branch for a mapping). YAML's .inf / .nan fail every branch (z.number() refuses them): said so.
 */
function unionIssues(issue: z.core.$ZodIssue, data: unknown): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const input = valueAt(data, issue.path);
  if (typeof input === 'number' && !Number.isFinite(input)) return [{ ...issue, message: 'must be finite (.inf and .nan are not values here)' }];
  if (input === null || typeof input !== 'object') {
    const isLink = issue.path.length === 1 && issue.path[0] === 'link';
    return [{ ...issue, message: isLink ? 'expected "none" or a mapping of link fields' : `expected text or a number, got ${typeName(input)}` }];
  }
  const branch = issue.errors.find((errors) => !errors.every((e) => e.path.length === 0)) ?? issue.errors.at(-1)!;
  return branch.flatMap((e) => unionIssues({ ...e, path: [...issue.path, ...e.path] }, data));
}

/** Node of the document at `path`, or the deepest existing ancestor; its 1-based line. */
function lineOf(doc: Document, lineCounter: LineCounter, path: (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** The value at `at` inside parsed YAML data, undefined where a step is missing. */
function valueAt(data: unknown, at: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of at) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? 'text' : typeof value;
}

/** "required: expected X" for an absent field; "expected X, got Y" for one of the wrong type. */
export function zodMessage(issue: z.core.$ZodIssue, data: unknown): string {
  if (issue.code !== 'invalid_type') return issue.message;
  const value = valueAt(data, issue.path);
  if (value === undefined) return `required: expected ${issue.expected}`;
  // a message of the schema's own (e.g. "must be a whole number") says more than zod's default
  return issue.message.startsWith('Invalid input') ? `expected ${issue.expected}, got ${typeName(value)}` : issue.message;
}

/** Timeline entries after the run's end would never apply: each is refused at its own line. */
function lateTimelineIssues(scenario: ResolvedScenario, rawTimeline: unknown, locate: (at: (string | number)[], message: string) => ScenarioIssue): ScenarioIssue[] {
  if (scenario.link === 'none') return [];
  const endUs = scenario.durationMs * 1000;
  const end = `duration ${formatLimitMs(scenario.durationMs)}`;
  if (Array.isArray(rawTimeline)) {
    // the scenario's own timeline (already validated): each entry in the file's order
    return rawTimeline.flatMap((entry: { at: string }, index) => {
      const atUs = parseDurationUs(entry.at);
      return typeof atUs === 'number' && atUs > endUs ? [locate(['timeline', index, 'at'], `${entry.at} is after the run's end (${end}): the change would never apply`)] : [];
    });
  }
  return scenario.link.timeline
    .filter((change) => change.atUs > endUs)
    .map((change) => locate(['link', 'profile'], `the profile's timeline changes the link at ${formatLimitMs(change.atUs / 1000)}, after the run's end (${end}); give a longer duration or a timeline of the scenario's own`));
}

/**
 * Parses and validates scenario text; throws ScenarioError naming file, path, line and expectation.
 * `access` says which folders the files it names may lie in (default: the scenario's folder and
 * the repository's scenarios/ and data/; see scenario-files.ts).
 */
export function parseScenarioText(text: string, file: string, seed = randomInt(0, 2 ** 31), access: ScenarioFileAccess = scenarioFileAccess(file)): ResolvedScenario {
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
      result.error.issues.flatMap((issue) => unionIssues(issue, data)).flatMap((issue) => {
        const path = issue.path as (string | number)[];
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => locate([...path, key], `unknown field "${key}"`));
        }
        return [locate(path, zodMessage(issue, data))];
      }),
    );
  }
  const raw = data as { link?: unknown; timeline?: unknown };
  const link = resolveScenarioLink(raw.link ?? 'none', raw.timeline, path.dirname(file), access);
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
  const relayLink = (raw as { relay?: { link?: unknown } }).relay?.link;
  if (scenario.relay && relayLink !== undefined) {
    const resolved = resolveLink(relayLink, undefined, path.dirname(file), 'relay.link', access);
    if ('error' in resolved) {
      throw new ScenarioError(resolved.error.issues.map((message) => {
        // resolveLink's issues read "relay.link.up.delay: ..."
        const at = /^([\w.]+): (.*)$/.exec(message);
        return at ? { ...locate(at[1]!.split('.'), at[2]!), path: at[1]! } : locate(['relay', 'link'], message);
      }));
    }
    scenario.relay.link = resolved.link.params;
  }
  const late = lateTimelineIssues(scenario, raw.timeline, locate);
  if (late.length > 0) throw new ScenarioError(late);
  // a rate table file is read and checked now (type, size, folder, shape), so a bad one fails
  // here with exit 2 and not in the sender once the run has started
  const rateTable = scenario.protection?.rateTable;
  if (rateTable !== undefined && rateTable !== 'libwebrtc') {
    const read = readScenarioFile(rateTable, 'rateTable', access);
    if ('error' in read) throw new ScenarioError([locate(['protection', 'rateTable'], `FEC rate table FEC_TABLE_READ: ${read.error}`)]);
    const table = parseFecRateTable(read.text, rateTable);
    if (!table.ok) throw new ScenarioError([locate(['protection', 'rateTable'], `FEC rate table ${table.error.code}: ${table.error.message}`)]);
  }
  return scenario;
}

/** Options of {@link loadScenario}. */
export interface LoadScenarioOptions {
  /** folders (besides the scenario's own and the repository's) its named files may lie in: --allow-path */
  allowPaths?: readonly string[];
}

/** Reads (a regular file of at most 1 MiB), parses and validates a scenario file. */
export function loadScenario(file: string, seed?: number, options: LoadScenarioOptions = {}): Promise<ResolvedScenario> {
  const read = readNamedFileSync(file, 'scenario');
  if ('error' in read) return Promise.reject(new ScenarioError([{ file, path: '', message: read.error.reason }]));
  return Promise.resolve(parseScenarioText(read.text, file, seed, scenarioFileAccess(file, options.allowPaths)));
}
