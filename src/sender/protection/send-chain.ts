/**
 * Send protection chain, sans-I/O: a frame's media packets in (serialized RTP from the
 * packetizer), packets for the pacer out with their kind (media, FEC, RTX). Media is kept in the
 * RTX history; each frame is FEC-protected on its own (key and delta factors from the FEC
 * controller, NumFec = (n·factor + 128) >> 8) as ULPFEC inside RED on the media SSRC — media then
 * travels as RED too, as libwebrtc sends it — or FlexFEC-03 on its own SSRC. RTCP in: NACK → RTX
 * (never twice within one RTT), PLI/FIR → keyframe request, RR → loss and RTT for the controller.
 * Time is an input (`nowMs`); drain `pollOutput()` after every call.
 */
import { encodeUlpfec } from '../../shared/fec/ulpfec.ts';
import { buildRedPacket, encapsulateRed } from '../../shared/fec/red.ts';
import { FlexfecEncoder } from '../../shared/fec/flexfec.ts';
import { getMask, maskIndices } from '../../shared/fec/masks.ts';
import { numFecPackets } from '../../shared/fec/num-fec.ts';
import { FecError } from '../../shared/fec/errors.ts';
import { isRtpLayoutError, readRtpLayout, type RtpLayout } from '../../shared/fec/rtp-fields.ts';
import { parseCompound, type MalformedRtcpPacket, type RtcpPacket } from '../../shared/rtcp/compound.ts';
import { KeyframeRequestFilter } from '../keyframe-requests.ts';
import { encodeSenderReport } from '../../shared/rtcp/sr.ts';
import { RtxSender } from '../rtx/rtx.ts';
import type { ProtectionMethod } from '../fec-controller/index.ts';
import { Fifo } from '../../shared/fifo.ts';
import {
  checkSendProtectionOptions, compactNtpFromMs, ntpFromMs, SendProtectionError,
  type SendOutput, type SendPacket, type SendProtectionOptions,
} from './options.ts';

const METHOD_OF_MODE: Readonly<Record<SendProtectionOptions['mode'], ProtectionMethod>> = { none: 'none', nack: 'nack', fec: 'fec', hybrid: 'nack-fec' };

/** One frame handed to the chain. */
export interface ProtectFrameInput {
  /** the frame's media RTP packets in sequence order, on `mediaSsrc` */
  packets: readonly Uint8Array[];
  keyframe: boolean;
  nowMs: number;
}

/** A frame between `beginFrame` and `finishFrame`: its packets (by reference), factor and FEC blocks. */
export interface FramePlan {
  readonly packets: readonly Uint8Array[];
  readonly layouts: readonly RtpLayout[];
  readonly keyframe: boolean;
  /** protection factor fixed at `beginFrame`, 1/255 (0 = no FEC) */
  readonly rate255: number;
  /** FEC blocks: their media packets, FEC packet count and (ULPFEC) first reserved sequence number */
  readonly blocks: readonly { packets: readonly Uint8Array[]; fecCount: number; firstUlpfecSeq: number }[];
  /** uint16 sequence number the next frame must start at */
  readonly nextSequenceNumber: number;
}

/** Counters, bytes and packets. */
export interface SendProtectionStats {
  mediaPackets: number;
  /** media RTP bytes as packetized (before RED) */
  mediaBytes: number;
  fecPackets: number;
  /** FEC RTP bytes on the wire (RED/FlexFEC headers included) */
  fecBytes: number;
  rtxPackets: number;
  rtxBytes: number;
  nacksReceived: number;
  keyframeRequests: number;
}

/** The send side of loss protection for one media SSRC. */
export class SendProtection {
  private readonly out = new Fifo<SendOutput>();
  private readonly rtx: RtxSender;
  private readonly flexfec: FecEncoderLike | undefined;
  private keyRate255 = 0;
  private deltaRate255 = 0;
  private lossFraction255 = 0;
  private rttMs: number;
  private targetBitrateBps: number;
  private nextSrMs: number | undefined;
  readonly stats: SendProtectionStats = { mediaPackets: 0, mediaBytes: 0, fecPackets: 0, fecBytes: 0, rtxPackets: 0, rtxBytes: 0, nacksReceived: 0, keyframeRequests: 0 };

  private readonly keyframeRequests: KeyframeRequestFilter;

  /** Throws SendProtectionError('invalid-option') for unusable options. */
  constructor(private readonly o: SendProtectionOptions) {
    checkSendProtectionOptions(o);
    this.keyframeRequests = new KeyframeRequestFilter(o.mediaSsrc);
    this.rttMs = o.initialRttMs;
    this.targetBitrateBps = o.targetBitrateBps;
    this.rtx = new RtxSender({
      streams: [{ mediaSsrc: o.mediaSsrc, rtxSsrc: o.rtx.ssrc, initialRtxSeq: o.rtx.initialSequenceNumber }],
      apt: { [o.rtx.payloadType]: o.mediaPayloadType },
      history: o.rtx.history,
      initialRttMs: o.initialRttMs,
    });
    this.flexfec = o.fecScheme === 'flexfec' ? new FlexfecEncoder({ ssrc: o.flexfec.ssrc, payloadType: o.flexfec.payloadType, initialSequenceNumber: o.flexfec.initialSequenceNumber }) : undefined;
    o.fecController.setMethod(METHOD_OF_MODE[o.mode]);
    this.nextSrMs = o.senderReportIntervalMs === undefined ? undefined : 0;
    this.updateRates(0);
  }

  private get fecOn(): boolean {
    return this.o.mode === 'fec' || this.o.mode === 'hybrid';
  }

  private get nackOn(): boolean {
    return this.o.mode === 'nack' || this.o.mode === 'hybrid';
  }

  /** The RTX stream padding-only packets (probes) go on. */
  get rtxStream(): { ssrc: number; payloadType: number } {
    return { ssrc: this.o.rtx.ssrc, payloadType: this.o.rtx.payloadType };
  }

  /** The next RTX sequence number, for a padding-only packet leaving now. */
  takeRtxPaddingSeq(): number | undefined {
    return this.rtx.takePaddingSeq(this.o.mediaSsrc)?.seq;
  }

  /** Current key/delta protection factors, 1/255. */
  get fecRates255(): { key: number; delta: number } {
    return { key: this.keyRate255, delta: this.deltaRate255 };
  }

  /** RTT in use: measured from the last RR answering one of our SRs, else the initial one, ms. */
  get currentRttMs(): number {
    return this.rttMs;
  }

  /** Sets the target bitrate the FEC controller sees, bps. */
  setTargetBitrate(bps: number, nowMs: number): void {
    this.targetBitrateBps = bps;
    this.updateRates(nowMs);
  }

  /**
   * Protects one frame: queues its media (as RED when ULPFEC is on) and FEC packets. Returns the
   * sequence number the next frame must start at (uint16: ULPFEC packets take media sequence
   * numbers after the frame), or an error value for packets that are not RTP of `mediaSsrc`.
   * The same as `beginFrame`, `releaseMedia` for each packet, then `finishFrame`.
   */
  sendFrame(frame: ProtectFrameInput): { nextSequenceNumber: number } | SendProtectionError {
    const plan = this.beginFrame(frame);
    if (plan instanceof SendProtectionError) return plan;
    for (let i = 0; i < plan.packets.length; i++) {
      const media = this.releaseMedia(plan, i, frame.nowMs);
      if (media instanceof SendProtectionError) return media;
      this.out.push(media);
    }
    const error = this.finishFrame(plan, frame.nowMs);
    return error ?? { nextSequenceNumber: plan.nextSequenceNumber };
  }

  /**
   * First step of a paced frame (the frame enters the pacer): checks its packets, feeds the FEC
   * controller, fixes the protection factor and reserves the ULPFEC sequence numbers after the
   * frame. The packets are kept by reference: send-time header extensions may be written into
   * them until `finishFrame`, which computes the FEC over the bytes as they were sent.
   */
  beginFrame(frame: ProtectFrameInput): FramePlan | SendProtectionError {
    const layouts: RtpLayout[] = [];
    let payloadBytes = 0;
    for (const p of frame.packets) {
      const l = readRtpLayout(p);
      if (isRtpLayoutError(l)) return new SendProtectionError('bad-media-packet', l.code);
      if (l.ssrc !== this.o.mediaSsrc >>> 0) return new SendProtectionError('bad-media-packet', `SSRC ${l.ssrc}`);
      layouts.push(l);
      payloadBytes += l.payloadLength;
    }
    const last = layouts[layouts.length - 1];
    if (last === undefined) return new SendProtectionError('bad-media-packet', 'empty frame');
    this.o.fecController.onEncodedFrame({ sizeBytes: payloadBytes, isKeyFrame: frame.keyframe, nowMs: frame.nowMs });
    let nextSeq = (last.sequenceNumber + 1) & 0xffff;
    const rate255 = this.fecOn ? (frame.keyframe ? this.keyRate255 : this.deltaRate255) : 0;
    const blocks: { packets: readonly Uint8Array[]; fecCount: number; firstUlpfecSeq: number }[] = [];
    if (rate255 > 0) {
      for (const block of splitBlocks(frame.packets, this.o.maxMediaPacketsPerBlock)) {
        const fecCount = numFecPackets(block.length, rate255);
        blocks.push({ packets: block, fecCount, firstUlpfecSeq: nextSeq });
        if (this.o.fecScheme === 'ulpfec') nextSeq = (nextSeq + fecCount) & 0xffff;
      }
    }
    return { packets: frame.packets, layouts, keyframe: frame.keyframe, rate255, blocks, nextSequenceNumber: nextSeq };
  }

  /**
   * One media packet of `plan` leaves now (pacer release, after its send-time extensions were
   * written): kept in the RTX history, counted; returns it as it goes on the wire (RED when
   * ULPFEC is on). Not queued: the caller sends it.
   */
  releaseMedia(plan: FramePlan, index: number, nowMs: number): SendPacket | SendProtectionError {
    const plain = plan.packets[index]!;
    const l = plan.layouts[index]!;
    if (this.nackOn) this.rtx.onMediaSent(plain, nowMs);
    let wire: Uint8Array = plain;
    if (this.fecOn && this.o.fecScheme === 'ulpfec') {
      const red = encapsulateRed(plain, this.o.red.payloadType);
      if (red instanceof FecError) return new SendProtectionError('bad-media-packet', red.message);
      wire = red;
    }
    this.stats.mediaPackets++;
    this.stats.mediaBytes += plain.length;
    return { type: 'packet', kind: 'media', packet: wire, ssrc: l.ssrc, seq: l.sequenceNumber, mediaSeq: l.sequenceNumber, timeMs: nowMs };
  }

  /** Last step of a frame (all its media has left): queues its FEC packets and one `fec-block` per block. */
  finishFrame(plan: FramePlan, nowMs: number): SendProtectionError | undefined {
    const timestamp = plan.layouts[plan.layouts.length - 1]!.timestamp;
    for (const { packets: block, fecCount, firstUlpfecSeq } of plan.blocks) {
      if (fecCount === 0) continue;
      const mask = getMask(this.o.maskType, block.length, fecCount);
      const blockEvent = {
        type: 'fec-block' as const, mediaSeqs: block.map((p) => (p[2]! << 8) | p[3]!), fecSsrc: this.flexfec ? this.o.flexfec.ssrc : this.o.mediaSsrc,
        fecSeqs: [] as number[], covers: mask.map((row) => maskIndices(row)), keyframe: plan.keyframe, rate255: plan.rate255, timeMs: nowMs,
      };
      if (this.flexfec) {
        const fec = this.flexfec.encode(block, mask, timestamp);
        if (fec instanceof FecError) return new SendProtectionError('fec-encode', fec.message);
        for (const p of fec) {
          blockEvent.fecSeqs.push((p[2]! << 8) | p[3]!);
          this.pushFec(p, this.o.flexfec.ssrc, (p[2]! << 8) | p[3]!, nowMs);
        }
      } else {
        const payloads = encodeUlpfec(block, mask);
        if (payloads instanceof FecError) return new SendProtectionError('fec-encode', payloads.message);
        let seq = firstUlpfecSeq;
        for (const payload of payloads) {
          const p = buildRedPacket({ payloadType: this.o.red.payloadType, sequenceNumber: seq, timestamp, ssrc: this.o.mediaSsrc, marker: false }, this.o.red.ulpfecPayloadType, payload);
          blockEvent.fecSeqs.push(seq);
          this.pushFec(p, this.o.mediaSsrc, seq, nowMs);
          seq = (seq + 1) & 0xffff;
        }
      }
      this.out.push(blockEvent);
    }
    return undefined;
  }

  private pushFec(packet: Uint8Array, ssrc: number, seq: number, nowMs: number): void {
    this.stats.fecPackets++;
    this.stats.fecBytes += packet.length;
    this.out.push({ type: 'packet', kind: 'fec', packet, ssrc, seq, timeMs: nowMs });
  }

  /**
   * Handles one incoming RTCP datagram (compound or single). Returns an error value when its
   * framing is bad; packets of other SSRCs and unknown types are ignored.
   */
  handleRtcp(datagram: Uint8Array, nowMs: number): SendProtectionError | undefined {
    const parsed = parseCompound(datagram);
    if (!parsed.ok) return new SendProtectionError('bad-rtcp', parsed.error.message);
    this.handleRtcpPackets(parsed.value, nowMs);
    return undefined;
  }

  /** `handleRtcp` for a datagram its caller has already parsed (each datagram is parsed once). */
  handleRtcpPackets(packets: readonly (RtcpPacket | MalformedRtcpPacket)[], nowMs: number): void {
    const media = this.o.mediaSsrc >>> 0;
    for (const source of this.keyframeRequests.requestsIn(packets)) {
      this.stats.keyframeRequests++;
      this.out.push({ type: 'keyframe-request', source, timeMs: nowMs });
    }
    for (const p of packets) {
      if (p.type === 'nack' && p.mediaSsrc === media) {
        this.stats.nacksReceived++;
        if (!this.nackOn) {
          for (const seq of p.seqs) this.out.push({ type: 'rtx-refused', seq, reason: 'mode', timeMs: nowMs });
          continue;
        }
        this.rtx.handleNack(media, p.seqs, nowMs);
        this.drainRtx();
      } else if (p.type === 'rr' || p.type === 'sr') {
        const block = p.reports.find((r) => r.ssrc === media);
        if (!block) continue;
        this.lossFraction255 = block.fractionLost;
        if (block.lastSr !== 0) {
          const rtt = ((compactNtpFromMs(nowMs) - block.lastSr - block.delaySinceLastSr) >>> 0) * 1000 / 65536;
          if (rtt < 60_000) {
            this.rttMs = rtt;
            this.rtx.setRtt(rtt);
          }
        }
        this.updateRates(nowMs);
        this.out.push({ type: 'fec-rates', key: this.keyRate255, delta: this.deltaRate255, lossFraction255: this.lossFraction255, rttMs: this.rttMs, timeMs: nowMs });
      }
    }
  }

  private drainRtx(): void {
    for (let e = this.rtx.pollOutput(); e !== undefined; e = this.rtx.pollOutput()) {
      if (e.type === 'rtx') {
        this.stats.rtxPackets++;
        this.stats.rtxBytes += e.packet.length;
        this.out.push({ type: 'packet', kind: 'rtx', packet: e.packet, ssrc: e.rtxSsrc, seq: e.rtxSeq, mediaSeq: e.originalSeq, timeMs: e.timeMs });
      } else {
        this.out.push({ type: 'rtx-refused', seq: e.originalSeq, reason: e.reason, timeMs: e.timeMs });
      }
    }
  }

  private updateRates(nowMs: number): void {
    if (this.o.fixedFecRate255) {
      this.keyRate255 = this.o.fixedFecRate255.key;
      this.deltaRate255 = this.o.fixedFecRate255.delta;
      return;
    }
    const r = this.o.fecController.update({ nowMs, targetBitrateBps: this.targetBitrateBps, lossFraction255: this.lossFraction255, rttMs: this.rttMs, frameRateFps: this.o.frameRateFps });
    this.keyRate255 = r.key.fecRate;
    this.deltaRate255 = r.delta.fecRate;
  }

  /** When `handleTimeout` next has work (sender report), ms; undefined when never. */
  pollTimeout(): number | undefined {
    return this.nextSrMs;
  }

  /** Emits the sender report when due. */
  handleTimeout(nowMs: number): void {
    if (this.nextSrMs === undefined || nowMs < this.nextSrMs || this.o.senderReportIntervalMs === undefined) return;
    this.nextSrMs = nowMs + this.o.senderReportIntervalMs;
    const rtpTimestamp = (this.o.rtpTimestampAtZero + Math.round(nowMs * 90)) >>> 0;
    const packet = encodeSenderReport({
      ssrc: this.o.mediaSsrc, ...ntpFromMs(nowMs), rtpTimestamp,
      packetCount: this.stats.mediaPackets >>> 0, octetCount: this.stats.mediaBytes >>> 0, reports: [],
    });
    this.out.push({ type: 'rtcp', packet, timeMs: nowMs });
  }

  /** Next output, or undefined when drained. */
  pollOutput(): SendOutput | undefined {
    return this.out.shift();
  }
}

interface FecEncoderLike {
  encode(media: readonly Uint8Array[], mask: readonly Uint8Array[], rtpTimestamp: number): Buffer[] | FecError;
}

/** Splits `packets` into the fewest blocks of at most `max`, sizes differing by at most one. */
export function splitBlocks<T>(packets: readonly T[], max: number): T[][] {
  const blocks = Math.ceil(packets.length / max);
  const out: T[][] = [];
  let start = 0;
  for (let b = 0; b < blocks; b++) {
    const size = Math.floor(packets.length / blocks) + (b < packets.length % blocks ? 1 : 0);
    out.push(packets.slice(start, start + size));
    start += size;
  }
  return out;
}
