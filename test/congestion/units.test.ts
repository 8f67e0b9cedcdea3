/**
 * The congestion-control units alone, in virtual time: the delay-based detector on synthetic
 * one-way delay (flat → normal, a growing queue → overusing, a draining one → underusing); AIMD
 * decreasing to 0.85 × the acknowledged rate on overuse and growing about 8 %/s otherwise; the
 * loss-based rate holding below 10 % loss and cutting above; transport feedback built by the
 * receiver and read by the sender's history for any arrival/loss pattern (fast-check: every
 * packet reported once, arrivals within one 250 µs tick, losses as losses, never a throw).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DelayBasedDetector } from '../../src/sender/congestion/delay-based.ts';
import { AimdRateControl } from '../../src/sender/congestion/rate-control.ts';
import { LossBasedRate } from '../../src/sender/congestion/loss-based.ts';
import { SentPacketHistory } from '../../src/sender/congestion/sent-history.ts';
import { TransportFeedbackBuilder } from '../../src/receiver/transport-feedback.ts';
import { parseCompound } from '../../src/shared/rtcp/compound.ts';

/** Packets every 10 ms for `seconds`, with one-way delay `delayMs(t)`; the detector's states. */
function detect(delayMs: (t: number) => number, seconds = 3): string[] {
  const d = new DelayBasedDetector();
  const states: string[] = [];
  for (let t = 0; t < seconds * 1000; t += 10) {
    d.onPacket(t, t + delayMs(t));
    states.push(d.state);
  }
  return states;
}

describe('delay-based detector', () => {
  it('flat delay (with ±1 ms noise) is normal; a queue growing 10 ms per 100 ms is overuse; one draining is underuse', () => {
    const noise = (t: number): number => Math.sin(t * 12.9898) * 1;
    expect(new Set(detect((t) => 20 + noise(t)).slice(50))).toEqual(new Set(['normal']));
    expect(detect((t) => 20 + t / 10).slice(-50)).toContain('overusing');
    expect(detect((t) => 20 + Math.max(0, 300 - t / 5)).slice(50, 100)).toContain('underusing');
  });
});

describe('AIMD rate control', () => {
  it('overuse: down to 0.85 × the acknowledged rate; normal: about 8 % per second; no increase past 1.5 × acked', () => {
    const c = new AimdRateControl({ startBps: 1_000_000, minBps: 50_000, maxBps: 10_000_000, beta: 0.85 });
    expect(c.update('overusing', 800_000, 50, 0)).toBeCloseTo(680_000, -2);
    let rate = 0;
    for (let t = 100; t <= 1100; t += 100) rate = c.update('normal', 5_000_000, 50, t);
    expect(rate / 680_000).toBeGreaterThan(1.06);
    expect(rate / 680_000).toBeLessThan(1.12);
    // the path carried far less than the estimate (application-limited): the estimate does not
    // grow, and is not taken back either (libwebrtc's clamp); an overuse takes it down
    expect(c.update('normal', 100_000, 50, 1200)).toBe(rate);
    expect(c.update('underusing', 100_000, 50, 1300)).toBe(rate);
    expect(c.update('overusing', 100_000, 50, 1400)).toBeCloseTo(85_000, -2);
    const low = new AimdRateControl({ startBps: 100_000, minBps: 50_000, maxBps: 10_000_000, beta: 0.85 });
    let grown = 0;
    for (let t = 100; t <= 5000; t += 100) grown = low.update('normal', 100_000, 50, t);
    expect(grown).toBeLessThanOrEqual(1.5 * 100_000 + 10_000);
  });

  it('a probe result lifts the estimate (never lowers it) and forgets a capacity estimate below it', () => {
    const c = new AimdRateControl({ startBps: 800_000, minBps: 50_000, maxBps: 3_000_000, beta: 0.85 });
    c.update('overusing', 700_000, 50, 0);
    expect(c.capacityBps).toBeCloseTo(700_000, -3);
    expect(c.onProbe(500_000)).toBeCloseTo(595_000, -3);
    expect(c.onProbe(2_000_000)).toBe(2_000_000);
    expect(c.capacityBps).toBeUndefined();
    expect(c.onProbe(9_000_000)).toBe(3_000_000);
  });
});

describe('loss-based rate', () => {
  it('holds between 2 and 10 % loss, grows below 2 %, cuts by half the loss above 10 % (once per interval + RTT)', () => {
    const l = new LossBasedRate({ startBps: 1_000_000, minBps: 50_000, maxBps: 10_000_000, minPackets: 20, decreaseIntervalMs: 300 });
    expect(l.update(100, 95, 50, 0)).toBe(1_000_000); // 5 %: hold
    expect(l.update(100, 80, 50, 1000)).toBeCloseTo(900_000, -2); // 20 %: × (1 − 0.1)
    expect(l.update(100, 80, 50, 1100)).toBeCloseTo(900_000, -2); // within 300 ms + RTT: no second cut
    expect(l.update(100, 100, 50, 2100)).toBeGreaterThan(900_000); // lossless: grows
  });
});

describe('transport feedback: receiver builder → sender history', () => {
  it('any arrival and loss pattern is reported once per packet, arrivals within a tick, losses as losses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.record({ gapMs: fc.double({ min: 0, max: 40, noNaN: true }), lost: fc.boolean() }), { minLength: 1, maxLength: 300 }),
        (firstSeq, pattern) => {
          const history = new SentPacketHistory();
          const builder = new TransportFeedbackBuilder({ senderSsrc: 1, mediaSsrc: 2, intervalMs: 50, maxPacketsPerReport: 100 });
          const arrivals = new Map<number, number>();
          let t = 1_000_000;
          const results = new Map<number, number | undefined>();
          const take = (packets: Uint8Array[]): void => {
            for (const packet of packets) {
              const parsed = parseCompound(packet);
              expect(parsed.ok).toBe(true);
              if (!parsed.ok) return;
              for (const p of parsed.value) {
                if (p.type !== 'twcc') continue;
                for (const r of history.onFeedback(p)) {
                  expect(results.get(r.seq)).toBeUndefined(); // never reported as received twice
                  results.set(r.seq, r.arrivalMs);
                }
              }
            }
          };
          pattern.forEach((p, i) => {
            const seq = (firstSeq + i) & 0xffff;
            t += p.gapMs;
            history.onSent(seq, t - 20, 1000);
            if (!p.lost) {
              builder.onPacket(seq, t);
              arrivals.set(i, t);
            }
            const due = builder.pollTimeout();
            if (due !== undefined && due <= t) take(builder.handleTimeout(t));
          });
          take(builder.handleTimeout(t + 1000));
          // every received packet reported with its arrival (one 250 µs tick of rounding); a lost one
          // before the last received reported as lost (the history's extended seqs start at firstSeq)
          const lastReceived = Math.max(...[...arrivals.keys()], -1);
          pattern.forEach((p, i) => {
            const key = firstSeq + i;
            if (!p.lost) {
              expect(results.get(key)).toBeDefined();
              expect(Math.abs(results.get(key)! - arrivals.get(i)!)).toBeLessThanOrEqual(0.25);
            } else if (i < lastReceived && i > Math.min(...arrivals.keys())) {
              expect(results.has(key)).toBe(true);
              expect(results.get(key)).toBeUndefined();
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a malformed feedback never throws into the sender', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const history = new SentPacketHistory();
      const parsed = parseCompound(bytes);
      if (parsed.ok) for (const p of parsed.value) if (p.type === 'twcc') history.onFeedback(p);
    }));
  });
});
