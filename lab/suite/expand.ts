/**
 * Pure suite expansion: the cross product of the axes (first axis outermost), exclusion and
 * filtering by glob patterns, and the deep merge of a variant's `set` into the base scenario.
 * No I/O; lab/suite/load.ts reads the file and validates what comes out.
 */

/** One axis of the matrix: its name and its variants in the order written. */
export interface SuiteAxis {
  name: string;
  variants: readonly { name: string; set: Record<string, unknown> }[];
}

/** One combination of variants, one per axis. */
export interface SuiteCombination {
  /** suite name + variant names, joined by "-" */
  runName: string;
  /** axis name → variant name, in axis order */
  variants: Record<string, string>;
  /** variant index per axis, in axis order */
  indices: number[];
}

/** A plain mapping (not null, not a list). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Deep merge for scenario fields: mappings merge key by key, anything else in `patch` (scalars,
 * lists, null) replaces what `base` has. Neither input is modified.
 */
export function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    merged[key] = isMapping(current) && isMapping(value) ? deepMerge(current, value) : structuredClone(value);
  }
  return merged;
}

/** A glob (`*` any run of characters, `?` one character, everything else literal) as an anchored RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** Whether `name` matches the glob or any glob of a list. */
export function matchesPattern(name: string, pattern: string | readonly string[]): boolean {
  const patterns = typeof pattern === 'string' ? [pattern] : pattern;
  return patterns.some((p) => globToRegExp(p).test(name));
}

/** Every combination of the axes' variants, the first axis outermost. */
export function crossAxes(suiteName: string, axes: readonly SuiteAxis[]): SuiteCombination[] {
  let partial: number[][] = [[]];
  for (const axis of axes) partial = partial.flatMap((prefix) => axis.variants.map((_, index) => [...prefix, index]));
  return partial.map((indices) => {
    const variants: Record<string, string> = {};
    axes.forEach((axis, a) => (variants[axis.name] = axis.variants[indices[a]!]!.name));
    return { runName: [suiteName, ...Object.values(variants)].join('-'), variants, indices };
  });
}

/** An exclude entry: axis name → variant-name pattern(s); it matches when every named axis matches. */
export type ExcludeEntry = Record<string, string | readonly string[]>;

/** Whether one of the entries leaves the combination out. */
export function isExcluded(combination: SuiteCombination, exclude: readonly ExcludeEntry[]): boolean {
  return exclude.some((entry) =>
    Object.entries(entry).every(([axis, pattern]) => {
      const variant = combination.variants[axis];
      return variant !== undefined && matchesPattern(variant, pattern);
    }),
  );
}

/** The scenario fields of one combination: the base with each variant's `set` merged in axis order. */
export function mergeCombination(base: Record<string, unknown>, axes: readonly SuiteAxis[], combination: SuiteCombination): Record<string, unknown> {
  let fields = base;
  axes.forEach((axis, a) => (fields = deepMerge(fields, axis.variants[combination.indices[a]!]!.set)));
  return { ...fields, name: combination.runName };
}

/**
 * Index (into `axes`) of the last variant of the combination whose `set` contains `path`; the
 * field's value came from there. -1 when no variant sets it (it came from the base).
 */
export function variantSetting(axes: readonly SuiteAxis[], combination: SuiteCombination, path: readonly (string | number)[]): number {
  for (let a = axes.length - 1; a >= 0; a--) {
    let node: unknown = axes[a]!.variants[combination.indices[a]!]!.set;
    for (const key of path) {
      // a scalar or list this variant set replaced everything below it
      if (!isMapping(node)) return a;
      node = node[String(key)];
      if (node === undefined) break;
    }
    if (node !== undefined) return a;
  }
  return -1;
}
