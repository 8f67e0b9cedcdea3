/**
 * Distribution summaries. Percentiles use the **nearest-rank** definition: the P-th percentile of
 * N sorted values is the value at 1-based rank ceil(P/100 × N) (P = 0 gives the minimum). It is
 * always one of the measured values, never an interpolation.
 */

/** Summary of a set of values (same unit as the values); null fields when there are none. */
export interface DistributionStats {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Sorts a copy ascending (numeric comparator). */
export function sortedAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * Nearest-rank percentile of already sorted values; `percent` in [0, 100].
 * Returns null for an empty set.
 */
export function percentileSorted(sorted: readonly number[], percent: number): number | null {
  if (!(percent >= 0 && percent <= 100)) throw new RangeError(`percentile out of range: ${percent}`);
  if (sorted.length === 0) return null;
  // percent × N is an exact integer product for integer percents, so the division is exact
  // whenever the rank is a whole number (no 19.000000000000004 rounding up to 20).
  const rank = Math.max(1, Math.ceil((percent * sorted.length) / 100));
  return sorted[rank - 1]!;
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], percent: number): number | null {
  return percentileSorted(sortedAscending(values), percent);
}

/** count, min, mean, p50, p95, p99, max of the values. */
export function summarize(values: readonly number[]): DistributionStats {
  const sorted = sortedAscending(values);
  if (sorted.length === 0) return { count: 0, min: null, mean: null, p50: null, p95: null, p99: null, max: null };
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}

/** One point of an empirical CDF: fraction (0..1) of values <= value. */
export interface CdfPoint {
  value: number;
  fraction: number;
}

/**
 * Empirical CDF as a step list: for each distinct value v, the fraction of values <= v.
 * With more distinct values than `maxPoints`, keeps evenly spaced ranks (always the last one).
 */
export function empiricalCdf(values: readonly number[], maxPoints = 500): CdfPoint[] {
  const sorted = sortedAscending(values);
  const points: CdfPoint[] = [];
  for (let index = 0; index < sorted.length; index += 1) {
    const value = sorted[index]!;
    if (index + 1 < sorted.length && sorted[index + 1] === value) continue;
    points.push({ value, fraction: (index + 1) / sorted.length });
  }
  if (points.length <= maxPoints) return points;
  const kept: CdfPoint[] = [];
  const step = points.length / maxPoints;
  for (let k = 0; k < maxPoints - 1; k += 1) kept.push(points[Math.floor(k * step)]!);
  kept.push(points[points.length - 1]!);
  return kept;
}
