/**
 * Reads a suite file, expands its matrix and validates every expanded scenario with the scenario
 * schema before anything runs. Problems come back as one SuiteError naming file:line, the run
 * (with its variant names) and the field path, e.g.
 *   suite.yaml:14: run loss-recovery-none-5pct (protection=none, loss=5pct): link.up.loss.p: ...
 */
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { isNode, LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { parseBudget } from '../metrics/budgets.ts';
import { formatIssue, parseScenarioText, ScenarioError, zodMessage, type ScenarioIssue } from '../scenario/load.ts';
import { readScenarioFile, scenarioFileAccess, type ScenarioFileAccess } from '../scenario/scenario-files.ts';
import { readNamedFileSync } from '../../src/shared/named-file.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import { crossAxes, isExcluded, isMapping, matchesPattern, mergeCombination, variantSetting, type SuiteAxis } from './expand.ts';
import { normalizeBudgets, suiteSchema } from './schema.ts';

/** One problem of a suite; `run` names the expanded run it belongs to, if any. */
export interface SuiteIssue extends ScenarioIssue {
  run?: { name: string; variants: Record<string, string> };
}

/** A suite that cannot be used; `issues` names every problem found. */
export class SuiteError extends Error {
  readonly code = 'SUITE_INVALID';
  constructor(readonly issues: SuiteIssue[]) {
    super(issues.map(formatSuiteIssue).join('\n'));
    this.name = 'SuiteError';
  }
}

/** "file:line: [run NAME (axis=variant, ...): ]path: message" */
export function formatSuiteIssue(issue: SuiteIssue): string {
  if (issue.run === undefined) return formatIssue(issue);
  const variants = Object.entries(issue.run.variants).map(([axis, variant]) => `${axis}=${variant}`).join(', ');
  return formatIssue({ ...issue, path: `run ${issue.run.name} (${variants}): ${issue.path === '' ? '(document)' : issue.path}` });
}

/** One run the suite will make. */
export interface SuiteRunPlan {
  /** run name (also the scenario name): suite name + variant names */
  name: string;
  /** axis name → variant name, in axis order */
  variants: Record<string, string>;
  scenario: ResolvedScenario;
}

/** A loaded, expanded and validated suite. */
export interface LoadedSuite {
  file: string;
  name: string;
  description?: string;
  /** the axes and their variant names, in order */
  axes: { name: string; variants: string[] }[];
  /** every combination not excluded, first axis outermost */
  runs: SuiteRunPlan[];
  /** combinations left out by `exclude` */
  excluded: number;
  /** the seed every run got unless its scenario names one */
  seed: number;
  /** the suite's own budgets (normalized), added to every run */
  budgets: string[];
}

/** A parsed YAML document with what is needed to point at its lines. */
interface LocatedDoc {
  file: string;
  doc: Document;
  lines: LineCounter;
}

function parseYaml(text: string, file: string): { located: LocatedDoc; data: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new SuiteError(doc.errors.map((e) => ({ file, path: '', line: lines.linePos(e.pos[0]).line, message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  try {
    return { located: { file, doc, lines }, data: doc.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    throw new SuiteError([{ file, path: '', message: `YAML: ${(error as Error).message.split('\n')[0]}` }]);
  }
}

/** An issue at `at` inside a document: its line is that of the node, or of its deepest existing ancestor. */
function locate(located: LocatedDoc, at: readonly (string | number)[], pathText: string, message: string): SuiteIssue {
  for (let n = at.length; n >= 0; n--) {
    const node = located.doc.getIn(at.slice(0, n), true);
    if (isNode(node) && node.range) return { file: located.file, path: pathText, line: located.lines.linePos(node.range[0]).line, message };
  }
  return { file: located.file, path: pathText, message };
}

const dotted = (at: readonly (string | number)[]): string => at.map(String).join('.');
const splitPath = (text: string): (string | number)[] => (text === '' ? [] : text.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)));

/** The suite file itself (its path came from the user), or with `from` the base scenario it names (confined by `access`). */
function readText(file: string, from: { at: SuiteIssue; access: ScenarioFileAccess } | undefined): string {
  if (from === undefined) {
    const read = readNamedFileSync(file, 'scenario');
    if ('error' in read) throw new SuiteError([{ file, path: '', message: read.error.reason }]);
    return read.text;
  }
  const read = readScenarioFile(file, 'scenario', from.access);
  if ('error' in read) throw new SuiteError([{ ...from.at, message: read.error }]);
  return read.text;
}

/**
 * Whether a file is a suite (a YAML mapping with a top-level `suite:` key); false when unreadable,
 * not a regular file of at most 1 MiB, or not YAML (loading it as a scenario then says why).
 */
export function isSuiteFile(file: string): Promise<boolean> {
  const read = readNamedFileSync(file, 'scenario');
  return Promise.resolve('text' in read && hasSuiteKey(read.text));
}

function hasSuiteKey(text: string): boolean {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) return false;
  return isMapping(doc.contents?.toJSON()) && doc.has('suite');
}

/**
 * Parses, expands and validates suite text; throws SuiteError naming every problem. `seed` is for
 * runs whose scenario names none; `allowPaths` are the --allow-path folders (scenario-files.ts):
 * the suite's base scenario and every file the runs name may lie in the suite's folder, the base
 * scenario's, the repository's scenarios/ and data/, and those.
 */
// async (with nothing to await since files are read synchronously): every SuiteError is a rejection, as callers expect
// eslint-disable-next-line @typescript-eslint/require-await
export async function parseSuiteText(text: string, file: string, seed = randomInt(0, 2 ** 31), allowPaths: readonly string[] = []): Promise<LoadedSuite> {
  const { located, data } = parseYaml(text, file);
  if (!isMapping(data)) throw new SuiteError([{ file, path: '', message: 'expected a mapping with suite, base or scenario, and matrix' }]);
  const parsed = suiteSchema.safeParse(data);
  if (!parsed.success) {
    throw new SuiteError(
      parsed.error.issues.flatMap((issue) => {
        const at = issue.path as (string | number)[];
        if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => locate(located, [...at, key], dotted([...at, key]), `unknown field "${key}"`));
        return [locate(located, at, dotted(at), zodMessage(issue, data))];
      }),
    );
  }
  const suite = parsed.data;
  const axes: SuiteAxis[] = Object.entries(suite.matrix).map(([name, variants]) => ({ name, variants }));
  const issues: SuiteIssue[] = [];

  axes.forEach((axis) => {
    const seen = new Set<string>();
    axis.variants.forEach((variant, index) => {
      if (seen.has(variant.name)) issues.push(locate(located, ['matrix', axis.name, index, 'name'], `matrix.${axis.name}.${index}.name`, `variant name "${variant.name}" is used twice on axis ${axis.name}`));
      seen.add(variant.name);
    });
  });
  (suite.exclude ?? []).forEach((entry, index) => {
    for (const [axisName, pattern] of Object.entries(entry)) {
      const axis = axes.find((a) => a.name === axisName);
      if (axis === undefined) issues.push(locate(located, ['exclude', index, axisName], `exclude.${index}.${axisName}`, `no axis "${axisName}" (axes: ${axes.map((a) => a.name).join(', ')})`));
      else if (!axis.variants.some((v) => matchesPattern(v.name, pattern))) {
        issues.push(locate(located, ['exclude', index, axisName], `exclude.${index}.${axisName}`, `matches no variant of ${axisName} (${axis.variants.map((v) => v.name).join(', ')})`));
      }
    }
  });
  const budgets = normalizeBudgets(suite.budgets);
  budgets.forEach((expression, index) => {
    const result = parseBudget(expression);
    if (!result.ok) issues.push(locate(located, ['budgets', Array.isArray(suite.budgets) ? index : Object.keys(suite.budgets!)[index]!], `budgets.${index}`, result.error.message));
  });
  if (issues.length > 0) throw new SuiteError(issues);

  // the base: inline, or a scenario file whose relative paths (link profiles, rate tables) stay its own
  let base: Record<string, unknown>;
  let baseDoc: LocatedDoc;
  let basePrefix: (string | number)[];
  if (suite.scenario !== undefined) {
    const baseFile = path.resolve(path.dirname(file), suite.scenario);
    const from = { at: locate(located, ['scenario'], 'scenario', ''), access: scenarioFileAccess(file, allowPaths) };
    const { located: scenarioDoc, data: baseData } = parseYaml(readText(baseFile, from), baseFile);
    if (!isMapping(baseData)) throw new SuiteError([{ file: baseFile, path: '', message: 'expected a mapping of scenario fields' }]);
    base = baseData;
    baseDoc = scenarioDoc;
    basePrefix = [];
  } else {
    base = suite.base!;
    baseDoc = located;
    basePrefix = ['base'];
  }
  const scenarioFile = baseDoc.file;
  const access = scenarioFileAccess(scenarioFile, [path.dirname(path.resolve(file)), ...allowPaths]);

  const combinations = crossAxes(suite.suite, axes);
  const kept = combinations.filter((c) => !isExcluded(c, suite.exclude ?? []));
  if (kept.length === 0) throw new SuiteError([locate(located, ['exclude'], 'exclude', `leaves out all ${combinations.length} combinations`)]);
  const runs: SuiteRunPlan[] = [];
  for (const combination of kept) {
    const fields = mergeCombination(base, axes, combination);
    try {
      const scenario = parseScenarioText(stringify(fields), scenarioFile, seed, access);
      scenario.budgets = [...new Set([...scenario.budgets, ...budgets])];
      runs.push({ name: combination.runName, variants: combination.variants, scenario });
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      const run = { name: combination.runName, variants: combination.variants };
      for (const issue of error.issues) {
        const at = splitPath(issue.path);
        const from = variantSetting(axes, combination, at);
        const where =
          at[0] === 'name'
            ? locate(located, ['suite'], issue.path, `${issue.message} (the run name is the suite name and the variant names joined by "-")`)
            : from >= 0
              ? locate(located, ['matrix', axes[from]!.name, combination.indices[from]!, 'set', ...at], issue.path, issue.message)
              : locate(baseDoc, [...basePrefix, ...at], issue.path, issue.message);
        issues.push({ ...where, run });
      }
    }
  }
  if (issues.length > 0) throw new SuiteError(issues);
  return {
    file,
    name: suite.suite,
    ...(suite.description !== undefined ? { description: suite.description } : {}),
    axes: axes.map((axis) => ({ name: axis.name, variants: axis.variants.map((v) => v.name) })),
    runs,
    excluded: combinations.length - kept.length,
    seed,
    budgets,
  };
}

/** Reads a suite file (a regular file of at most 1 MiB) and expands it (see {@link parseSuiteText}). */
export async function loadSuite(file: string, seed?: number, allowPaths: readonly string[] = []): Promise<LoadedSuite> {
  return await parseSuiteText(readText(file, undefined), file, seed, allowPaths);
}

/** The runs whose name matches the glob (all when `filter` is undefined). */
export function filterRuns(runs: readonly SuiteRunPlan[], filter: string | undefined): SuiteRunPlan[] {
  return filter === undefined ? [...runs] : runs.filter((run) => matchesPattern(run.name, filter));
}
