import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeProtection, type ProtectionInput } from '../../src/sender/fec-controller/protection.ts';
import { resolveProtectionOptions } from '../../src/sender/fec-controller/protection-options.ts';
import { defaultFecRateTable, tableFactor } from '../../src/sender/fec-controller/rate-table.ts';

const options = resolveProtectionOptions();

const inputArb = fc.record({
  method: fc.constantFrom('fec' as const, 'nack-fec' as const, 'nack' as const, 'none' as const),
  targetBitrateBps: fc.integer({ min: 0, max: 20_000_000 }),
  frameRateFps: fc.integer({ min: 0, max: 120 }),
  width: fc.integer({ min: 16, max: 3840 }),
  height: fc.integer({ min: 16, max: 2160 }),
  lossFraction255: fc.integer({ min: 0, max: 255 }),
  rttMs: fc.integer({ min: 0, max: 1000 }),
  packetsPerDeltaFrame: fc.double({ min: -1, max: 300, noNaN: true }),
  packetsPerKeyFrame: fc.double({ min: -1, max: 300, noNaN: true }),
});

/** Loss columns where some table row decreases (found by scanning the table below). */
function tableDips(): { row: number; column: number }[] {
  const t = defaultFecRateTable();
  const dips: { row: number; column: number }[] = [];
  for (let r = 0; r < t.rows; r++) for (let c = 1; c < t.columns; c++) if (tableFactor(t, r, c) < tableFactor(t, r, c - 1)) dips.push({ row: r, column: c });
  return dips;
}

describe('protection properties', () => {
  it('factors stay within 0..255 (0..128 before conversion) and maxFramesFec within 1..6', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = computeProtection(input, options);
        for (const v of [r.deltaFactor, r.keyFactor]) expect(v >= 0 && v <= 255 && Number.isInteger(v)).toBe(true);
        for (const v of [r.deltaFactorOfTotal, r.keyFactorOfTotal]) expect(v >= 0 && v <= 128).toBe(true);
        expect(r.maxFramesFec >= 1 && r.maxFramesFec <= 6).toBe(true);
        // The key factor is never below the delta factor (libwebrtc boosts key frames).
        expect(r.keyFactor).toBeGreaterThanOrEqual(r.deltaFactor);
      }),
      { numRuns: 2000 },
    );
  });

  it('no FEC when loss is 0, or when the method is nack or none', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const zeroLoss = computeProtection({ ...input, lossFraction255: 0 }, options);
        expect([zeroLoss.deltaFactor, zeroLoss.keyFactor]).toEqual([0, 0]);
        for (const method of ['nack', 'none'] as const) {
          const r = computeProtection({ ...input, method }, options);
          expect([r.deltaFactor, r.keyFactor, r.maxFramesFec]).toEqual([0, 0, 1]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('libwebrtc table is not monotone in loss: rows 1..4 drop at loss 120', () => {
    expect(tableDips()).toEqual([1, 2, 3, 4].map((row) => ({ row, column: 120 })));
  });

  it('factors are non-decreasing in loss, except across a dip of the table', () => {
    const dipColumns = new Set(tableDips().map((d) => d.column));
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (input, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const low = computeProtection({ ...input, lossFraction255: lo }, options);
        const high = computeProtection({ ...input, lossFraction255: hi }, options);
        const crossesDip = [...dipColumns].some((c) => Math.min(lo, 128) < c && Math.min(hi, 128) >= c);
        const rowsWithDip = [low.deltaRateIndex, low.keyRateIndex].some((row) => row >= 1 && row <= 4);
        if (crossesDip && rowsWithDip) return;
        expect(high.deltaFactor).toBeGreaterThanOrEqual(low.deltaFactor);
        expect(high.keyFactor).toBeGreaterThanOrEqual(low.keyFactor);
      }),
      { numRuns: 3000 },
    );
  });

  it('the dip is real: delta protection falls from loss 119 to 120 on row 1', () => {
    // 720p at 30 fps: 600 kbps → 20 kbits/frame → effective 15 → row 2; 400 kbps → 13 → effective 10 → row 1
    const at = (loss: number) => computeProtection({ method: 'fec', targetBitrateBps: 400e3, frameRateFps: 30, width: 1280, height: 720, lossFraction255: loss, rttMs: 100, packetsPerDeltaFrame: 2, packetsPerKeyFrame: 10 }, options);
    expect(at(119).deltaRateIndex).toBe(1);
    expect(at(120).deltaFactor).toBeLessThan(at(119).deltaFactor);
  });

  it('hybrid: delta FEC off below the low RTT threshold and identical to FEC-only from it on', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 1000 }), (input, rttMs) => {
        const hybrid = computeProtection({ ...input, method: 'nack-fec', rttMs }, options);
        const fecOnly = computeProtection({ ...input, method: 'fec', rttMs }, options);
        if (hybrid.limitedBy === 'bitrate-too-low') {
          expect([hybrid.deltaFactor, hybrid.keyFactor]).toEqual([0, 0]);
          expect(rttMs).toBeLessThan(200);
          return;
        }
        expect(hybrid.keyFactor).toBe(fecOnly.keyFactor);
        expect(hybrid.deltaFactor).toBe(rttMs < 20 ? 0 : fecOnly.deltaFactor);
      }),
      { numRuns: 2000 },
    );
  });

  it('hybrid switches exactly at 20 ms (delta) and 200 ms (bitrate rule); max frames grow with RTT up to 6', () => {
    const input: ProtectionInput = { method: 'nack-fec', targetBitrateBps: 1.5e6, frameRateFps: 30, width: 1280, height: 720, lossFraction255: 38, rttMs: 0, packetsPerDeltaFrame: 4, packetsPerKeyFrame: 20 };
    expect(computeProtection({ ...input, rttMs: 19 }, options).deltaFactor).toBe(0);
    expect(computeProtection({ ...input, rttMs: 20 }, options).deltaFactor).toBeGreaterThan(0);
    const small: ProtectionInput = { ...input, targetBitrateBps: 200e3 }; // 6 kbits = 750 bytes/frame < 1000 at 720p
    expect(computeProtection({ ...small, rttMs: 199 }, options).keyFactor).toBe(0);
    expect(computeProtection({ ...small, rttMs: 200 }, options).keyFactor).toBeGreaterThan(0);
    let previous = 0;
    for (let rtt = 0; rtt <= 400; rtt += 5) {
      const frames = computeProtection({ ...input, rttMs: rtt }, options).maxFramesFec;
      expect(frames).toBeGreaterThanOrEqual(previous);
      previous = frames;
    }
    expect(previous).toBe(6);
  });

  it('optional hybrid tuning: mid-RTT scaling, a high threshold, and key FEC off at low RTT', () => {
    const tuned = resolveProtectionOptions({ highRttNackMs: 150, midRttDeltaScale: 0.5, keyFecBelowLowRtt: false });
    const input: ProtectionInput = { method: 'nack-fec', targetBitrateBps: 2e6, frameRateFps: 30, width: 1280, height: 720, lossFraction255: 38, rttMs: 100, packetsPerDeltaFrame: 5, packetsPerKeyFrame: 25 };
    const full = computeProtection({ ...input, method: 'fec' }, options);
    const mid = computeProtection(input, tuned);
    expect(mid.deltaFactorOfTotal).toBe(Math.trunc(full.deltaFactorOfTotal * 0.5));
    expect(mid.limitedBy).toBe('mid-rtt-scaled');
    expect(computeProtection({ ...input, rttMs: 150 }, tuned).deltaFactor).toBe(full.deltaFactor);
    expect(computeProtection({ ...input, rttMs: 5 }, tuned)).toMatchObject({ deltaFactor: 0, keyFactor: 0 });
  });

  it('rejects options out of range with a typed error naming the option', () => {
    expect(() => resolveProtectionOptions({ maxRateIndex: 50 })).toThrow(expect.objectContaining({ code: 'FEC_OPTION_INVALID', option: 'maxRateIndex' }));
    expect(() => resolveProtectionOptions({ lowRttNackMs: 100, highRttNackMs: 50 })).toThrow(/highRttNackMs/);
    expect(() => resolveProtectionOptions({ midRttDeltaScale: 2 })).toThrow(/midRttDeltaScale/);
  });
});
