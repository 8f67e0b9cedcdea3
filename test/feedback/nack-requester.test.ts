import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NackRequester, type NackRequesterOutput } from '../../src/receiver/nack/requester.ts';
import { VirtualTime, drain } from './harness.ts';

type Nack = Extract<NackRequesterOutput, { type: 'nack' }>;
const nacks = (o: NackRequesterOutput[]): Nack[] => o.filter((x): x is Nack => x.type === 'nack');

describe('NackRequester', () => {
  it('NACKs a gap at once, with every missing seq', () => {
    const r = new NackRequester();
    for (const s of [0, 1, 2]) r.onPacket(s, s);
    expect(drain(r)).toEqual([]);
    r.onPacket(6, 10);
    expect(drain(r)).toEqual([{ type: 'nack', seqs: [3, 4, 5], timeMs: 10 }]);
    expect(r.listSize).toBe(3);
  });

  it('unwraps across 65535 → 0 and reports 16-bit seqs', () => {
    const r = new NackRequester();
    r.onPacket(65534, 0);
    r.onPacket(2, 1);
    expect(drain(r)).toEqual([{ type: 'nack', seqs: [65535, 0, 1], timeMs: 1 }]);
  });

  it('retries about once per RTT, follows setRtt, and honours the minimum interval', () => {
    const r = new NackRequester({ initialRttMs: 50, maxRetries: 100, minRetryIntervalMs: 0 });
    const vt = new VirtualTime();
    vt.addUnit(r);
    const times: number[] = [];
    vt.at(0, (t) => r.onPacket(0, t));
    vt.at(5, (t) => r.onPacket(2, t));
    vt.at(120, () => r.setRtt(30));
    vt.runUntil(200, () => { for (const n of nacks(drain(r))) if (n.seqs.includes(1)) times.push(n.timeMs); });
    expect(times).toEqual([5, 55, 105, 135, 165, 195]); // RTT 30 from t=120: next retry at 105 + 30

    const slow = new NackRequester({ initialRttMs: 5, minRetryIntervalMs: 40, maxRetries: 100 });
    slow.onPacket(0, 0);
    slow.onPacket(2, 0);
    drain(slow);
    expect(slow.pollTimeout()).toBe(40);
    const veth = new NackRequester({ initialRttMs: 0.04 }); // default floor: 20 ms
    veth.onPacket(0, 0);
    veth.onPacket(2, 0);
    expect(veth.pollTimeout()).toBe(20);
  });

  it('gives up after max retries, then asks for a keyframe', () => {
    const r = new NackRequester({ initialRttMs: 20, maxRetries: 3, minRetryIntervalMs: 0 });
    const vt = new VirtualTime();
    vt.addUnit(r);
    const out: NackRequesterOutput[] = [];
    vt.at(0, (t) => { r.onPacket(0, t); r.onPacket(2, t); });
    vt.runUntil(500, () => out.push(...drain(r)));
    expect(nacks(out).map((n) => n.timeMs)).toEqual([0, 20, 40]);
    expect(out.slice(3)).toEqual([
      { type: 'dropped', seqs: [1], reason: 'max-retries', timeMs: 60 },
      { type: 'keyframe-request', reason: 'gave-up', timeMs: 60 },
    ]);
    expect(r.pollTimeout()).toBeUndefined();
  });

  it('clears the list and requests a keyframe on overflow', () => {
    const r = new NackRequester({ maxListSize: 10 });
    r.onPacket(0, 0);
    r.onPacket(5, 1); // 4 missing
    drain(r);
    r.onPacket(20, 2); // 14 more would overflow
    const out = drain(r);
    expect(out).toEqual([
      { type: 'dropped', seqs: [1, 2, 3, 4], reason: 'list-overflow', timeMs: 2 },
      { type: 'keyframe-request', reason: 'list-overflow', timeMs: 2 },
    ]);
    expect(r.listSize).toBe(0);
  });

  it('on overflow first drops packets older than a received keyframe, without a keyframe request', () => {
    const r = new NackRequester({ maxListSize: 10 });
    r.onPacket(0, 0);
    r.onPacket(9, 1); // 1..8 missing
    r.onPacket(10, 2, { keyframe: true });
    drain(r);
    r.onPacket(15, 3); // 11..14 missing: 8 + 4 > 10
    const out = drain(r);
    expect(out[0]).toEqual({ type: 'dropped', seqs: [1, 2, 3, 4, 5, 6, 7, 8], reason: 'before-keyframe', timeMs: 3 });
    expect(out.some((o) => o.type === 'keyframe-request')).toBe(false);
    expect(nacks(out)).toEqual([{ type: 'nack', seqs: [11, 12, 13, 14], timeMs: 3 }]);
  });

  it('does not NACK packets recovered ahead of the gap, and stops asking for ones recovered later', () => {
    const r = new NackRequester({ initialRttMs: 10, minRetryIntervalMs: 0 });
    r.onPacket(0, 0);
    r.onPacket(3, 1, { recovered: true }); // FEC recovered 3 before 1, 2 were seen missing
    r.onPacket(4, 2);
    expect(drain(r)).toEqual([{ type: 'nack', seqs: [1, 2], timeMs: 2 }]);
    expect(r.onPacket(2, 5, { recovered: true })).toBe(1); // RTX: one NACK had been sent for it
    r.handleTimeout(12);
    expect(drain(r)).toEqual([{ type: 'nack', seqs: [1], timeMs: 12 }]);
    r.onPacket(1, 13);
    expect(r.listSize).toBe(0);
    expect(r.pollTimeout()).toBeUndefined();
  });

  it('reordering allowance: waits for N newer packets or the max wait, whichever first', () => {
    const r = new NackRequester({ reorderWaitPackets: 2, reorderWaitMaxMs: 15 });
    r.onPacket(0, 0);
    r.onPacket(2, 1); // 1 missing
    r.onPacket(1, 2); // ...reordered, arrives
    r.onPacket(4, 3); // 3 missing; one newer packet (4), not yet two
    expect(drain(r)).toEqual([]);
    r.onPacket(5, 4); // two newer packets: due by sequence
    expect(drain(r)).toEqual([{ type: 'nack', seqs: [3], timeMs: 4 }]);
    r.onPacket(7, 6); // 6 missing; no second newer packet follows
    expect(r.pollTimeout()).toBe(21);
    r.handleTimeout(21);
    expect(drain(r)).toEqual([{ type: 'nack', seqs: [6], timeMs: 21 }]);
  });

  it('drops packets older than the max packet age', () => {
    const r = new NackRequester({ maxPacketAgeSeqs: 100, keyframeOnGiveUp: true });
    r.onPacket(0, 0);
    r.onPacket(2, 0); // 1 missing
    drain(r);
    r.onPacket(150, 1);
    const out = drain(r);
    expect(out[0]).toEqual({ type: 'dropped', seqs: [1], reason: 'too-old', timeMs: 1 });
    expect(out[1]).toEqual({ type: 'keyframe-request', reason: 'gave-up', timeMs: 1 });
    // only the 100 seqs before 150 are tracked
    expect(nacks(out)[0]!.seqs).toEqual(Array.from({ length: 100 }, (_, i) => 50 + i));
  });

  it('keyframe requests are throttled by minKeyframeRequestIntervalMs', () => {
    const r = new NackRequester({ minKeyframeRequestIntervalMs: 100 });
    r.requestKeyframe(0);
    r.requestKeyframe(50);
    r.requestKeyframe(100);
    expect(drain(r)).toEqual([
      { type: 'keyframe-request', reason: 'frame-incomplete', timeMs: 0 },
      { type: 'keyframe-request', reason: 'frame-incomplete', timeMs: 100 },
    ]);
  });

  it('zero retry interval: one NACK per missing packet per wake-up, never duplicated in a batch', () => {
    const r = new NackRequester({ initialRttMs: 0, minRetryIntervalMs: 0, maxRetries: 3 });
    r.onPacket(0, 0);
    r.onPacket(3, 0);
    r.handleTimeout(0);
    r.handleTimeout(0);
    r.handleTimeout(0); // retries exhausted: gives up
    const out = drain(r);
    expect(nacks(out).map((n) => n.seqs)).toEqual([[1, 2], [1, 2], [1, 2]]);
    expect(out[3]).toEqual({ type: 'dropped', seqs: [1, 2], reason: 'max-retries', timeMs: 0 });
  });

  it('invariants under random loss and delay: never NACKs a packet it has, retries ≤ max, spacing ≥ RTT', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ lost: fc.boolean(), extraDelay: fc.nat({ max: 30 }) }), { minLength: 10, maxLength: 300 }),
      fc.nat({ max: 65535 }), fc.integer({ min: 5, max: 80 }), fc.integer({ min: 1, max: 6 }),
      (pattern, start, rtt, maxRetries) => {
        const r = new NackRequester({ initialRttMs: rtt, maxRetries, minRetryIntervalMs: 0 });
        const vt = new VirtualTime();
        vt.addUnit(r);
        const have = new Set<number>();
        pattern.forEach((p, i) => {
          if (p.lost) return;
          const seq = (start + i) & 0xffff;
          vt.at(i * 2 + p.extraDelay, (t) => { have.add(seq); r.onPacket(seq, t); });
        });
        const sent = new Map<number, number[]>();
        vt.runUntil(2000, () => {
          for (const n of nacks(drain(r))) for (const s of n.seqs) {
            expect(have.has(s)).toBe(false);
            const l = sent.get(s) ?? [];
            if (l.length) expect(n.timeMs - l[l.length - 1]!).toBeGreaterThanOrEqual(rtt);
            l.push(n.timeMs);
            sent.set(s, l);
          }
        });
        for (const l of sent.values()) expect(l.length).toBeLessThanOrEqual(maxRetries);
        expect(r.pollTimeout()).toBeUndefined();
      }), { numRuns: 150 });
  });
});
