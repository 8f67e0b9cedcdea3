import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAboutEqually } from '../../src/sender/h264/balanced-split.ts';

describe('splitAboutEqually', () => {
  it('splits evenly when all positions have the same room', () => {
    expect(splitAboutEqually(10, { first: 4, middle: 4, last: 4 })).toEqual([3, 3, 4]);
    expect(splitAboutEqually(8, { first: 4, middle: 4, last: 4 })).toEqual([4, 4]);
    expect(splitAboutEqually(1000, { first: 100, middle: 100, last: 100 })!.every((s) => s === 100)).toBe(true);
  });

  it('gives a first packet with bigger headers proportionally less', () => {
    // room first 80, middle 100: effective sizes (size + 20 for the first) balance to 90/90
    expect(splitAboutEqually(160, { first: 80, middle: 100, last: 100 })).toEqual([70, 90]);
  });

  it('refuses what cannot be split', () => {
    expect(splitAboutEqually(1, { first: 5, middle: 5, last: 5 })).toBeUndefined();
    expect(splitAboutEqually(10, { first: 0, middle: 5, last: 5 })).toBeUndefined();
  });

  it('uses the fewest fragments, fits every position and balances sizes within 1 byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50_000 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.integer({ min: 20, max: 1500 }),
        fc.integer({ min: 1, max: 1500 }),
        (total, first, middle, last) => {
          const sizes = splitAboutEqually(total, { first, middle, last })!;
          const n = sizes.length;
          expect(n).toBeGreaterThanOrEqual(2);
          expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
          const room = (i: number) => (i === 0 ? first : i === n - 1 ? last : middle);
          expect(sizes.every((s, i) => s >= 1 && s <= room(i))).toBe(true);
          if (n > 2) expect(first + last + (n - 3) * middle).toBeLessThan(total);
          // effective size = size + (middle room − position room); equal ±1 unless clamped at 1 byte
          const effective = sizes.map((s, i) => s + middle - room(i));
          const unclamped = effective.filter((_, i) => sizes[i]! > 1);
          if (unclamped.length > 0) {
            expect(Math.max(...unclamped) - Math.min(...unclamped)).toBeLessThanOrEqual(1);
            const clamped = effective.filter((_, i) => sizes[i] === 1);
            // a 1-byte fragment is in the band, or one whose balanced share would have been < 1 byte
            for (const c of clamped) expect(c).toBeGreaterThanOrEqual(Math.max(...unclamped) - 1);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
