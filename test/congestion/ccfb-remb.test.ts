/**
 * RFC 8888 feedback and REMB through the congestion units and pipelines, in virtual time: the
 * receiver's CCFB builder read by the sender's history for any mix of SSRCs, arrivals, losses and
 * sequence wraps (fast-check: every packet reported once, arrivals within the ATO quantum
 * 1000/2048 ms, losses as losses, results in send order, never a throw); an arrival whose report
 * came more than 8189/1024 s later is neither a loss nor a delay sample; the receive pipeline
 * sends CCFB (one block per SSRC, RTX included) instead of transport-wide feedback when told; the
 * send pipeline estimates on CCFB when configured, and a REMB for its stream caps the target (the
 * `bwe` event says rembBps) while one for another stream does not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SentPacketHistory, type PacketResult } from '../../src/sender/congestion/sent-history.ts';
import { CcfbFeedbackBuilder } from '../../src/receiver/ccfb-feedback.ts';
import { ReceivePipeline } from '../../src/receiver/receive-pipeline.ts';
import { SendPipeline, type EncodedInput, type SendPipelineOutput } from '../../src/sender/send-pipeline.ts';
import { parseCompound } from '../../src/shared/rtcp/compound.ts';
import { encodeRemb } from '../../src/shared/rtcp/remb.ts';
import { CCFB_ATO_OVERRANGE, parseCcfb } from '../../src/shared/rtcp/ccfb.ts';
import { serializeRtp } from '../../src/shared/rtp/packet.ts';
import type { EventRecord, FeedbackRecord } from '../../src/shared/records.ts';

/** The ATO's rounding: half of 1/1024 s, ms (and a little for floating point). */
const ATO_QUANTUM_MS = 1000 / 2048 + 1e-6;

function takeCcfb(history: SentPacketHistory, packets: Uint8Array[], sink: (r: PacketResult[]) => void): void {
  for (const packet of packets) {
    const parsed = parseCompound(packet);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    for (const p of parsed.value) if (p.type === 'ccfb') sink(history.onCcfb(p));
  }
}

describe('RFC 8888 feedback: receiver builder → sender history', () => {
  it('any SSRC mix, arrival and loss pattern: each packet once, arrivals within the ATO quantum, losses as losses, send order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xff80, max: 0xffff })), { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ stream: fc.nat({ max: 2 }), gapUs: fc.nat({ max: 40_000 }), lost: fc.boolean() }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 20, max: 200 }),
        (firstSeqs, pattern, maxPacketsPerReport) => {
          const ssrcs = firstSeqs.map((_, i) => 0x1000 + i * 0x7fff_0000);
          const nextSeq = [...firstSeqs];
          const history = new SentPacketHistory();
          const builder = new CcfbFeedbackBuilder({ senderSsrc: 1, intervalMs: 50, maxPacketsPerReport });
          /** per send index: stream, whether it arrived and when */
          const sent: { stream: number; arrivalMs: number | undefined }[] = [];
          const results = new Map<number, number | undefined>();
          const sink = (rs: PacketResult[]): void => {
            for (let i = 1; i < rs.length; i++) expect(rs[i]!.seq).toBeGreaterThan(rs[i - 1]!.seq);
            for (const r of rs) {
              expect(results.get(r.seq)).toBeUndefined(); // never reported as received twice
              results.set(r.seq, r.arrivalMs);
            }
          };
          let t = 5_000_000;
          for (const p of pattern) {
            const stream = p.stream % ssrcs.length;
            const seq = nextSeq[stream]!;
            nextSeq[stream] = (seq + 1) & 0xffff;
            t += p.gapUs / 1000;
            history.onSentRtp(ssrcs[stream]!, seq, t - 20, 1000);
            sent.push({ stream, arrivalMs: p.lost ? undefined : t });
            if (!p.lost) builder.onPacket(ssrcs[stream]!, seq, t);
            const due = builder.pollTimeout();
            if (due !== undefined && due <= t) takeCcfb(history, builder.handleTimeout(t), sink);
          }
          takeCcfb(history, builder.handleTimeout(t + 1000), sink);
          // a received packet: reported with its arrival; a lost one between two received packets of its stream: reported lost
          sent.forEach((s, i) => {
            if (s.arrivalMs !== undefined) {
              expect(results.get(i)).toBeDefined();
              expect(Math.abs(results.get(i)! - s.arrivalMs)).toBeLessThanOrEqual(ATO_QUANTUM_MS);
              return;
            }
            const before = sent.slice(0, i).some((o) => o.stream === s.stream && o.arrivalMs !== undefined);
            const after = sent.slice(i + 1).some((o) => o.stream === s.stream && o.arrivalMs !== undefined);
            if (before && after) {
              expect(results.has(i)).toBe(true);
              expect(results.get(i)).toBeUndefined();
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a report over 8189/1024 s after an arrival: over-range, neither lost nor timed; a long stretch splits at maxPacketsPerReport', () => {
    const history = new SentPacketHistory();
    const builder = new CcfbFeedbackBuilder({ senderSsrc: 1, intervalMs: 50, maxPacketsPerReport: 500 });
    history.onSentRtp(7, 100, 0, 1000);
    history.onSentRtp(7, 101, 1, 1000);
    builder.onPacket(7, 100, 10);
    builder.onPacket(7, 101, 9000);
    const reports = builder.handleTimeout(9000);
    const fb = parseCcfb(reports[0]!);
    expect(fb.ok && fb.value.blocks[0]!.metrics[0]!.ato).toBe(CCFB_ATO_OVERRANGE);
    expect(history.onCcfb(fb.ok ? fb.value : expect.unreachable()).map((r) => r.seq)).toEqual([1]);

    const long = new CcfbFeedbackBuilder({ senderSsrc: 1, intervalMs: 50, maxPacketsPerReport: 100 });
    for (let i = 0; i < 150; i++) long.onPacket(i % 2 === 0 ? 5 : 6, 65500 + Math.floor(i / 2), 1000 + i);
    expect(long.pollTimeout()).toBe(1149); // due as soon as 100 wait (and again with each packet after)
    const split = long.handleTimeout(1149).map((b) => parseCcfb(b));
    expect(split.map((r) => (r.ok ? r.value.blocks.map((b) => [b.ssrc, b.beginSeq, b.metrics.length]) : []))).toEqual([[[5, 65500, 75], [6, 65500, 25]], [[6, 65525, 50]]]);
  });

  it('malformed feedback never throws into the sender', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const history = new SentPacketHistory();
      history.onSentRtp(0, 0, 0, 100);
      const parsed = parseCompound(bytes);
      if (parsed.ok) for (const p of parsed.value) if (p.type === 'ccfb') history.onCcfb(p);
    }));
  });
});

describe('the receive pipeline with ccfb', () => {
  it('sends CCFB on every SSRC that arrives (media and RTX), not transport-wide feedback', () => {
    const pipeline = new ReceivePipeline({ pliIntervalMs: 500, localSsrc: 1, maxWaitMs: 0, transportFeedback: { extensionId: 1 }, ccfb: { intervalMs: 50 } });
    const rtp = (ssrc: number, seq: number): Uint8Array => serializeRtp({
      marker: false, payloadType: ssrc === 0xaaaa ? 102 : 97, sequenceNumber: seq, timestamp: 0, ssrc, csrcs: [],
      extensions: new Map([[1, new Uint8Array([0, seq & 0xff])]]), payload: new Uint8Array([0x41, 1, 2, 3]), paddingBytes: 0,
    });
    pipeline.handleRtp(rtp(0xaaaa, 65535), 1000);
    pipeline.handleRtp(rtp(0xaaaa, 1), 1005); // 0 lost across the wrap
    pipeline.handleRtp(rtp(0xbbbb, 40), 1010);
    expect(pipeline.pollTimeout()).toBe(1050);
    pipeline.handleTimeout(1050);
    const rtcp: Uint8Array[] = [];
    const feedback: FeedbackRecord[] = [];
    for (let o = pipeline.pollOutput(); o !== undefined; o = pipeline.pollOutput()) {
      if (o.type === 'rtcp') rtcp.push(o.packet);
      if (o.type === 'record' && o.record.type === 'feedback') feedback.push(o.record);
    }
    expect(feedback.map((f) => f.kind)).toEqual(['ccfb']);
    expect(rtcp.length).toBe(1);
    const fb = parseCcfb(rtcp[0]!);
    if (!fb.ok) throw new Error(fb.error.message);
    expect(fb.value.blocks.map((b) => ({ ssrc: b.ssrc, beginSeq: b.beginSeq, received: b.metrics.map((m) => m !== null) }))).toEqual([
      { ssrc: 0xaaaa, beginSeq: 65535, received: [true, false, true] },
      { ssrc: 0xbbbb, beginSeq: 40, received: [true] },
    ]);
    // ATO = 1050 − arrival in 1/1024 s
    expect(fb.value.blocks[0]!.metrics[0]!.ato).toBe(Math.round(50 * 1.024));
  });
});

const MEDIA = { ssrc: 0x0badcafe, payloadType: 102, extensions: { 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01': 1 } };

function frame(id: number, atMs: number, bytes: number): EncodedInput {
  const nal = new Uint8Array(bytes).fill(0x33);
  nal[0] = id === 0 ? 0x65 : 0x41;
  return {
    frame: { frameId: id, captureMs: atMs, renderSubmitMs: atMs, renderDoneMs: atMs, copyDoneMs: atMs, convertDoneMs: atMs, deliveredMs: atMs },
    accessUnit: [nal], keyframe: id === 0, encodeStartMs: atMs, encodeDoneMs: atMs,
  };
}

/**
 * A send pipeline on googcc and a receive pipeline's CCFB builder joined by a fixed 20 ms link
 * (no queue): 30 frames/s of `frameBytes` for `ms`; `rtcpAt` adds datagrams to the feedback path.
 */
function pair(o: { feedback: 'twcc' | 'ccfb'; ms: number; frameBytes: number; extra?: { atMs: number; packet: Uint8Array }[] }) {
  const send = new SendPipeline({
    media: MEDIA, mtu: 1200, seed: 3, pacing: { mode: 'leaky', factor: 2.5, burstMs: 0, queueLimitMs: null, targetBitrateBps: 800_000 },
    congestion: { startBps: 800_000, minBps: 50_000, maxBps: 3_000_000, feedback: o.feedback, feedbackSenderSsrc: 1 },
  });
  const receive = new ReceivePipeline({ pliIntervalMs: 500, localSsrc: 1, maxWaitMs: 0, ...(o.feedback === 'ccfb' ? { ccfb: {} } : { transportFeedback: { extensionId: 1 } }) });
  const inFlight: { atMs: number; to: 'receiver' | 'sender'; packet: Uint8Array }[] = (o.extra ?? []).map((e) => ({ ...e, to: 'sender' as const }));
  const outputs: (SendPipelineOutput & { atMs: number })[] = [];
  const bwe: EventRecord[] = [];
  let now = 0;
  let nextFrame = 0;
  const drain = (): void => {
    for (let e = send.pollOutput(); e !== undefined; e = send.pollOutput()) {
      outputs.push({ ...e, atMs: now });
      if (e.type === 'rtp') inFlight.push({ atMs: now + 20, to: 'receiver', packet: e.packet });
      if (e.type === 'record' && e.record.type === 'event' && e.record.name === 'bwe') bwe.push(e.record);
    }
    for (let e = receive.pollOutput(); e !== undefined; e = receive.pollOutput()) if (e.type === 'rtcp') inFlight.push({ atMs: now + 20, to: 'sender', packet: e.packet });
  };
  for (;;) {
    const dues = [send.pollTimeout(), receive.pollTimeout(), nextFrame * (1000 / 30), ...inFlight.map((p) => p.atMs)].filter((t): t is number => t !== undefined);
    const due = Math.min(...dues);
    if (due > o.ms) break;
    now = Math.max(now, due);
    if (nextFrame * (1000 / 30) <= now) send.handleFrame(frame(nextFrame++, now, o.frameBytes), now);
    inFlight.sort((a, b) => a.atMs - b.atMs);
    while (inFlight[0] !== undefined && inFlight[0].atMs <= now) {
      const p = inFlight.shift()!;
      if (p.to === 'receiver') receive.handleRtp(p.packet, now);
      else send.handleRtcp(p.packet, now);
    }
    if ((send.pollTimeout() ?? Infinity) <= now) send.handleTimeout(now);
    if ((receive.pollTimeout() ?? Infinity) <= now) receive.handleTimeout(now);
    drain();
  }
  const targets = outputs.filter((e): e is Extract<SendPipelineOutput, { type: 'target-bitrate' }> & { atMs: number } => e.type === 'target-bitrate');
  return { bwe, targets };
}

describe('the send pipeline with ccfb and REMB', () => {
  it('estimates on CCFB as on transport-wide feedback when the path is clear: the target grows from its start', () => {
    const ccfb = pair({ feedback: 'ccfb', ms: 4000, frameBytes: 2500 });
    const twcc = pair({ feedback: 'twcc', ms: 4000, frameBytes: 2500 });
    expect(ccfb.bwe.length).toBeGreaterThan(50);
    const last = (s: typeof ccfb): number => Number(s.bwe.at(-1)!.detail!.targetBps);
    expect(last(ccfb)).toBeGreaterThan(800_000);
    // the same loss-free path, the same growth (arrival times differ by the formats' quanta only)
    expect(Math.abs(last(ccfb) - last(twcc)) / last(twcc)).toBeLessThan(0.05);
    expect(ccfb.bwe.every((e) => e.detail!.reported === e.detail!.received)).toBe(true);
  });

  it('a REMB naming our stream caps the target from its arrival; one naming another stream does not', () => {
    const remb = (bps: number, ssrcs: number[]) => encodeRemb({ senderSsrc: 9, mediaSsrc: 0, bitrateBps: bps, ssrcs });
    const capped = pair({ feedback: 'ccfb', ms: 4000, frameBytes: 2500, extra: [{ atMs: 1000, packet: remb(500_000, [MEDIA.ssrc]) }] });
    // the cap applies at once, to the encoder too (as its share of the link rate)
    const right = capped.targets.find((t) => t.atMs >= 1000)!;
    expect(right.atMs).toBe(1000);
    expect(right.bps).toBeLessThanOrEqual(500_000);
    const after = capped.bwe.filter((e) => e.timeMs > 1000);
    expect(after.length).toBeGreaterThan(20);
    for (const e of after) {
      expect(e.detail!.rembBps).toBe(500_000);
      expect(Number(e.detail!.targetBps)).toBeLessThanOrEqual(500_000);
    }
    expect(capped.bwe.filter((e) => e.timeMs < 1000).every((e) => e.detail!.rembBps === undefined)).toBe(true);
    const other = pair({ feedback: 'ccfb', ms: 4000, frameBytes: 2500, extra: [{ atMs: 1000, packet: remb(500_000, [0x1234]) }] });
    expect(Number(other.bwe.at(-1)!.detail!.targetBps)).toBeGreaterThan(800_000);
  });
});

