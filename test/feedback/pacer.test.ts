import { describe, expect, it } from 'vitest';
import { LeakyPacer } from '../../src/sender/pacer/leaky.ts';
import { NullPacer } from '../../src/sender/pacer/null.ts';
import type { PacedKind, PacedRelease, Pacer } from '../../src/sender/pacer/pacer.ts';
import { VirtualTime, drain, seededRandom } from './harness.ts';

function run<T>(pacer: Pacer<T>, vt: VirtualTime, endMs: number): Array<PacedRelease<T>> {
  const out: Array<PacedRelease<T>> = [];
  vt.addUnit(pacer);
  vt.runUntil(endMs, () => out.push(...drain(pacer)));
  return out;
}

describe('LeakyPacer', () => {
  it('long-run output rate is within 1 % of pacingFactor × target under a backlog', () => {
    const rnd = seededRandom(7);
    const pacer = new LeakyPacer<number>({ initialTargetBps: 1_000_000, pacingFactor: 2.5 });
    const vt = new VirtualTime();
    // offer ~3.4 Mbit/s of 200..1200-byte packets in 30 fps bursts for 10 s: more than the 2.5 Mbit/s pacing rate
    for (let f = 0; f < 300; f++) {
      vt.at(f * (1000 / 30), (t) => {
        for (let i = 0; i < 20; i++) pacer.enqueue({ kind: 'media', sizeBytes: 200 + Math.floor(rnd() * 1000), data: f }, t);
      });
    }
    const out = run(pacer, vt, 10_000);
    const first = out[0]!;
    const last = out[out.length - 1]!;
    // every packet before the last was paid for between the first and the last release
    const bytes = out.slice(0, -1).reduce((n, r) => n + r.packet.sizeBytes, 0);
    const bps = (bytes * 8 * 1000) / (last.sentMs - first.sentMs);
    expect(last.sentMs - first.sentMs).toBeGreaterThan(9900);
    expect(pacer.queuedPackets).toBeGreaterThan(0); // backlog all along
    expect(Math.abs(bps / 2_500_000 - 1)).toBeLessThan(0.01);
  });

  it('follows setRate', () => {
    const pacer = new LeakyPacer<number>({ initialTargetBps: 800_000, pacingFactor: 1 });
    const vt = new VirtualTime();
    vt.at(0, (t) => { for (let i = 0; i < 2000; i++) pacer.enqueue({ kind: 'media', sizeBytes: 1000, data: i }, t); });
    vt.at(1000, (t) => pacer.setRate(1_600_000, t));
    const out = run(pacer, vt, 2000);
    const inFirst = out.filter((r) => r.sentMs < 1000).length;
    const inSecond = out.filter((r) => r.sentMs >= 1000 && r.sentMs < 2000).length;
    expect(inFirst).toBe(100); // 100 kB/s
    expect(inSecond).toBe(200);
  });

  it('releases retransmissions before media before FEC before padding, FIFO within a class', () => {
    const pacer = new LeakyPacer<string>({ initialTargetBps: 80_000, pacingFactor: 1 }); // 10 bytes/ms
    pacer.enqueue({ kind: 'media', sizeBytes: 100, data: 'first' }, 0); // goes at once, 10 ms of debt
    const order: Array<[PacedKind, string]> = [
      ['padding', 'p1'], ['fec', 'f1'], ['media', 'm1'], ['retransmission', 'r1'], ['fec', 'f2'], ['media', 'm2'], ['retransmission', 'r2'], ['padding', 'p2'],
    ];
    for (const [kind, data] of order) pacer.enqueue({ kind, sizeBytes: 100, data }, 1);
    const vt = new VirtualTime();
    const out = run(pacer, vt, 1000);
    expect(out.map((r) => r.packet.data)).toEqual(['first', 'r1', 'r2', 'm1', 'm2', 'f1', 'f2', 'p1', 'p2']);
    expect(out.map((r) => r.sentMs)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(out.map((r) => r.queueMs)).toEqual([0, 9, 19, 29, 39, 49, 59, 69, 79]);
  });

  it('honours the queue-time limit by draining faster; without it the queue waits far longer', () => {
    const burst = (limit: number | undefined) => {
      const pacer = new LeakyPacer<number>({ initialTargetBps: 400_000, pacingFactor: 1, queueTimeLimitMs: limit });
      const vt = new VirtualTime();
      // 100 kB at t=0 and 50 kB at t=100 ms: 3 s of sending at 50 kB/s
      vt.at(0, (t) => { for (let i = 0; i < 100; i++) pacer.enqueue({ kind: 'media', sizeBytes: 1000, data: i }, t); });
      vt.at(100, (t) => { for (let i = 0; i < 50; i++) pacer.enqueue({ kind: 'fec', sizeBytes: 1000, data: i }, t); });
      const out = run(pacer, vt, 10_000);
      expect(out.length).toBe(150);
      return Math.max(...out.map((r) => r.queueMs));
    };
    expect(burst(undefined)).toBeGreaterThan(2000);
    expect(burst(250)).toBeLessThanOrEqual(250 + 1e-6);
    expect(burst(250)).toBeGreaterThan(200); // it drains within the limit, not all at once
  });

  it('burst interval: budget saved while idle goes out at once, then pacing resumes', () => {
    const pacer = new LeakyPacer<number>({ initialTargetBps: 80_000, pacingFactor: 1, burstIntervalMs: 30 }); // 10 bytes/ms, 300-byte budget
    pacer.enqueue({ kind: 'media', sizeBytes: 100, data: 0 }, 0);
    const vt = new VirtualTime();
    vt.at(200, (t) => { for (let i = 1; i <= 6; i++) pacer.enqueue({ kind: 'media', sizeBytes: 100, data: i }, t); });
    const out = run(pacer, vt, 1000);
    // 300 bytes of saved budget: packets 1..3 and 4 (paid at debt 0) at t=200, then one per 10 ms
    expect(out.map((r) => r.sentMs)).toEqual([0, 200, 200, 200, 200, 210, 220]);
  });

  it('keeps exact pacing at large clock values (no float crumbs re-arming the same instant)', () => {
    const pacer = new LeakyPacer<number>({ initialTargetBps: 97_000_000, pacingFactor: 2.5 });
    const vt = new VirtualTime();
    const t0 = 3.6e9 + 0.123456789; // 1000 h of CLOCK_MONOTONIC, in ms
    vt.at(t0, (t) => { for (let i = 0; i < 3000; i++) pacer.enqueue({ kind: 'media', sizeBytes: 1187, data: i }, t); });
    vt.nowMs = t0;
    let wakeups = 0;
    const handle = pacer.handleTimeout.bind(pacer);
    pacer.handleTimeout = (now: number) => { wakeups++; handle(now); };
    const out = run(pacer, vt, t0 + 1000);
    expect(out.length).toBe(3000);
    expect(wakeups).toBe(2999); // one per release after the first: no extra wake-ups for rounding crumbs
    const span = out[out.length - 1]!.sentMs - out[0]!.sentMs;
    expect(Math.abs((2999 * 1187 * 8 * 1000) / span / (97_000_000 * 2.5) - 1)).toBeLessThan(1e-3);
  });

  it('pollTimeout is undefined when empty; rejects a non-positive rate', () => {
    const pacer = new LeakyPacer<number>();
    expect(pacer.pollTimeout()).toBeUndefined();
    expect(() => pacer.setRate(0, 0)).toThrow(RangeError);
  });
});

describe('NullPacer', () => {
  it('releases every packet at once, in order, with zero queue time', () => {
    const pacer = new NullPacer<number>();
    for (let i = 0; i < 1000; i++) pacer.enqueue({ kind: i % 2 ? 'fec' : 'media', sizeBytes: 1200, data: i }, 5);
    expect(pacer.pollTimeout()).toBeUndefined();
    const out = drain(pacer);
    expect(out.map((r) => r.packet.data)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(out.every((r) => r.sentMs === 5 && r.queueMs === 0)).toBe(true);
    expect(pacer.queuedPackets).toBe(0);
  });
});
