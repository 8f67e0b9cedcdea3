import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpTimestampClock, initialSequenceNumber, seededUint32 } from '../../src/sender/rtp-clock.ts';
import { timestampDiff } from '../../src/shared/rtp/seq.ts';

describe('RTP clock', () => {
  it('same seed, same base; different seeds, different bases', () => {
    const a = new RtpTimestampClock({ clockRateHz: 90_000, seed: 42 });
    const b = new RtpTimestampClock({ clockRateHz: 90_000, seed: 42 });
    const c = new RtpTimestampClock({ clockRateHz: 90_000, seed: 43 });
    expect(a.baseTimestamp).toBe(b.baseTimestamp);
    expect(a.baseTimestamp).not.toBe(c.baseTimestamp);
    const bases = new Set(Array.from({ length: 1000 }, (_, s) => seededUint32(s, 1)));
    expect(bases.size).toBe(1000);
    expect(initialSequenceNumber(7)).toBeLessThan(0x8000);
  });

  it('advances 90 ticks per ms, wraps to uint32, and ns agrees with ms', () => {
    const clock = new RtpTimestampClock({ clockRateHz: 90_000, seed: 1 });
    expect(clock.fromMs(0)).toBe(clock.baseTimestamp);
    expect(timestampDiff(clock.fromMs(1000 / 30), clock.fromMs(0))).toBe(3000);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 0, max: 100_000 }), (ms, deltaMs) => {
        const t = clock.fromMs(ms);
        expect(t).toBeGreaterThanOrEqual(0);
        expect(t).toBeLessThan(2 ** 32);
        expect(clock.fromNs(BigInt(ms) * 1_000_000n)).toBe(t);
        expect(timestampDiff(clock.fromMs(ms + deltaMs), t)).toBe(deltaMs * 90);
      }),
    );
  });
});
