/**
 * ALR detection and probing, unit by unit in virtual time (times ms, rates bit/s), then through
 * the pipelines and the link model: the initial probes measure a 2 Mbit/s link within 10 % and
 * lift the estimate to it within a second and a half, where AIMD alone is still near the start.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlrDetector } from '../../src/sender/congestion/alr-detector.ts';
import { ProbeController } from '../../src/sender/congestion/probe-controller.ts';
import { ProbeResultEstimator } from '../../src/sender/congestion/probe-result.ts';
import { buildProbePacket, MAX_PADDING_BYTES } from '../../src/sender/congestion/probe-packet.ts';
import { isRtpParseError, parseRtp } from '../../src/shared/rtp/packet.ts';
import { TRANSPORT_WIDE_SEQ_URI } from '../../src/shared/rtp/extensions/transport-wide-seq.ts';
import { ABS_SEND_TIME_URI } from '../../src/shared/rtp/extensions/abs-send-time.ts';
import { simulate } from '../sim/congestion-harness.ts';

/** Sends `bps` for `ms` in 10 ms steps from `fromMs`; returns the changes seen and the end time. */
function send(alr: AlrDetector, bps: number, fromMs: number, ms: number): { changes: string[]; endMs: number } {
  const changes: string[] = [];
  for (let t = fromMs; t < fromMs + ms; t += 10) {
    const change = alr.onSent((bps * 10) / 8000, t);
    if (change) changes.push(change.type);
  }
  return { changes, endMs: fromMs + ms };
}

describe('ALR detector', () => {
  it('starts when the sender uses under 65 % of its estimate, ends when it uses it again', () => {
    const alr = new AlrDetector(1_000_000);
    expect(send(alr, 900_000, 0, 2000).changes).toEqual([]);
    // from a budget overdrawn by the busy stretch it takes (40.6 + 32.5 kB) ÷ 350 kbit/s ≈ 1.7 s
    const low = send(alr, 300_000, 2000, 2500);
    expect(low.changes).toEqual(['alr-start']);
    const startedMs = alr.alrSinceMs!;
    expect(startedMs).toBeGreaterThan(3500);
    expect(startedMs).toBeLessThan(4000);
    const back = new AlrDetector(1_000_000);
    expect(send(back, 300_000, 0, 1500).changes).toEqual(['alr-start']);
    const resumed = send(back, 1_000_000, 1500, 1500);
    expect(resumed.changes).toEqual(['alr-end']);
    expect(back.alrSinceMs).toBeUndefined();
  });

  it('silence alone starts it (a wake-up with nothing sent)', () => {
    const alr = new AlrDetector(2_000_000);
    alr.onSent(100, 0);
    expect(alr.onTime(100)).toBeUndefined();
    expect(alr.onTime(600)?.type).toBe('alr-start');
  });
});

describe('probe controller', () => {
  const controller = () => new ProbeController({ startBps: 500_000, minBps: 50_000, maxBps: 2_500_000 });

  it('at start: clusters at 3× and 6× the start rate (capped at the maximum), 15 ms and 5 packets at least', () => {
    const c = controller();
    c.onStart(0);
    const first = c.pollCluster()!;
    const second = c.pollCluster()!;
    expect([first.bps, second.bps]).toEqual([1_500_000, 2_500_000]);
    expect(first.bytes).toBe(Math.ceil((1_500_000 * 15) / 8000));
    expect(first.minPackets).toBe(5);
    expect([first.reason, second.reason]).toEqual(['initial', 'initial']);
    expect(c.pollCluster()).toBeUndefined();
    c.onStart(10);
    expect(c.pollCluster()).toBeUndefined();
  });

  it('probes on exponentially while the path keeps up, and stops when it does not', () => {
    const c = new ProbeController({ startBps: 300_000, minBps: 50_000, maxBps: 10_000_000 });
    c.onStart(0);
    c.pollCluster();
    c.pollCluster();
    c.onProbeResult(900_000, 880_000, 100); // not the round's highest: no decision yet
    expect(c.pollCluster()).toBeUndefined();
    c.onProbeResult(1_800_000, 1_700_000, 120);
    const next = c.pollCluster()!;
    expect(next).toMatchObject({ bps: 3_400_000, reason: 'exponential' });
    c.onProbeResult(3_400_000, 2_000_000, 300); // 59 %: the path's limit is found
    expect(c.pollCluster()).toBeUndefined();
  });

  it('after a large drop in ALR: one probe at 85 % of the rate before it; on ALR exit: 2× the estimate', () => {
    const c = controller();
    c.onEstimate(2_000_000, 1000, 5000);
    c.onEstimate(900_000, 1000, 5400);
    expect(c.pollCluster()).toMatchObject({ bps: 1_700_000, reason: 'after-drop' });
    c.onEstimate(850_000, 1000, 5600);
    expect(c.pollCluster()).toBeUndefined();
    const notAlr = controller();
    notAlr.onEstimate(2_000_000, undefined, 5000);
    notAlr.onEstimate(900_000, undefined, 5400);
    expect(notAlr.pollCluster()).toBeUndefined();
    notAlr.onAlrEnd(900_000, 6000);
    expect(notAlr.pollCluster()).toMatchObject({ bps: 1_800_000, reason: 'alr-exit' });
  });
});

describe('probe result', () => {
  /** 10 packets of 1000 bytes sent 1 ms apart (8 Mbit/s), arriving `arrivalGapMs` apart. */
  function cluster(estimator: ProbeResultEstimator, arrivalGapMs: number, received = 10) {
    for (let i = 0; i < 10; i++) estimator.onProbeSent(1, 8_000_000, 5, 100 + i, i, 1000);
    return Array.from({ length: 10 }, (_, i) => ({ seq: 100 + i, sendMs: i, bytes: 1000, arrivalMs: i < received ? 50 + i * arrivalGapMs : undefined }));
  }

  it('a path slower than the burst: its receive rate', () => {
    const e = new ProbeResultEstimator();
    const [outcome] = e.onFeedback(cluster(e, 4), 100);
    expect(outcome!.receiveBps).toBeCloseTo(2_000_000, -3);
    expect(outcome!.resultBps).toBe(outcome!.receiveBps);
  });

  it('a path that keeps up: the lower of send and receive rate', () => {
    const e = new ProbeResultEstimator();
    const [outcome] = e.onFeedback(cluster(e, 1), 100);
    expect(outcome!.resultBps).toBeCloseTo(8_000_000, -3);
  });

  it('too few packets: waits, then gives up after its timeout', () => {
    const e = new ProbeResultEstimator(1000);
    expect(e.onFeedback(cluster(e, 4, 7), 100)).toEqual([]);
    const [outcome] = e.onFeedback([], 1200);
    expect(outcome).toMatchObject({ id: 1, resultBps: undefined, received: 7, packets: 10 });
  });

  it('any send and arrival pattern: a result within the measured rates, never negative (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ gap: fc.double({ min: 0, max: 20, noNaN: true }), bytes: fc.integer({ min: 50, max: 1500 }), lost: fc.boolean() }), { minLength: 5, maxLength: 40 }), (packets) => {
        const e = new ProbeResultEstimator();
        let arrival = 10;
        const results = packets.map((p, i) => {
          e.onProbeSent(7, 5_000_000, 5, i, i * 0.5, p.bytes);
          arrival += p.gap;
          return { seq: i, sendMs: i * 0.5, bytes: p.bytes, arrivalMs: p.lost ? undefined : arrival };
        });
        for (const o of [...e.onFeedback(results, 50), ...e.onFeedback([], 5000)]) {
          if (o.resultBps === undefined) continue;
          expect(o.resultBps).toBeGreaterThanOrEqual(0);
          expect(o.resultBps).toBeLessThanOrEqual(Math.max(o.sendBps!, o.receiveBps!) + 1e-6);
        }
      }),
    );
  });
});

describe('probe packets', () => {
  it('padding only, the P bit and count set, send-time placeholders where the stamper writes', () => {
    const extensions = { [TRANSPORT_WIDE_SEQ_URI]: 5, [ABS_SEND_TIME_URI]: 3 };
    const { data, offsets } = buildProbePacket({ ssrc: 0xdeadbeef, payloadType: 97, seq: 65535, timestamp: 1234, extensions, paddingBytes: 999 });
    const parsed = parseRtp(data);
    if (isRtpParseError(parsed)) throw new Error(parsed.code);
    expect(parsed).toMatchObject({ ssrc: 0xdeadbeef, payloadType: 97, sequenceNumber: 65535, timestamp: 1234, paddingBytes: MAX_PADDING_BYTES });
    expect(parsed.payload.length).toBe(0);
    expect(data[0]! & 0x20).toBe(0x20);
    expect(data[data.length - 1]).toBe(MAX_PADDING_BYTES);
    expect(offsets.transportSeq).toBe(parsed.extensions.get(5)!.byteOffset - data.byteOffset);
    expect(offsets.absSendTime).toBe(parsed.extensions.get(3)!.byteOffset - data.byteOffset);
    expect(buildProbePacket({ ssrc: 1, payloadType: 97, seq: 1, timestamp: 0, extensions: {}, paddingBytes: 10 }).offsets).toEqual({ transportSeq: undefined, absSendTime: undefined });
  });
});

describe('probing in virtual time (pipelines and link model)', () => {
  const LINK = '{ backend: userspace, delay: 20ms, rate: 2mbit, queue: { packets: 60 } }';
  it('the initial probes measure a 2 Mbit/s link and lift the estimate to it at once; AIMD alone is still near its start', () => {
    const probed = simulate('{ mode: googcc, startRate: 800kbps, maxRate: 3mbps }', LINK, '');
    const plain = simulate('{ mode: googcc, startRate: 800kbps, maxRate: 3mbps, probing: false }', LINK, '');
    const results = probed.events.filter((e) => e.name === 'probe-result');
    const clusters = probed.events.filter((e) => e.name === 'probe-cluster');
    expect(clusters.map((c) => c.detail!.bps)).toEqual([2_400_000, 3_000_000]);
    expect(results.length).toBe(2);
    for (const r of results) expect(Number(r.detail!.resultBps) / 2_000_000).toBeGreaterThan(0.9);
    for (const r of results) expect(Number(r.detail!.resultBps) / 2_000_000).toBeLessThan(1.3);
    expect(probed.targetAt(1500)).toBeGreaterThan(1_500_000);
    expect(plain.targetAt(1500)).toBeLessThan(1_100_000);
    expect(plain.events.some((e) => e.name === 'probe-cluster')).toBe(false);
  });

  it('an encoder that cannot fill the estimate puts the sender in ALR', () => {
    const wide = simulate('{ mode: googcc, startRate: 800kbps, maxRate: 3mbps }', '{ backend: userspace, delay: 20ms, rate: 5mbit, queue: { packets: 100 } }', '');
    expect(wide.targetAt(2000)).toBe(3_000_000);
    expect(wide.events.some((e) => e.name === 'alr' && e.detail!.state === 'start')).toBe(true);
  });
});
