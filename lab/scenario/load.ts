import { readFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { resolveScenario, scenarioSchema, type ResolvedScenario } from './schema.ts';

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
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    const locate = (path: (string | number)[], message: string): ScenarioIssue => {
      const node = doc.getIn(path, true);
      const offset = isNode(node) && node.range ? node.range[0] : undefined;
      return {
        file,
        path: path.map(String).join('.'),
        ...(offset !== undefined ? { line: lineCounter.linePos(offset).line } : {}),
        message,
      };
    };
    throw new ScenarioError(
      result.error.issues.flatMap((issue) => {
        const path = issue.path as (string | number)[];
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => locate([...path, key], `unknown field "${key}"`));
        }
        return [locate(path, zodMessage(issue))];
      }),
    );
  }
  return resolveScenario(result.data, seed);
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
