/**
 * The suite file format (YAML), version 1: one base scenario crossed with named variants. The zod
 * schema below checks the suite's own shape; each expanded scenario is then validated with the
 * scenario schema (lab/scenario/schema.ts). JSON Schema for editors: schemas/suite.schema.json
 * (scripts/gen-schemas.ts).
 *
 *   suite: loss-recovery
 *   base: { duration: 5s, ... }          # or scenario: ../some.yaml (relative to the suite file)
 *   matrix:                              # axes crossed in order, the first one outermost
 *     protection:
 *       - { name: none, set: { protection: { mode: none } } }
 *   exclude: [ { protection: none, rtt: "rtt100*" } ]   # glob patterns on variant names
 *   budgets: [ "g2g.p95 <= 500ms" ]      # added to every run's own budgets
 */
import { z } from 'zod';

/** Names of suites and variants: they become parts of run and folder names. */
export const SUITE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;
const name = z.string().regex(SUITE_NAME_PATTERN, 'expected letters, digits, ".", "_" or "-", starting with a letter or digit (at most 48)');

/** A mapping of scenario fields (validated per expanded scenario, not here). */
const scenarioFields = z.record(z.string(), z.unknown()).describe('scenario fields (see scenario.schema.json); `name` is set per run');

/** One variant of an axis: a name and the scenario fields it deep-merges into the base. */
export const variantSchema = z
  .object({
    name: name.describe('variant name; part of the run name'),
    description: z.string().optional(),
    set: scenarioFields.default({}).describe('deep-merged into the base: mappings merge, lists and scalars replace'),
  })
  .strict();

/** A glob pattern (`*`, `?`) on a variant name, or a list of them (any may match). */
const namePattern = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Budgets as the scenario format writes them: a list of expressions or a map meaning <=. */
const budgetsSchema = z
  .union([z.array(z.string().min(1)), z.record(z.string(), z.union([z.string(), z.number()]))])
  .describe('limits added to every run: "g2g.p95 <= 120ms" expressions, or a map { "g2g.p95": "120ms" } meaning <=');

export const suiteSchema = z
  .object({
    suite: name.describe('suite name; prefixes every run name and names the suite folder'),
    description: z.string().optional(),
    base: scenarioFields.optional().describe('the scenario every variant starts from (give base or scenario, not both)'),
    scenario: z.string().min(1).optional().describe('a scenario file to start from, relative to the suite file'),
    matrix: z
      .record(name, z.array(variantSchema).min(1, 'an axis needs at least one variant'))
      .refine((axes) => Object.keys(axes).length > 0, 'expected at least one axis')
      .describe('axes crossed in the order written; each a list of named variants'),
    exclude: z
      .array(z.record(z.string(), namePattern).refine((entry) => Object.keys(entry).length > 0, 'an exclude entry names at least one axis'))
      .optional()
      .describe('combinations to leave out: each entry maps axis names to variant-name patterns; a combination matching every pattern of one entry is left out'),
    budgets: budgetsSchema.optional(),
  })
  .strict()
  .refine((suite) => (suite.base === undefined) !== (suite.scenario === undefined), { message: 'give exactly one of "base" (inline scenario fields) and "scenario" (a file)', path: ['base'] });

export type SuiteInput = z.input<typeof suiteSchema>;
export type SuiteParsed = z.output<typeof suiteSchema>;
export type VariantParsed = z.output<typeof variantSchema>;

/** Budgets written as a map become "metric <= limit" expressions (as scenarios do). */
export function normalizeBudgets(budgets: SuiteParsed['budgets']): string[] {
  if (budgets === undefined) return [];
  if (Array.isArray(budgets)) return budgets.map((b) => b.trim());
  return Object.entries(budgets).map(([metric, limit]) => {
    const text = String(limit).trim();
    return /^(<=|>=|<|>|==)/.test(text) ? `${metric} ${text}` : `${metric} <= ${text}`;
  });
}
