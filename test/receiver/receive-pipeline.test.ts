/**
 * ReceivePipeline in virtual time (no timers, no sleeps): the test owns the clock, runs the
 * pipeline at its pollTimeout(), and plays the decoder. Frames come out for decoding in order;
 * a lost packet is NACKed at the pipeline's own wake-up and an RTX repair completes the frame;
 * every keyframe request goes through one rate limiter; malformed datagrams never throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer, type PacketizedPacket } from '../../src/sender/h264/packetizer.ts';
import { ReceivePipeline, type ReceiveOutput, type ReceivePipelineOptions } from '../../src/receiver/receive-pipeline.ts';
import type { AssembledFrame } from '../../src/receiver/frame-assembler-types.ts';
import { parseCompound } from '../../src/shared/rtcp/compound.ts';
import { protectionStreams } from '../../src/shared/protection-streams.ts';
import { parseRtp, serializeRtp, isRtpParseError } from '../../src/shared/rtp/packet.ts';
import type { FeedbackRecord, ReceiverFrameRecord } from '../../src/shared/records.ts';

const MEDIA_SSRC = 0x01020304;
const PT = 102;
const FRAME_MS = 33;
const streams = protectionStreams(42);

/** Annex-B: SPS + PPS + IDR for a keyframe, else one non-IDR slice; ~3 packets each at 1200 bytes. */
function accessUnit(id: number, keyframe: boolean): Buffer {
  const start = Buffer.from([0, 0, 0, 1]);
  const body = Buffer.alloc(3000, 0x20 + (id % 0x40));
  body[0] = keyframe ? 0x65 : 0x41;
  return Buffer.concat(keyframe ? [start, Buffer.from([0x67, 0x42, 0xe0, 0x1f]), start, Buffer.from([0x68, 0xce, 0x3c, 0x80]), start, body] : [start, body]);
}

/** `count` frames, keyframes at the ids in `keyframes` (default: the first). */
function packetizeFrames(count: number, keyframes: readonly number[] = [0]): PacketizedPacket[][] {
  const packetizer = new H264Packetizer({ ...DEFAULT_H264_PACKETIZER_OPTIONS, payloadType: PT, ssrc: MEDIA_SSRC, extensions: {} });
  let seq = 65_530; // wraps inside the run
  const frames: PacketizedPacket[][] = [];
  for (let id = 0; id < count; id++) {
    const out = packetizer.packetize({ accessUnit: accessUnit(id, keyframes.includes(id)), rtpTimestamp: id * 3000, firstSequenceNumber: seq });
    if (out instanceof H264PacketizeError) throw new Error(out.code);
    seq = out.nextSequenceNumber;
    frames.push(out.packets);
  }
  return frames;
}

/** RFC 4588 retransmission of `original` on the RTX stream. */
function rtxOf(original: Buffer, rtxSeq: number): Buffer {
  const p = parseRtp(original);
  if (isRtpParseError(p)) throw new Error(p.code);
  const payload = new Uint8Array(2 + p.payload.length);
  payload[0] = p.sequenceNumber >> 8;
  payload[1] = p.sequenceNumber & 0xff;
  payload.set(p.payload, 2);
  return serializeRtp({ ...p, ssrc: streams.rtx.ssrc, payloadType: streams.rtx.payloadType, sequenceNumber: rtxSeq, payload });
}

/** The pipeline with a virtual clock and a decoder that always shows the frame. */
class Harness {
  readonly pipeline: ReceivePipeline;
  nowMs = 0;
  readonly decoded: AssembledFrame[] = [];
  readonly rtcp: Uint8Array[] = [];
  readonly records: ReceiveOutput[] = [];
  failDecode = false;

  constructor(options: Partial<ReceivePipelineOptions> = {}) {
    this.pipeline = new ReceivePipeline({ pliIntervalMs: 500, localSsrc: 1, maxWaitMs: 0, ...options });
  }

  /** Runs the pipeline's timeouts up to `untilMs`, in virtual time. */
  advance(untilMs: number): void {
    for (let due = this.pipeline.pollTimeout(); due !== undefined && due <= untilMs; due = this.pipeline.pollTimeout()) {
      this.nowMs = Math.max(this.nowMs, due);
      this.pipeline.handleTimeout(this.nowMs);
      this.drain();
    }
    this.nowMs = untilMs;
  }

  rtp(data: Uint8Array): void {
    this.pipeline.handleRtp(data, this.nowMs);
    this.drain();
  }

  drain(): void {
    for (let e = this.pipeline.pollOutput(); e !== undefined; e = this.pipeline.pollOutput()) {
      if (e.type === 'decode') {
        this.decoded.push(e.frame);
        this.pipeline.handleDecoded(
          e.frame,
          this.failDecode ? { kind: 'error' } : { kind: 'picture', decodeStartMs: this.nowMs, decodeDoneMs: this.nowMs + 2, markerReadMs: this.nowMs + 2, marker: { ok: true, frameId: e.frame.rtpTimestamp / 3000, captureMs: 0 } },
          this.nowMs + 2,
        );
      } else if (e.type === 'rtcp') this.rtcp.push(e.packet);
      else this.records.push(e);
    }
  }

  recordsOf<T>(predicate: (r: unknown) => r is T): T[] {
    return this.records.flatMap((e) => (e.type === 'record' && predicate(e.record) ? [e.record] : []));
  }
}

const isFrame = (r: unknown): r is ReceiverFrameRecord => (r as { type?: string }).type === 'frame';
const isPli = (r: unknown): r is FeedbackRecord => (r as FeedbackRecord).type === 'feedback' && (r as FeedbackRecord).kind === 'pli';

describe('ReceivePipeline in virtual time', () => {
  it('hands out every frame in order across a sequence-number wrap and records it displayed', () => {
    const h = new Harness();
    packetizeFrames(6).forEach((packets, id) => {
      h.advance(id * FRAME_MS);
      for (const p of packets) h.rtp(p.data);
    });
    expect(h.decoded.map((f) => f.rtpTimestamp)).toEqual([0, 3000, 6000, 9000, 12000, 15000]);
    expect(h.pipeline.counters).toMatchObject({ framesReceived: 6, framesDisplayed: 6, keyframeRequests: 0 });
    expect(h.recordsOf(isFrame).map((f) => f.marker)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('NACK: a lost packet is asked for at the pipeline own wake-up, and its RTX completes the frame', () => {
    const h = new Harness({ maxWaitMs: 200, recovery: { mode: 'nack', fecScheme: 'flexfec', streams, maxRetries: 3, rttBoundMs: 20, assemblerMaxWaitMs: 200 } });
    const frames = packetizeFrames(3);
    const lost = frames[1]![1]!;
    frames.forEach((packets, id) => {
      h.advance(id * FRAME_MS);
      for (const p of packets) if (p !== lost) h.rtp(p.data);
    });
    h.advance(3 * FRAME_MS);
    const nacks = h.rtcp.flatMap((bytes) => {
      const parsed = parseCompound(bytes);
      return parsed.ok ? parsed.value.filter((p) => p.type === 'nack') : [];
    });
    expect(nacks.length).toBeGreaterThanOrEqual(1);
    expect(nacks[0]!.type === 'nack' && nacks[0]!.seqs).toContain(lost.sequenceNumber);
    expect(h.decoded.map((f) => f.rtpTimestamp)).toEqual([0]);
    h.rtp(rtxOf(lost.data, 7));
    h.advance(4 * FRAME_MS);
    expect(h.decoded.map((f) => f.rtpTimestamp)).toEqual([0, 3000, 6000]);
    expect(h.pipeline.counters.recoveredByRtx).toBe(1);
  });

  it('one rate limiter for every keyframe request: the assembler, not-decodable frames and decode errors share it', () => {
    const h = new Harness({ pliIntervalMs: 500 });
    const frames = packetizeFrames(21, [0, 20]);
    // frame 1 loses its first packet: the frames after it cannot be decoded until a keyframe,
    // and each of them would ask for one
    frames.slice(0, 12).forEach((packets, id) => {
      h.advance(id * FRAME_MS);
      for (const p of packets) if (!(id === 1 && p === packets[0])) h.rtp(p.data);
    });
    expect(h.recordsOf(isPli).length).toBe(1);
    expect(h.recordsOf(isFrame).filter((f) => f.notDisplayed === 'not-decodable').length).toBeGreaterThan(1);
    // the next keyframe, 600 ms later, fails to decode: a second request, past the interval
    h.failDecode = true;
    h.advance(600);
    for (const p of frames[20]!) h.rtp(p.data);
    const plis = h.recordsOf(isPli);
    expect(plis.map((p) => p.reason).at(-1)).toBe('decode-error');
    expect(plis.length).toBe(2);
    expect(plis[1]!.timeMs - plis[0]!.timeMs).toBeGreaterThanOrEqual(500);
    expect(h.rtcp.length).toBe(2);
    expect(h.pipeline.counters.keyframeRequests).toBe(2);
  });

  it('malformed RTP and RTCP never throw and are counted', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }), fc.boolean(), (datagrams, recovery) => {
        const h = new Harness(recovery ? { recovery: { mode: 'hybrid', fecScheme: 'ulpfec', streams, maxRetries: 2, rttBoundMs: 20, assemblerMaxWaitMs: 60 } } : {});
        for (const d of datagrams) {
          h.rtp(d);
          h.pipeline.handleRtcp(d, h.nowMs);
          h.advance(h.nowMs + 5);
        }
        h.pipeline.finish(h.nowMs);
        h.drain();
        expect(h.pipeline.counters.badPackets).toBeLessThanOrEqual(datagrams.length);
      }),
    );
  });
});
