/**
 * Congestion control in virtual time, through the pipelines and the link model: transport-wide
 * feedback from the receiver drives the sender's estimate, and the estimate the encoder (the
 * rate model's frame sizes), the pacer and the FEC controller. On a link whose capacity drops
 * from 2 Mbit/s to 600 kbit/s, the target falls below the new capacity within 3 s and the link's
 * queueing delay comes back down within 9 s; with a fixed target the queue stays full and the
 * link drops packets. Random 1 % loss at constant capacity does not pull the estimate down.
 */
import { describe, expect, it } from 'vitest';
import { simulate } from './congestion-harness.ts';

const p95 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] ?? NaN;
const STEP_LINK = '{ backend: userspace, delay: 20ms, rate: 2mbit, queue: { packets: 60 } }';
const STEP_TIMELINE = 'timeline:\n  - at: 8s\n    set: { rate: 600kbit }\n';

describe('congestion control (googcc) in virtual time', () => {
  it('a capacity drop from 2 Mbit/s to 600 kbit/s: the target follows it down within 3 s and the queue drains within 9 s', () => {
    // probing off: this is the AIMD drain (with probing the estimate starts the drop nearer the
    // capacity and the queue it leaves takes longer to drain; the probing test below)
    const s = simulate('{ mode: googcc, startRate: 800kbps, maxRate: 3mbps, probing: false }', STEP_LINK, STEP_TIMELINE);
    expect(s.bwe.length).toBeGreaterThan(100);
    // before the drop the estimate has grown past its start
    expect(s.targetAt(7900)).toBeGreaterThan(900_000);
    // three seconds after it, the target is under the new capacity
    expect(s.targetAt(11_000)).toBeLessThan(600_000);
    // the queue the drop filled (60 packets, ≈ 0.5 s at the new rate) drains: the link's own delay
    // beyond the configured 20 ms is short again 9 s after the drop (this seed: ≈ 520 ms at the
    // drop, 120 ms at 16 s, 37–86 ms from 17 s; the additive increase near the capacity refills part
    // of the queue before it has drained, so the drain takes several AIMD cycles)
    expect(p95(s.queueDelayMs(8_500, 9_500))).toBeGreaterThan(300);
    expect(p95(s.queueDelayMs(17_000, 20_000))).toBeLessThan(100);
    // the link carried close to its capacity all along: the estimate did not collapse
    expect(s.sentKbps(10_000, 20_000)).toBeGreaterThan(450);
  });

  it('with a fixed target the same drop fills the queue and the link drops packets', () => {
    const fixed = simulate('{ mode: fixed }', STEP_LINK, STEP_TIMELINE);
    const adaptive = simulate('{ mode: googcc, startRate: 800kbps, maxRate: 3mbps }', STEP_LINK, STEP_TIMELINE);
    expect(fixed.drops(9000, 20_000)).toBeGreaterThan(100);
    expect(adaptive.drops(9000, 20_000)).toBeLessThan(fixed.drops(9000, 20_000) / 5);
    expect(p95(fixed.queueDelayMs(14_000, 20_000))).toBeGreaterThan(200);
  });

  it('random 1 % loss at constant capacity does not pull the estimate down', () => {
    const s = simulate('{ mode: googcc, startRate: 800kbps, maxRate: 1500kbps }', '{ backend: userspace, delay: 20ms, rate: 5mbit, queue: { packets: 100 }, up: { loss: { model: random, p: 1% } } }');
    expect(s.targetAt(19_000)).toBeGreaterThanOrEqual(800_000);
  });
});
