import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { empiricalCdf, percentile, summarize } from '../../lab/metrics/stats.ts';

describe('nearest-rank percentile', () => {
  it('matches the textbook example (15, 20, 35, 40, 50)', () => {
    const values = [50, 15, 40, 20, 35];
    expect(percentile(values, 5)).toBe(15); // rank ceil(0.25) = 1
    expect(percentile(values, 30)).toBe(20); // rank ceil(1.5) = 2
    expect(percentile(values, 40)).toBe(20); // rank 2 exactly
    expect(percentile(values, 50)).toBe(35); // rank ceil(2.5) = 3
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 0)).toBe(15);
  });

  it('does not round a whole rank up through floating point error', () => {
    const oneToTwenty = Array.from({ length: 20 }, (_, index) => index + 1);
    expect(percentile(oneToTwenty, 95)).toBe(19); // 0.95 × 20 = 19 → rank 19, not 20
    const oneToHundred = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 57)).toBe(57);
  });

  it('is null for no values and rejects percents outside 0..100', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('property: at least P% of values are <= the result and fewer than P% are below it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const result = percentile(values, p)!;
        const rank = Math.ceil((p * values.length) / 100);
        expect(values).toContain(result);
        expect(values.filter((value) => value <= result).length).toBeGreaterThanOrEqual(rank);
        expect(values.filter((value) => value < result).length).toBeLessThan(rank);
      }),
    );
  });
});

describe('summarize', () => {
  it('gives count, min, mean, p50/p95/p99, max', () => {
    expect(summarize([50, 15, 40, 20, 35])).toEqual({ count: 5, min: 15, mean: 32, p50: 35, p95: 50, p99: 50, max: 50 });
  });
  it('has nulls for an empty set', () => {
    expect(summarize([])).toEqual({ count: 0, min: null, mean: null, p50: null, p95: null, p99: null, max: null });
  });
});

describe('empiricalCdf', () => {
  it('steps at each distinct value', () => {
    expect(empiricalCdf([3, 1, 2, 2])).toEqual([
      { value: 1, fraction: 0.25 },
      { value: 2, fraction: 0.75 },
      { value: 3, fraction: 1 },
    ]);
  });
  it('thins to maxPoints and keeps the last point', () => {
    const cdf = empiricalCdf(Array.from({ length: 1000 }, (_, index) => index), 100);
    expect(cdf).toHaveLength(100);
    expect(cdf[cdf.length - 1]).toEqual({ value: 999, fraction: 1 });
    expect(cdf.every((point, index) => index === 0 || point.value > cdf[index - 1]!.value)).toBe(true);
  });
});
