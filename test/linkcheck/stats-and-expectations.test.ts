/**
 * The self-test's arithmetic: probe statistics from hand-made probe results, and the configured
 * expectations checked against a packet-by-packet simulation of netem's own rules (transcribed
 * here from sch_netem.c's loss_4state, loss_gilb_ell and the reorder test, independently of
 * lab/linkcheck/expectations.ts).
 */
import { describe, expect, it } from 'vitest';
import type { UdpProbeResult } from '../../src/link/native.ts';
import { expectedLoss, expectedRate, expectedUndelayedShare } from '../../lab/linkcheck/expectations.ts';
import { delaysInSeqRange, probeStats, shareWithin } from '../../lab/linkcheck/probe-stats.ts';

function result(seq: number[], delayMs: number[], sent: number, extra: Partial<UdpProbeResult> = {}): UdpProbeResult {
  return {
    seq: Float64Array.from(seq), delayUs: Float64Array.from(delayMs, (d) => d * 1000), sent, received: seq.length,
    receivedBytes: seq.length * 100, duplicates: 0, sendDurationMs: 0, receiveSpanMs: 1000, cpuSenderMs: 0, cpuReceiverMs: 0, ...extra,
  };
}

// a small seeded generator so the simulations are repeatable
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('probe statistics', () => {
  it('counts loss bursts from sequence gaps, including a trailing one', () => {
    // sent 0..9, lost 2,3 and 6 and 9: bursts [2,3], [6], [9]
    const s = probeStats(result([0, 1, 4, 5, 7, 8], [1, 1, 1, 1, 1, 1], 10));
    expect(s.lossRate).toBeCloseTo(0.4);
    expect(s.lossBursts).toBe(3);
    expect(s.meanBurstLength).toBeCloseTo(4 / 3);
  });

  it('measures reordering in receive order and delay percentiles and autocorrelation in send order', () => {
    const s = probeStats(result([0, 2, 1, 3], [10, 12, 30, 14], 4));
    expect(s.reorderedFraction).toBeCloseTo(0.25);
    expect(s.delayMs!.min).toBe(10);
    expect(s.delayMs!.max).toBe(30);
    expect(s.delayMs!.p50).toBe(12);
    const smooth = probeStats(result([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8], 8));
    expect(smooth.delayAutocorrelation!).toBeGreaterThan(0.5);
    const alternating = probeStats(result([0, 1, 2, 3, 4, 5, 6, 7], [1, 9, 1, 9, 1, 9, 1, 9], 8));
    expect(alternating.delayAutocorrelation!).toBeLessThan(-0.5);
  });

  it('gives goodput over the receive span and duplicates per packet', () => {
    const s = probeStats(result([0, 1, 2, 3, 4], [1, 1, 1, 1, 1], 5, { receivedBytes: 5000, receiveSpanMs: 4, duplicates: 1 }));
    // 4 packets' bytes after the first, in 4 ms
    expect(s.goodputBps).toBeCloseTo((4000 * 8) / 0.004);
    expect(s.receivedPps).toBeCloseTo(1000);
    expect(s.duplicateRate).toBeCloseTo(0.2);
    expect(probeStats(result([], [], 3)).delayMs).toBeNull();
  });

  it('selects delays by sequence range and counts shares within bounds', () => {
    const r = result([3, 0, 1, 2], [4, 1, 2, 3], 4);
    expect(delaysInSeqRange(r, 1, 3).sort()).toEqual([2, 3]);
    expect(shareWithin([1, 2, 3, 10], 0, 5)).toBeCloseTo(0.75);
    expect(shareWithin([], 0, 1)).toBe(0);
  });
});

describe('configured expectations match a simulation of netem’s rules', () => {
  function runs(lost: boolean[]): { rate: number; meanBurst: number } {
    let bursts = 0;
    let inBurst = false;
    for (const l of lost) {
      if (l && !inBurst) bursts += 1;
      inBurst = l;
    }
    const n = lost.filter(Boolean).length;
    return { rate: n / lost.length, meanBurst: n / bursts };
  }
  const n = 400_000;

  it('4-state loss', () => {
    const c = { model: '4state', p13: 0.03, p31: 0.4, p32: 0.1, p23: 0.3, p14: 0.01 } as const;
    const r = rng(1);
    let state = 1;
    const lost: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const u = r();
      let loss = false;
      if (state === 1) {
        if (u < c.p14) [state, loss] = [4, true];
        else if (u < c.p14 + c.p13) [state, loss] = [3, true];
      } else if (state === 2) {
        if (u < c.p23) [state, loss] = [3, true];
      } else if (state === 3) {
        if (u < c.p32) state = 2;
        else if (u < c.p32 + c.p31) state = 1;
        else loss = true;
      } else state = 1;
      lost.push(loss);
    }
    const sim = runs(lost);
    const want = expectedLoss(c);
    expect(want.rate).toBeCloseTo(sim.rate, 2);
    expect(want.meanBurst!).toBeCloseTo(sim.meanBurst, 1);
  });

  it('Gilbert-Elliott loss', () => {
    const c = { model: 'gemodel', p: 0.05, r: 0.4, oneMinusH: 1, oneMinusK: 0 } as const;
    const r = rng(2);
    let bad = false;
    const lost: boolean[] = [];
    for (let i = 0; i < n; i++) {
      // sch_netem: move, then lose with the chance of the state the packet started in
      const wasBad = bad;
      if (!bad && r() < c.p) bad = true;
      else if (bad && r() < c.r) bad = false;
      lost.push(wasBad ? r() < c.oneMinusH : r() < c.oneMinusK);
    }
    const sim = runs(lost);
    const want = expectedLoss(c);
    expect(want.rate).toBeCloseTo(sim.rate, 2);
    expect(want.meanBurst!).toBeCloseTo(sim.meanBurst, 1);
  });

  it('reorder with a gap: the undelayed share', () => {
    const reorder = { p: 0.25, gap: 5 };
    const r = rng(3);
    let counter = 0;
    let undelayed = 0;
    for (let i = 0; i < n; i++) {
      // sch_netem: delayed when gap == 0, counter < gap − 1 or the coin says so; else sent now, counter reset
      if (counter < reorder.gap - 1 || r() >= reorder.p) counter += 1;
      else {
        undelayed += 1;
        counter = 0;
      }
    }
    expect(expectedUndelayedShare(reorder)).toBeCloseTo(undelayed / n, 2);
    expect(expectedUndelayedShare({ p: 0.3 })).toBe(0.3);
    expect(expectedUndelayedShare(undefined)).toBe(0);
  });

  it('rate: goodput by payload share of the wire bytes, a full queue per backend', () => {
    const params = { rateBps: 1_000_000, delayUs: 10_000, queue: { packets: 10 } };
    const netem = expectedRate(1000, params, 'netem')!;
    const user = expectedRate(1000, params, 'userspace')!;
    expect(netem.goodputBps).toBeCloseTo((1e6 * 1000) / 1042);
    expect(user.goodputBps).toBeCloseTo((1e6 * 1000) / 1028);
    expect(netem.fullQueueDelayMs).toBeCloseTo(10 * 8.336);
    expect(user.fullQueueDelayMs).toBeCloseTo(10 + 10 * 8.224);
    expect(expectedRate(1000, { delayUs: 1 }, 'netem')).toBeNull();
  });
});
