import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numFecPackets } from '../../src/shared/fec/num-fec.ts';

describe('numFecPackets', () => {
  it('rounds numMedia × factor / 256 to nearest, ties up', () => {
    // [numMedia, factor (1/255), expected] worked by hand from (n·f + 128) >> 8.
    const cases: [number, number, number][] = [
      [10, 0, 0],
      [10, 1, 1], // (10 + 128) >> 8 = 0 → at least 1
      [10, 26, 1], // 388 >> 8
      [10, 38, 1], // 508 >> 8
      [10, 39, 2], // 518 >> 8
      [10, 64, 3], // 768 >> 8
      [4, 200, 3], // 928 >> 8
      [20, 128, 10], // 2688 >> 8
      [48, 255, 48], // 12368 >> 8
      [1, 255, 1], // 383 >> 8
      [3, 255, 3], // 893 >> 8
      [2, 64, 1], // 256 >> 8
      [0, 100, 0],
    ];
    for (const [n, f, expected] of cases) expect(numFecPackets(n, f)).toBe(expected);
  });

  it('caps at the max FEC packets allowed', () => {
    expect(numFecPackets(48, 255, 10)).toBe(10);
    expect(numFecPackets(40, 128, 12)).toBe(12);
  });

  it('matches floor((n·f + 128) / 256), min 1 when f > 0, within 1..numMedia', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 48 }), fc.integer({ min: 0, max: 255 }), (n, f) => {
        const got = numFecPackets(n, f);
        const plain = Math.floor((n * f + 128) / 256);
        expect(got).toBe(f === 0 ? 0 : Math.min(n, Math.max(1, plain)));
        expect(got).toBeLessThanOrEqual(n);
      }),
    );
  });
});
