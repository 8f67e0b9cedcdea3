import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SrtpIndexEstimator, SrtpIndexTable } from '../../src/transport/srtp-index.ts';

const HALF = 0x8000;

/** Receives `index` (true 48-bit index): estimates from its low 16 bits, checks, commits. */
function receive(estimator: SrtpIndexEstimator, index: number): number | undefined {
  const guess = estimator.estimate(index % 0x10000);
  if (guess) estimator.commit(guess);
  return guess?.index;
}

describe('SrtpIndexEstimator (RFC 3711 §3.3.1)', () => {
  it('finds the true index of every packet whose distance to the highest one is below 2^15', () => {
    // steps relative to the highest index so far: mostly forward (across many wraps), some back (reordering)
    const step = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: HALF - 1 }) },
      { weight: 2, arbitrary: fc.integer({ min: -(HALF - 1), max: 0 }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(step, { minLength: 1, maxLength: 400 }), (first, steps) => {
        const estimator = new SrtpIndexEstimator();
        expect(receive(estimator, first)).toBe(first);
        let highest = first;
        for (const delta of steps) {
          const index = highest + delta;
          if (index < 0) continue;
          expect(receive(estimator, index)).toBe(index);
          highest = Math.max(highest, index);
          expect(estimator.state).toEqual({ roc: Math.floor(highest / 0x10000), highestSeq: highest % 0x10000 });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('handles reordering within a window around the wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0x10000 - 2000, max: 0xffff }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 200, maxLength: 3000 }),
        (first, keys) => {
          // consecutive indices starting below the wrap, each displaced by up to 1000 positions
          const order = keys.map((key, i) => ({ index: first + i, at: i + key })).sort((a, b) => a.at - b.at || a.index - b.index);
          const estimator = new SrtpIndexEstimator({ roc: 0, highestSeq: first - 1 });
          for (const { index } of order) expect(receive(estimator, index)).toBe(index);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('is not moved by packets that fail authentication (estimated, never committed)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 3 })), { maxLength: 300 }),
        (first, stream) => {
          const estimator = new SrtpIndexEstimator();
          receive(estimator, first);
          let index = first;
          for (const [gap, forgedSeqs] of stream) {
            for (const forged of forgedSeqs) {
              const before = estimator.state;
              estimator.estimate(forged);
              expect(estimator.state).toEqual(before);
            }
            index += gap;
            expect(receive(estimator, index)).toBe(index);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('applies the half-range rule exactly as RFC 3711 writes it', () => {
    const low = new SrtpIndexEstimator({ roc: 5, highestSeq: 100 });
    expect(low.estimate(100 + HALF)?.roc).toBe(5); // SEQ − s_l = 2^15: not more than 2^15, same ROC
    expect(low.estimate(100 + HALF + 1)?.roc).toBe(4); // more than 2^15 ahead: a late packet of ROC − 1
    const high = new SrtpIndexEstimator({ roc: 5, highestSeq: 40_000 });
    expect(high.estimate(40_000 - HALF)?.roc).toBe(5);
    expect(high.estimate(40_000 - HALF - 1)?.roc).toBe(6);
    // werift's failing case: s_l = 65300 and the next packet that arrives is 300 after the wrap
    expect(new SrtpIndexEstimator({ roc: 0, highestSeq: 65_300 }).estimate(300)).toEqual({ roc: 1, seq: 300, index: 0x10000 + 300 });
  });

  it('starts at ROC 0 with the first authenticated packet and refuses an index below 0', () => {
    const estimator = new SrtpIndexEstimator();
    expect(estimator.state).toBeUndefined();
    expect(estimator.estimate(65_000)).toEqual({ roc: 0, seq: 65_000, index: 65_000 });
    expect(estimator.state).toBeUndefined();
    receive(estimator, 10);
    expect(estimator.estimate(65_000)).toBeUndefined(); // would be ROC −1
    expect(estimator.estimate(11)?.index).toBe(11);
  });

  it('keeps one estimator per SSRC, seeded once', () => {
    const table = new SrtpIndexTable();
    let seeds = 0;
    const seed = (_ssrc: number) => {
      seeds++;
      return { roc: 3, highestSeq: 7 };
    };
    const a = table.forSsrc(1, seed);
    expect(table.forSsrc(1, seed)).toBe(a);
    expect(a.state).toEqual({ roc: 3, highestSeq: 7 });
    expect(table.forSsrc(2).state).toBeUndefined();
    expect(seeds).toBe(1);
  });
});
