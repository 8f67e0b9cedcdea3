import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SeqUnwrapper,
  TimestampUnwrapper,
  compareSeq,
  isNewerSeq,
  isNewerTimestamp,
  seqAdd,
  seqDiff,
  seqFromExtended,
  timestampAdd,
  timestampDiff,
} from '../../src/shared/rtp/seq.ts';

describe('sequence number helpers', () => {
  it('compares across the wrap', () => {
    expect(isNewerSeq(0, 65535)).toBe(true);
    expect(isNewerSeq(65535, 0)).toBe(false);
    expect(seqDiff(2, 65534)).toBe(4);
    expect(seqDiff(65534, 2)).toBe(-4);
    expect(seqAdd(65535, 1)).toBe(0);
    expect(seqAdd(0, -1)).toBe(65535);
    expect(isNewerSeq(5, 5)).toBe(false);
  });

  it('seqDiff inverts seqAdd for any delta within half a ring', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: -32767, max: 32768 }), (seq, delta) => {
        expect(seqDiff(seqAdd(seq, delta), seq)).toBe(delta);
        expect(isNewerSeq(seqAdd(seq, delta), seq)).toBe(delta > 0);
      }),
    );
  });

  it('sorts wrapped sequence numbers with the comparator', () => {
    const sorted = [65534, 1, 65535, 0, 2].sort(compareSeq);
    expect(sorted).toEqual([65534, 65535, 0, 1, 2]);
  });

  it('timestamp helpers wrap at 2^32', () => {
    expect(isNewerTimestamp(10, 0xffff_fff0)).toBe(true);
    expect(timestampDiff(10, 0xffff_fff0)).toBe(26);
    expect(timestampAdd(0xffff_ffff, 3000)).toBe(2999);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 }), (ts, delta) => {
        expect(timestampDiff(timestampAdd(ts, delta), ts)).toBe(delta);
      }),
    );
  });
});

describe('unwrappers', () => {
  it('unwraps a sequence that wraps several times', () => {
    const unwrapper = new SeqUnwrapper();
    let lastTruth = 0;
    for (let i = 0; i < 200_000; i += 997) {
      lastTruth = 65000 + i;
      expect(unwrapper.unwrap(seqAdd(65000, i))).toBe(lastTruth);
    }
    expect(lastTruth).toBeGreaterThan(3 * 65536);
    expect(unwrapper.last).toBe(lastTruth);
  });

  it('any path of steps below half a ring unwraps to the true extended number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.array(fc.integer({ min: -32767, max: 32767 }), { maxLength: 200 }),
        (start, steps) => {
          const unwrapper = new SeqUnwrapper();
          let truth = start;
          expect(unwrapper.unwrap(start)).toBe(start);
          for (const step of steps) {
            truth += step;
            expect(unwrapper.unwrap(seqAdd(0, truth))).toBe(truth);
            expect(seqFromExtended(truth)).toBe(seqAdd(0, truth));
          }
        },
      ),
    );
  });

  it('peek does not move the reference', () => {
    const unwrapper = new SeqUnwrapper();
    unwrapper.unwrap(65535);
    expect(unwrapper.peek(0)).toBe(65536);
    expect(unwrapper.peek(65534)).toBe(65534);
    expect(unwrapper.last).toBe(65535);
    expect(unwrapper.unwrap(65534)).toBe(65534);
    expect(unwrapper.unwrap(1)).toBe(65537);
  });

  it('reorder before the first value goes negative, reset starts over', () => {
    const unwrapper = new SeqUnwrapper();
    unwrapper.unwrap(0);
    expect(unwrapper.unwrap(65535)).toBe(-1);
    expect(seqFromExtended(-1)).toBe(65535);
    unwrapper.reset();
    expect(unwrapper.last).toBeUndefined();
    expect(unwrapper.unwrap(65535)).toBe(65535);
  });

  it('unwraps 32-bit timestamps across the wrap', () => {
    const unwrapper = new TimestampUnwrapper();
    expect(unwrapper.unwrap(0xffff_f000)).toBe(0xffff_f000);
    expect(unwrapper.unwrap(0x0000_1000)).toBe(0x1_0000_1000);
    expect(unwrapper.unwrap(0xffff_ff00)).toBe(0xffff_ff00);
    expect(unwrapper.unwrap(0x7fff_0000)).toBe(0x1_7fff_0000);
  });
});
