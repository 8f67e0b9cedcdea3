/**
 * The two other feedback formats in virtual time, through the pipelines and the link model (the
 * harness of test/sim/congestion.test.ts): with `feedback: ccfb` the receiver sends RFC 8888
 * reports instead of transport-wide feedback and googcc adapts to the 2 Mbit/s → 600 kbit/s step
 * as it does on twcc (this seed: ≈ 1.45 Mbit/s at the drop, under 600 kbit/s 0.5 s after it, the
 * queue's p95 ≈ 30 ms 9–12 s after it; twcc: 1.44 Mbit/s, 0.5 s, ≈ 70 ms); a peer's REMB of
 * 500 kbit/s at 6 s on a 5 Mbit/s path caps the target (≈ 1.25 Mbit/s before) at once, with
 * either format, and the link then carries ≈ 510 kbit/s instead of ≈ 1070.
 */
import { describe, expect, it } from 'vitest';
import { p95, simulate } from './congestion-harness.ts';
import { encodeRemb } from '../../src/shared/rtcp/remb.ts';

const STEP_LINK = '{ backend: userspace, delay: 20ms, rate: 2mbit, queue: { packets: 60 } }';
const STEP_TIMELINE = 'timeline:\n  - at: 8s\n    set: { rate: 600kbit }\n';
const WIDE_LINK = '{ backend: userspace, delay: 20ms, rate: 5mbit, queue: { packets: 100 } }';

describe('RFC 8888 feedback and REMB in virtual time', () => {
  it('ccfb: the capacity drop is followed as on transport-wide feedback', () => {
    // probing off, as the twcc drain test (test/sim/congestion.test.ts)
    const ccfb = simulate('{ mode: googcc, feedback: ccfb, startRate: 800kbps, maxRate: 3mbps, probing: false }', STEP_LINK, STEP_TIMELINE);
    const twcc = simulate('{ mode: googcc, feedback: twcc, startRate: 800kbps, maxRate: 3mbps, probing: false }', STEP_LINK, STEP_TIMELINE);
    const sent = ccfb.feedback.filter((f) => f.side === 'receiver' && f.dir === 'out');
    expect(sent.filter((f) => f.kind === 'ccfb').length).toBeGreaterThan(300);
    expect(sent.filter((f) => f.kind === 'twcc').length).toBe(0);
    expect(ccfb.bwe.length).toBeGreaterThan(300);
    // the same assertions as the twcc test, and within 10 % of twcc's own figures
    expect(ccfb.targetAt(7900)).toBeGreaterThan(900_000);
    expect(Math.abs(ccfb.targetAt(7900) / twcc.targetAt(7900) - 1)).toBeLessThan(0.1);
    expect(ccfb.targetAt(9000)).toBeLessThan(600_000);
    expect(ccfb.targetAt(11_000)).toBeLessThan(600_000);
    expect(p95(ccfb.queueDelayMs(8_500, 9_500))).toBeGreaterThan(300);
    expect(p95(ccfb.queueDelayMs(17_000, 20_000))).toBeLessThan(100);
    expect(ccfb.sentKbps(10_000, 20_000)).toBeGreaterThan(450);
    expect(ccfb.drops(9000, 20_000)).toBeLessThanOrEqual(twcc.drops(9000, 20_000) + 5);
  });

  it('a REMB for our stream caps the target from its arrival, with either feedback format', () => {
    for (const feedback of ['twcc', 'ccfb']) {
      const s = simulate(`{ mode: googcc, feedback: ${feedback}, startRate: 800kbps, maxRate: 3mbps }`, WIDE_LINK, '', {
        injectDown: [{ atMs: 6000, datagram: (ssrc) => encodeRemb({ senderSsrc: 77, mediaSsrc: 0, bitrateBps: 500_000, ssrcs: [ssrc] }) }],
      });
      expect(s.targetAt(5900)).toBeGreaterThan(1_000_000);
      expect(s.feedback.filter((f) => f.kind === 'remb').map((f) => f.bitrateBps)).toEqual([500_000]);
      const after = s.bwe.filter((e) => e.timeMs > 1000 + 6000);
      expect(after.length).toBeGreaterThan(200);
      for (const e of after) {
        expect(Number(e.detail!.targetBps)).toBeLessThanOrEqual(500_000);
        expect(e.detail!.rembBps).toBe(500_000);
      }
      expect(s.bwe.filter((e) => e.timeMs < 1000 + 6000).some((e) => 'rembBps' in e.detail!)).toBe(false);
      expect(s.sentKbps(2000, 6000)).toBeGreaterThan(900);
      expect(s.sentKbps(7000, 20_000)).toBeLessThan(550);
    }
  });
});
