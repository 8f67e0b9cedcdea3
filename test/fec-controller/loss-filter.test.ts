import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLossFilter } from '../../src/sender/fec-controller/loss-filter.ts';

describe('loss filter, libwebrtc mode (10 buckets of 1 s)', () => {
  it('holds a spike for the 10 s window and then forgets it (virtual time)', () => {
    const filter = createLossFilter();
    expect(filter.filtered(0)).toBe(0);
    expect(filter.update(80, 0)).toBe(80); // first report opens the history
    // quiet reports every 500 ms: a new bucket opens at 1000, 2000, ...
    for (let t = 500; t <= 9_500; t += 500) expect(filter.update(0, t)).toBe(80);
    // the bucket opened at 10 000 is the 11th: the spike's bucket is shifted out of the 10-entry history
    expect(filter.update(0, 10_000)).toBe(0);
    expect(filter.filtered(20_000)).toBe(0);
  });

  it('with sparse reports the spike expires by age: kept while now − t ≤ 10 000 ms', () => {
    const filter = createLossFilter();
    filter.update(80, 0);
    for (const t of [3_000, 6_000, 9_000]) expect(filter.update(0, t)).toBe(80);
    expect(filter.filtered(10_000)).toBe(80);
    expect(filter.filtered(10_001)).toBe(0);
  });

  it('collects the max within the open bucket before it is recorded', () => {
    const filter = createLossFilter();
    filter.update(10, 0);
    expect(filter.update(30, 200)).toBe(30); // open bucket max, not yet in history
    expect(filter.update(20, 900)).toBe(30);
    expect(filter.update(5, 1000)).toBe(30); // closes the bucket: history gets 30 (the closing 5 is dropped, as in libwebrtc)
    expect(filter.filtered(10_999)).toBe(30);
    expect(filter.filtered(10_000)).toBe(30); // the t=0 bucket (10) is exactly 10 s old: still counted, but 30 is larger
    expect(filter.filtered(11_001)).toBe(0); // the t=1000 bucket (30) is now more than 10 s old
  });

  it('drops the report that closes a non-zero bucket, uses it when the bucket max is 0', () => {
    const a = createLossFilter();
    a.update(0, 0);
    a.update(10, 100); // open bucket max 10
    a.update(90, 1200); // closes bucket with max 10; 90 is not recorded
    expect(a.filtered(1200)).toBe(10);
    const b = createLossFilter();
    b.update(0, 0);
    b.update(0, 100);
    b.update(90, 1200); // bucket max 0 → the closing report is taken
    expect(b.filtered(1200)).toBe(90);
  });

  it('keeps at most 10 buckets', () => {
    const filter = createLossFilter();
    filter.update(200, 0);
    for (let i = 1; i <= 10; i++) filter.update(1, i * 1000);
    // 11 buckets were written; the first (200) was shifted out even though 10 000 ms is not > window
    expect(filter.filtered(10_000)).toBe(1);
  });

  it('clamps out-of-range loss to 0..255', () => {
    const filter = createLossFilter();
    expect(filter.update(999, 0)).toBe(255);
    expect(createLossFilter().update(-4, 0)).toBe(0);
    expect(createLossFilter().update(Number.NaN, 0)).toBe(0);
  });
});

describe('loss filter, sliding mode', () => {
  it('equals a brute-force max over the window for any report sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 255 })), { maxLength: 60 }),
        fc.integer({ min: 500, max: 5000 }),
        (steps, windowMs) => {
          const filter = createLossFilter({ mode: 'sliding', windowMs });
          const seen: [number, number][] = [];
          let now = 0;
          for (const [dt, loss] of steps) {
            now += dt;
            seen.push([now, loss]);
            const want = Math.max(0, ...seen.filter(([t]) => now - t <= windowMs).map(([, l]) => l));
            expect(filter.update(loss, now)).toBe(want);
          }
          const later = now + windowMs / 2;
          expect(filter.filtered(later)).toBe(Math.max(0, ...seen.filter(([t]) => later - t <= windowMs).map(([, l]) => l)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects a non-positive window with a typed error', () => {
    expect(() => createLossFilter({ windowMs: 0 })).toThrow(expect.objectContaining({ code: 'FEC_OPTION_INVALID' }));
  });
});
