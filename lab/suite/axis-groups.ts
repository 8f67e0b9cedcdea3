import type { SuiteJson, SuiteRunEntry } from './suite-json.ts';

/**
 * The suite's runs grouped by every axis but `axis` (in the suite's order), keyed by the other
 * axes' variant names joined with " · " ("all" when there are none): the runs of one group differ
 * only in `axis`, so a side-by-side section compares like with like.
 */
export function groupByOtherAxes(suite: SuiteJson, axis: string): Map<string, SuiteRunEntry[]> {
  const others = suite.axes.filter((a) => a.name !== axis);
  const groups = new Map<string, SuiteRunEntry[]>();
  for (const run of suite.runs) {
    const key = others.map((a) => run.variants[a.name] ?? '—').join(' · ') || 'all';
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return groups;
}
