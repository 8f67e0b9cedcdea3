/**
 * SendPipeline in virtual time (no timers, no sleeps): none releases a frame at once, leaky
 * spreads it at factor × target with each packet's queue time, a late wake-up catches up on what
 * was due (the rate holds, the packets leave at the late time), FEC leaves after its frame's
 * media, a NACK brings RTX before media waiting in the pacer, the frame record is written when
 * its last media packet leaves, a PLI for our stream asks the encoder for a keyframe (with or
 * without protection), and a malformed RTCP datagram is an event, never a throw.
 */
import { describe, expect, it } from 'vitest';
import { SendPipeline, type EncodedInput, type SendPipelineOptions, type SendPipelineOutput } from '../../src/sender/send-pipeline.ts';
import type { LabRecord, PacketRecord, SenderFrameRecord } from '../../src/shared/records.ts';
import { createFecController } from '../../src/sender/fec-controller/index.ts';
import type { SendProtectionOptions } from '../../src/sender/protection/options.ts';
import { encodePli } from '../../src/shared/rtcp/pli.ts';
import { encodeNack } from '../../src/shared/rtcp/nack.ts';

const MEDIA = { ssrc: 0x0badcafe, payloadType: 102, extensions: {} };
const PACING = { mode: 'leaky' as const, factor: 2.5, burstMs: 0, queueLimitMs: null, targetBitrateBps: 800_000 };
/** 2.5 × 800 kbit/s = 250 bytes per ms */
const BYTES_PER_MS = 250;

function protection(mode: 'nack' | 'hybrid'): SendProtectionOptions {
  return {
    mode, fecScheme: 'flexfec', maskType: 'random', mediaSsrc: MEDIA.ssrc, mediaPayloadType: MEDIA.payloadType,
    red: { payloadType: 116, ulpfecPayloadType: 117 },
    flexfec: { ssrc: 0x3333, payloadType: 118, initialSequenceNumber: 1000 },
    rtx: { ssrc: 0x2222, payloadType: 97, initialSequenceNumber: 500, history: { maxPackets: 2000, maxAgeMs: 2000 } },
    maxMediaPacketsPerBlock: 48, initialRttMs: 10,
    fecController: createFecController({ method: 'nack-fec', encoding: { width: 640, height: 360 } }),
    targetBitrateBps: 800_000, frameRateFps: 30, fixedFecRate255: { key: 80, delta: 80 },
    senderReportIntervalMs: 500, rtpTimestampAtZero: 0,
  };
}

/** One access unit of `bytes` (one IDR or non-IDR NAL) for frame `id` at `atMs`. */
function frame(id: number, atMs: number, bytes: number, keyframe = id === 0): EncodedInput {
  const nal = new Uint8Array(bytes).fill(0x33);
  nal[0] = keyframe ? 0x65 : 0x41;
  return {
    frame: { frameId: id, captureMs: atMs, renderSubmitMs: atMs, renderDoneMs: atMs, copyDoneMs: atMs, convertDoneMs: atMs, deliveredMs: atMs },
    accessUnit: [nal], keyframe, encodeStartMs: atMs, encodeDoneMs: atMs,
  };
}

/** A pipeline with its outputs collected; `runUntil` steps virtual time through each wake-up. */
function harness(options: Partial<SendPipelineOptions>) {
  const pipeline = new SendPipeline({ media: MEDIA, mtu: 1200, seed: 7, ...options });
  const outputs: (SendPipelineOutput & { atMs: number })[] = [];
  let now = 0;
  const drain = (): void => {
    for (let e = pipeline.pollOutput(); e !== undefined; e = pipeline.pollOutput()) outputs.push({ ...e, atMs: now });
  };
  return {
    pipeline, outputs,
    at(ms: number, step: (p: SendPipeline) => void): void { now = ms; step(pipeline); drain(); },
    runUntil(endMs: number): void {
      for (let due = pipeline.pollTimeout(); due !== undefined && due <= endMs; due = pipeline.pollTimeout()) {
        now = Math.max(now, due);
        pipeline.handleTimeout(now);
        drain();
      }
      now = endMs;
    },
    records: (): LabRecord[] => outputs.flatMap((o) => (o.type === 'record' ? [o.record] : [])),
    sentPackets: (): PacketRecord[] => outputs.flatMap((o) => (o.type === 'record' && o.record.type === 'packet' ? [o.record] : [])),
  };
}

describe('SendPipeline', () => {
  it('none: a frame leaves at once, in sequence order, queue time 0; its record carries the send times', () => {
    const h = harness({});
    h.at(5, (p) => p.handleFrame(frame(0, 5, 6000), 5));
    const sent = h.sentPackets();
    expect(sent.length).toBe(6);
    expect(sent.every((p) => p.timeMs === 5 && p.queueMs === 0 && p.kind === 'media')).toBe(true);
    expect(sent.map((p) => p.seq)).toEqual(sent.map((_, i) => (sent[0]!.seq + i) & 0xffff));
    expect(h.outputs.filter((o) => o.type === 'rtp').length).toBe(6);
    const record = h.records().find((r): r is SenderFrameRecord => r.type === 'frame')!;
    expect(record).toMatchObject({ frameId: 0, packets: 6, firstPacketSentMs: 5, lastPacketSentMs: 5, keyframe: true, bytes: 6000 });
    expect(h.pipeline.pollTimeout()).toBeUndefined();
    expect(h.pipeline.counters).toMatchObject({ framesSent: 1, packetsSent: 6 });
  });

  it('leaky: a frame is spread at factor × target, each packet with its queue time; the record waits for the last', () => {
    const h = harness({ pacing: PACING });
    h.at(0, (p) => p.handleFrame(frame(0, 0, 12_000), 0));
    expect(h.sentPackets().length).toBe(1);
    expect(h.records().some((r) => r.type === 'frame')).toBe(false);
    h.runUntil(1000);
    const sent = h.sentPackets();
    expect(sent.length).toBeGreaterThan(9);
    for (let i = 1; i < sent.length; i++) {
      // each gap is the previous packet's bytes at the pacing rate
      expect(sent[i]!.timeMs - sent[i - 1]!.timeMs).toBeCloseTo(sent[i - 1]!.size / BYTES_PER_MS, 6);
      expect(sent[i]!.queueMs).toBeCloseTo(sent[i]!.timeMs, 9);
    }
    const record = h.records().find((r): r is SenderFrameRecord => r.type === 'frame')!;
    expect(record.lastPacketSentMs).toBe(sent.at(-1)!.timeMs);
    expect(h.pipeline.queuedPackets).toBe(0);
  });

  it('leaky: a late wake-up catches up on what was due and sends it at the late time', () => {
    const h = harness({ pacing: PACING });
    h.at(0, (p) => p.handleFrame(frame(0, 0, 20_000), 0));
    const first = h.sentPackets().length;
    // the wake-up comes 40 ms late: by then 40 × 250 bytes were due
    h.at(40, (p) => p.handleTimeout(40));
    const late = h.sentPackets().slice(first);
    const dueBy40 = Math.floor((40 * BYTES_PER_MS) / h.sentPackets()[0]!.size);
    expect(late.length).toBeGreaterThanOrEqual(dueBy40 - 1);
    expect(late.length).toBeLessThanOrEqual(dueBy40 + 1);
    expect(late.every((p) => p.timeMs === 40 && p.queueMs === 40)).toBe(true);
  });

  it('hybrid: FEC leaves after its frame\'s media, with one fec-block record per block', () => {
    const h = harness({ pacing: PACING, protection: protection('hybrid') });
    h.at(0, (p) => p.handleFrame(frame(0, 0, 6000), 0));
    h.runUntil(200);
    const kinds = h.sentPackets().map((p) => p.kind);
    const lastMedia = kinds.lastIndexOf('media');
    const firstFec = kinds.indexOf('fec');
    expect(firstFec).toBeGreaterThan(lastMedia);
    expect(h.records().filter((r) => r.type === 'fec-block').length).toBe(1);
  });

  it('a NACK brings RTX ahead of media still waiting in the pacer; its record names the media seq and the NACK time', () => {
    const h = harness({ pacing: PACING, protection: protection('nack') });
    h.at(0, (p) => p.handleFrame(frame(0, 0, 3000), 0));
    h.runUntil(100);
    const lostSeq = h.sentPackets()[1]!.seq;
    h.at(101, (p) => p.handleFrame(frame(1, 101, 12_000), 101));
    const nack = encodeNack({ senderSsrc: 0x4444, mediaSsrc: MEDIA.ssrc, seqs: [lostSeq] });
    h.at(102, (p) => p.handleRtcp(nack, 102));
    h.runUntil(400);
    const after = h.sentPackets().filter((p) => p.timeMs >= 102);
    expect(after[0]).toMatchObject({ kind: 'rtx', originalSeq: lostSeq, nackMs: 102 });
    expect(h.records().some((r) => r.type === 'feedback' && r.kind === 'nack' && r.dir === 'in')).toBe(true);
  });

  it.each([['without protection', undefined], ['with protection', protection('nack')]] as const)('a PLI for our stream asks for a keyframe (%s); one for another stream does not', (_name, prot) => {
    const h = harness(prot ? { protection: prot } : {});
    h.at(10, (p) => p.handleRtcp(encodePli({ senderSsrc: 1, mediaSsrc: MEDIA.ssrc }), 10));
    h.at(11, (p) => p.handleRtcp(encodePli({ senderSsrc: 1, mediaSsrc: 0x1234 }), 11));
    expect(h.outputs.filter((o) => o.type === 'keyframe-request')).toEqual([{ type: 'keyframe-request', source: 'pli', atMs: 10 }]);
    expect(h.pipeline.counters.keyframeRequests).toBe(1);
  });

  it('a malformed RTCP datagram is an event; a dropped frame a record', () => {
    const h = harness({ protection: protection('nack') });
    h.at(1, (p) => p.handleRtcp(Uint8Array.of(0x80, 0xc9, 0xff), 1));
    h.at(2, (p) => p.dropFrame(frame(3, 2, 10).frame, 'encoder-busy'));
    const records = h.records();
    expect(records.some((r) => r.type === 'event' && r.name === 'bad-rtcp')).toBe(true);
    expect(records.some((r) => r.type === 'frame' && r.side === 'sender' && r.dropped === 'encoder-busy' && r.frameId === 3)).toBe(true);
  });
});
