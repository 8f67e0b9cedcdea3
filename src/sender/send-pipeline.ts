/**
 * The send side of one video stream as one sans-I/O unit: encoded frames, RTCP datagrams and
 * timeouts go in (each with the time it happened, ms); out come RTP datagrams to send (as they
 * leave the pacer), RTCP to send (sender reports), keyframe requests for the encoder and records,
 * drained with `pollOutput()`, and the next time it needs to run with `pollTimeout()`. It holds
 * the packetizer, the protection chain (RTX history, FEC with its controller, RED, SR/RR), the
 * pacer, send-time stamping and the one keyframe-request filter. It reads no clock and starts no
 * timer: `VideoSender` drives it in real time with the native encoder and the transport, tests
 * and the simulator drive it in virtual time.
 *
 * A frame's FEC is computed once its last media packet has left the pacer (over the bytes as
 * sent, as libwebrtc's egress does), and its record is written then.
 */
import type { FecBlockRecord, LabRecord, PacketRecord, SenderFrameRecord } from '../shared/records.ts';
import type { NegotiatedMedia } from '../transport/webrtc-peer.ts';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer } from './h264/packetizer.ts';
import { initialSequenceNumber, RtpTimestampClock } from './rtp-clock.ts';
import { KeyframeRequestFilter, type KeyframeRequestSource } from './keyframe-requests.ts';
import { q32FromMs } from '../shared/rtp/extensions/abs-capture-time.ts';
import { parseCompound, type MalformedRtcpPacket, type RtcpPacket } from '../shared/rtcp/compound.ts';
import { SendProtection, type FramePlan } from './protection/send-chain.ts';
import { PACED_KIND_OF, SendProtectionError, type SendKind, type SendProtectionOptions } from './protection/options.ts';
import { createPacer, type PacingOptions } from './pacer/create.ts';
import type { PacedRelease, Pacer } from './pacer/pacer.ts';
import { SendTimeStamper, type SendTimeOffsets } from './send-time.ts';
import { Fifo } from '../shared/fifo.ts';
import { SendSideBandwidthEstimator, type CongestionOptions } from './congestion/googcc.ts';
import { SentPacketHistory } from './congestion/sent-history.ts';
import type { TwccFeedback } from '../shared/rtcp/twcc.ts';
import type { CcfbFeedback } from '../shared/rtcp/ccfb.ts';
import type { ReceiverEstimatedMaxBitrate } from '../shared/rtcp/remb.ts';
import { CongestionProbing } from './congestion/probing.ts';
import { buildProbePacket, MAX_PADDING_BYTES } from './congestion/probe-packet.ts';

/** The congestion feedback the receiver sends and the estimator reads: transport-wide (draft-holmer-rmcat-transport-wide-cc-extensions-01) or RFC 8888. */
export type CongestionFeedbackFormat = 'twcc' | 'ccfb';

/** Congestion control as the send pipeline takes it: the estimator's options and the feedback format. */
export interface SendCongestionOptions extends CongestionOptions {
  /** the feedback the estimator reads (the other format is recorded, not used); default twcc */
  feedback?: CongestionFeedbackFormat;
  /** probe the path (initial, exponential, on ALR exit, after a drop; congestion/probing.ts); default true. Needs a pacer (pacing 'leaky'). */
  probing?: boolean;
}

export interface SendPipelineOptions {
  /** the negotiated media stream: payload type, SSRC, header extension ids */
  media: NegotiatedMedia;
  /** RTP packet size limit, bytes */
  mtu: number;
  /** seeds the initial sequence number and timestamp offset */
  seed: number;
  /** loss protection (RTX history, NACK → RTX, FEC); undefined = none, packets go out as packetized */
  protection?: SendProtectionOptions;
  /** send pacing; undefined = none (every packet leaves at once) */
  pacing?: PacingOptions;
  /**
   * send-side congestion control on transport-wide or RFC 8888 feedback, the target capped by the
   * peer's REMB when it sends one; undefined = a fixed target (the encoder's)
   */
  congestion?: SendCongestionOptions;
}

/** When a frame was made, ms on the pipeline's clock: the sender frame record's own fields, and when it reached the sender (before encoding). */
export type FrameTimes = Pick<SenderFrameRecord, 'frameId' | 'captureMs' | 'renderSubmitMs' | 'renderDoneMs' | 'copyDoneMs' | 'convertDoneMs'> & { deliveredMs: number };

/** One encoded access unit with the times of its frame. */
export interface EncodedInput {
  frame: FrameTimes;
  /** Annex-B byte stream, or NAL units without start codes */
  accessUnit: Uint8Array | readonly Uint8Array[];
  keyframe: boolean;
  encodeStartMs: number;
  encodeDoneMs: number;
  /** zero-copy: the surface copied into NVENC's input */
  importDoneMs?: number;
}

export type SendPipelineOutput =
  | { type: 'record'; record: LabRecord }
  /** one serialized RTP packet, as it left the pacer */
  | { type: 'rtp'; packet: Uint8Array; kind: SendKind }
  /** one serialized RTCP packet (a sender report) */
  | { type: 'rtcp'; packet: Uint8Array }
  /** the receiver asked for a keyframe: the next frame should be an IDR */
  | { type: 'keyframe-request'; source: KeyframeRequestSource }
  /** congestion control set a new target: the encoder should follow (the pacer and FEC controller already do) */
  | { type: 'target-bitrate'; bps: number }
  /** the protection chain refused a packet it had planned (a bug, not an input error): stop */
  | { type: 'error'; error: Error };

/** Counters of the stream so far (the `stopped` summary). */
export interface SendCounters {
  framesSent: number;
  packetsSent: number;
  keyframeRequests: number;
  rtxSent: number;
  fecSent: number;
}

/** A frame whose media packets are in the pacer: its record is written once the last has left. */
interface FrameInFlight {
  input: EncodedInput;
  /** the access unit's size, bytes */
  bytes: number;
  rtpTimestamp: number;
  firstSeq: number;
  lastSeq: number;
  packets: number;
  /** media packets not released yet */
  left: number;
  plan: FramePlan | undefined;
  firstSentMs: number | undefined;
  lastSentMs: number;
}

/** One packet in the pacer. */
interface OutgoingPacket {
  kind: SendKind;
  /** media: the plain RTP packet (wrapped by the chain at release); others: as on the wire */
  data: Uint8Array;
  ssrc: number;
  seq: number;
  offsets: SendTimeOffsets | undefined;
  /** media: its frame and index in it */
  frame?: FrameInFlight;
  index?: number;
  /** RTX: the media sequence number carried and when the NACK asking for it arrived, ms */
  mediaSeq?: number;
  nackMs?: number;
  /** padding: the probe cluster it belongs to */
  probeCluster?: number;
}

/**
 * Bytes each RTP packet takes on the wire beyond itself: IPv4 (20) and UDP (8) headers and the
 * SRTP tag (10, AES_CM_128_HMAC_SHA1_80). Congestion control counts a packet's size as the link
 * does, so its estimate is a link rate.
 */
export const TRANSPORT_OVERHEAD_BYTES = 38;

/** Window over which the encoder's share of the bytes sent is measured, ms. */
const ENCODER_SHARE_WINDOW_MS = 1000;

const NO_PACING: PacingOptions = { mode: 'none', factor: 1, burstMs: 0, queueLimitMs: null, targetBitrateBps: 1 };

/** Most missed pacer due times one late wake-up steps through (a bound, not a tuning knob). */
const MAX_CATCH_UP_STEPS = 10_000;

export class SendPipeline {
  readonly counters: SendCounters = { framesSent: 0, packetsSent: 0, keyframeRequests: 0, rtxSent: 0, fecSent: 0 };
  private readonly protection: SendProtection | undefined;
  private readonly pacer: Pacer<OutgoingPacket>;
  private readonly packetizer: H264Packetizer;
  private readonly clock: RtpTimestampClock;
  private nextSequenceNumber: number;
  private readonly sendTime = new SendTimeStamper();
  private readonly keyframeFilter: KeyframeRequestFilter;
  private readonly out = new Fifo<SendPipelineOutput>();
  private lastFecRates: { key: number; delta: number } | undefined;
  /** ULPFEC in RED adds a one-byte RED header to each media packet at release */
  private readonly redHeaderBytes: number;
  private readonly estimator: SendSideBandwidthEstimator | undefined;
  private readonly sentHistory: SentPacketHistory | undefined;
  private readonly feedbackFormat: CongestionFeedbackFormat;
  /** the target the pacer, FEC controller and encoder were given last: the estimate, capped by the REMB, bit/s */
  private appliedTargetBps = 0;
  /** the peer's latest REMB for our stream, bit/s; undefined until one arrives */
  private rembBps: number | undefined;
  /** ALR detection and probing (congestion control with a pacer) */
  private readonly probing: CongestionProbing | undefined;
  /** the pacer's target while a probe cluster is being sent (its rate ÷ the pacing factor) */
  private probeBoostBps: number | undefined;
  /** the RTP timestamp of the last frame packetized (probe padding carries it) */
  private lastRtpTimestamp = 0;
  /** the probe packet clusters copy, built at the first probe */
  private probeTemplate: { data: Uint8Array; ssrc: number; offsets: SendTimeOffsets } | undefined;
  /** encoder bytes (access units) and wire bytes (every packet with its transport overhead) sent over the last second, with their sums */
  private readonly sentShare = new Fifo<{ atMs: number; encoderBytes: number; wireBytes: number }>();
  private sentEncoderBytes = 0;
  private sentWireBytes = 0;

  constructor(private readonly options: SendPipelineOptions) {
    this.clock = new RtpTimestampClock({ clockRateHz: 90_000, seed: options.seed });
    this.keyframeFilter = new KeyframeRequestFilter(options.media.ssrc);
    this.nextSequenceNumber = initialSequenceNumber(options.seed);
    this.packetizer = new H264Packetizer({
      ...DEFAULT_H264_PACKETIZER_OPTIONS,
      maxPacketBytes: options.mtu,
      payloadType: options.media.payloadType,
      ssrc: options.media.ssrc,
      extensions: options.media.extensions,
    });
    const p = options.protection;
    this.protection = p ? new SendProtection(p) : undefined;
    this.redHeaderBytes = p && p.fecScheme === 'ulpfec' && p.mode !== 'nack' && p.mode !== 'none' ? 1 : 0;
    this.pacer = createPacer<OutgoingPacket>(options.pacing ?? NO_PACING);
    this.feedbackFormat = options.congestion?.feedback ?? 'twcc';
    if (options.congestion) {
      this.appliedTargetBps = options.congestion.startBps;
      this.estimator = new SendSideBandwidthEstimator(options.congestion);
      this.sentHistory = new SentPacketHistory();
      // the start rate applies from the first packet: to the pacer and the FEC controller here, to the encoder through the output
      this.pacer.setRate(options.congestion.startBps, 0);
      this.protection?.setTargetBitrate(options.congestion.startBps, 0);
      this.out.push({ type: 'target-bitrate', bps: options.congestion.startBps });
      // probes need a pacer to spread them at the cluster's rate: without one they leave as one burst, which measures nothing
      if (options.congestion.probing !== false && options.pacing?.mode === 'leaky') {
        this.probing = new CongestionProbing({ startBps: options.congestion.startBps, minBps: options.congestion.minBps, maxBps: options.congestion.maxBps });
      }
    }
  }

  /** Packets waiting in the pacer. */
  get queuedPackets(): number {
    return this.pacer.queuedPackets;
  }

  /** The protection chain's current RTT estimate, ms (undefined without protection). */
  get rttMs(): number | undefined {
    return this.protection?.currentRttMs;
  }

  /** Sets the encoder target the pacing rate and the FEC controller follow, bits per second. */
  setTargetBitrate(bps: number, nowMs: number): void {
    this.pacer.setRate(bps, nowMs);
    this.protection?.setTargetBitrate(bps, nowMs);
    this.pump(nowMs);
  }

  /** A frame that did not reach the encoder or came back without an access unit. */
  dropFrame(frame: FrameTimes, reason: string): void {
    this.record(frameRecord(frame, { dropped: reason }));
  }

  /** Packetizes one encoded frame and queues its media packets in the pacer. */
  handleFrame(input: EncodedInput, nowMs: number): void {
    const frame = input.frame;
    const rtpTimestamp = this.clock.fromMs(frame.captureMs);
    const bytes = accessUnitBytes(input.accessUnit);
    // abs-capture-time carries the lab's CLOCK_MONOTONIC capture time in Q32.32 seconds
    const packetized = this.packetizer.packetize({
      accessUnit: input.accessUnit,
      rtpTimestamp,
      firstSequenceNumber: this.nextSequenceNumber,
      captureTime: { captureNtp: q32FromMs(frame.captureMs) },
    });
    if (packetized instanceof H264PacketizeError) {
      this.record(frameRecord(frame, { dropped: `packetize-error:${packetized.code}` }));
      return;
    }
    const packets = packetized.packets;
    this.nextSequenceNumber = packetized.nextSequenceNumber;
    this.lastRtpTimestamp = rtpTimestamp;
    if (packets.length === 0) {
      this.record(frameRecord(frame, { keyframe: input.keyframe, bytes, rtpTimestamp, packets: 0, encodeStartMs: input.encodeStartMs, encodeDoneMs: input.encodeDoneMs, ...(input.importDoneMs !== undefined ? { importDoneMs: input.importDoneMs } : {}) }));
      return;
    }
    let plan: FramePlan | undefined;
    if (this.protection) {
      // the chain fixes the FEC factor and reserves ULPFEC sequence numbers now; it keeps the
      // packets by reference, so the send times written at release are in what FEC protects
      const begun = this.protection.beginFrame({ packets: packets.map((p) => p.data), keyframe: input.keyframe, nowMs });
      if (begun instanceof SendProtectionError) {
        this.record(frameRecord(frame, { dropped: `protection-error:${begun.code}` }));
        return;
      }
      plan = begun;
      this.nextSequenceNumber = plan.nextSequenceNumber;
    }
    const inFlight: FrameInFlight = {
      input, bytes, rtpTimestamp, firstSeq: packets[0]!.sequenceNumber, lastSeq: packets[packets.length - 1]!.sequenceNumber,
      packets: packets.length, left: packets.length, plan, firstSentMs: undefined, lastSentMs: 0,
    };
    packets.forEach((packet, index) => {
      this.pacer.enqueue({
        kind: 'media',
        sizeBytes: packet.data.length + (plan ? this.redHeaderBytes : 0),
        data: {
          kind: 'media', data: packet.data, ssrc: this.options.media.ssrc, seq: packet.sequenceNumber,
          offsets: { transportSeq: packet.transportSeqOffset, absSendTime: packet.absSendTimeOffset }, frame: inFlight, index,
        },
      }, nowMs);
    });
    if (this.probing) {
      // after the frame's packets: probe padding takes sequence numbers behind them and leaves after them
      this.probing.onStart(nowMs);
      this.startProbe(nowMs);
    }
    this.pump(nowMs);
  }

  /** One RTCP compound datagram from the receiver, parsed once here. */
  handleRtcp(raw: Uint8Array, nowMs: number): void {
    const parsed = parseCompound(raw);
    if (!parsed.ok) {
      this.record({ type: 'event', side: 'sender', timeMs: nowMs, name: 'bad-rtcp', detail: { code: 'bad-rtcp', size: raw.length } });
      return;
    }
    if (!this.protection) {
      // without the chain, the pipeline's own filter decides (the chain holds the same one)
      for (const source of this.keyframeFilter.requestsIn(parsed.value)) this.onKeyframeRequest(source, nowMs);
      for (const p of parsed.value) this.onCongestionRtcp(p, nowMs);
      this.pump(nowMs);
      return;
    }
    for (const p of parsed.value) {
      if (p.type === 'nack') this.record({ type: 'feedback', side: 'sender', dir: 'in', kind: 'nack', timeMs: nowMs, seqs: [...p.seqs] });
      else this.onCongestionRtcp(p, nowMs);
    }
    this.protection.handleRtcpPackets(parsed.value, nowMs);
    this.pump(nowMs);
  }

  /** When the pipeline next has work (a paced packet due, a sender report), ms; undefined = none. */
  pollTimeout(): number | undefined {
    const pacer = this.pacer.pollTimeout();
    const protection = this.protection?.pollTimeout();
    if (pacer === undefined) return protection;
    return protection === undefined ? pacer : Math.min(pacer, protection);
  }

  /**
   * Runs what is due at `nowMs`. A late wake-up (a real-time timer fires late) steps the pacer
   * through the due times it missed, so their budget is not lost and the average rate holds;
   * the packets then leave together, at `nowMs`.
   */
  handleTimeout(nowMs: number): void {
    const due = this.protection?.pollTimeout();
    if (this.protection && due !== undefined && due <= nowMs) this.protection.handleTimeout(nowMs);
    for (let i = 0, at = this.pacer.pollTimeout(); i < MAX_CATCH_UP_STEPS && at !== undefined && at < nowMs; i++, at = this.pacer.pollTimeout()) {
      this.pacer.handleTimeout(at);
    }
    this.pacer.handleTimeout(nowMs);
    if (this.probing) {
      this.probing.onTime(nowMs);
      this.startProbe(nowMs);
    }
    this.pump(nowMs);
  }

  pollOutput(): SendPipelineOutput | undefined {
    return this.out.shift();
  }

  private record(record: LabRecord): void {
    this.out.push({ type: 'record', record });
  }

  /** The congestion-control packets of a datagram (transport-wide and RFC 8888 feedback, REMB); others are left to their handlers. */
  private onCongestionRtcp(p: RtcpPacket | MalformedRtcpPacket, nowMs: number): void {
    if (p.type === 'twcc' || p.type === 'ccfb') this.onCongestionFeedback(p, nowMs);
    else if (p.type === 'remb') this.onRemb(p, nowMs);
  }

  /**
   * A transport-wide or RFC 8888 feedback: recorded; if it is the format configured, the
   * estimator's new target (capped by the REMB) goes to the pacer, the FEC controller and (as an
   * output) the encoder.
   */
  private onCongestionFeedback(fb: TwccFeedback | CcfbFeedback, nowMs: number): void {
    const from = this.options.congestion?.feedbackSenderSsrc;
    if (from !== undefined && fb.senderSsrc >>> 0 !== from >>> 0) return;
    this.record({ type: 'feedback', side: 'sender', dir: 'in', kind: fb.type, timeMs: nowMs });
    if (!this.estimator || !this.sentHistory || fb.type !== this.feedbackFormat) return;
    const results = fb.type === 'twcc' ? this.sentHistory.onFeedback(fb) : this.sentHistory.onCcfb(fb);
    // a probe this feedback completes lifts the estimate before the feedback's own update
    const probedBps = this.probing?.onFeedback(results, nowMs);
    if (probedBps !== undefined) this.estimator.onProbeResult(probedBps);
    const update = this.estimator.onFeedback(results, this.protection?.currentRttMs ?? 100, nowMs);
    const targetBps = this.cappedTarget(update.targetBps);
    this.record({
      type: 'event', side: 'sender', timeMs: nowMs, name: 'bwe',
      // encoderBps: what the encoder is asked for (the target less headers, FEC and RTX: applyTarget)
      detail: { ...update, targetBps, encoderBps: targetBps * this.encoderShare(nowMs), ...(this.rembBps !== undefined ? { rembBps: this.rembBps } : {}) },
    });
    this.applyTarget(targetBps, nowMs);
    this.probing?.onEstimate(targetBps, nowMs);
    this.startProbe(nowMs);
  }

  /**
   * Sends the next probe cluster the controller asks for, if none is being sent: enough padding
   * for the cluster goes into the pacer at once, and the pacer runs at the cluster's rate until
   * the cluster's bytes have left (media queued meanwhile leaves first and counts towards it:
   * padding has the lowest priority; padding left over after it goes out as plain padding).
   */
  private startProbe(nowMs: number): void {
    const probing = this.probing;
    if (!probing) return;
    const template = (this.probeTemplate ??= this.buildProbeTemplate());
    const next = probing.nextCluster(template.data.length);
    if (next) {
      this.probeBoostBps = Math.max(this.appliedTargetBps, next.cluster.bps / (this.options.pacing?.factor ?? 1));
      this.pacer.setRate(this.probeBoostBps, nowMs);
      // each probe its own copy of the template: the sequence number, timestamp and send-time
      // extensions are written when it leaves (onRelease, numberProbe)
      for (let i = 0; i < next.packets; i++) {
        this.pacer.enqueue({
          kind: 'padding',
          sizeBytes: template.data.length,
          // a copy (Buffer#slice would be a view: every probe would share one set of bytes)
          data: { kind: 'padding', data: Uint8Array.from(template.data), ssrc: template.ssrc, seq: 0, offsets: template.offsets, probeCluster: next.cluster.id },
        }, nowMs);
      }
    }
    for (const e of probing.takeEvents()) this.record({ type: 'event', side: 'sender', timeMs: nowMs, name: e.name, detail: { ...e.detail } });
  }

  /**
   * A REMB from the peer (draft-alvestrand-rmcat-remb-03): when it names our media SSRC (or no
   * SSRC at all), its bitrate caps the target from now on, until the next REMB.
   */
  private onRemb(remb: ReceiverEstimatedMaxBitrate, nowMs: number): void {
    this.record({ type: 'feedback', side: 'sender', dir: 'in', kind: 'remb', timeMs: nowMs, bitrateBps: remb.bitrateBps });
    if (!this.estimator) return;
    const media = this.options.media.ssrc >>> 0;
    if (remb.ssrcs.length > 0 && !remb.ssrcs.some((ssrc) => ssrc >>> 0 === media)) return;
    this.rembBps = remb.bitrateBps;
    this.applyTarget(this.cappedTarget(this.estimator.targetBps), nowMs);
  }

  /** The estimate under the peer's REMB, bit/s (never below the estimator's minimum). */
  private cappedTarget(estimateBps: number): number {
    if (this.rembBps === undefined) return estimateBps;
    return Math.min(estimateBps, Math.max(this.rembBps, this.options.congestion?.minBps ?? 0));
  }

  /** A new target for the pacer, the FEC controller and (as an output) the encoder, when it moved. */
  private applyTarget(targetBps: number, nowMs: number): void {
    if (targetBps === this.appliedTargetBps) return;
    this.appliedTargetBps = targetBps;
    this.pacer.setRate(Math.max(targetBps, this.probeBoostBps ?? 0), nowMs);
    this.protection?.setTargetBitrate(targetBps, nowMs);
    // the estimate is a link rate: the encoder gets its share of it (without headers, FEC and RTX)
    this.out.push({ type: 'target-bitrate', bps: targetBps * this.encoderShare(nowMs) });
  }

  /** Encoder bytes ÷ wire bytes over the last second (0.5..1; 1 before anything was sent). */
  private encoderShare(nowMs: number): number {
    this.pruneSentShare(nowMs);
    return this.sentWireBytes === 0 ? 1 : Math.min(1, Math.max(0.5, this.sentEncoderBytes / this.sentWireBytes));
  }

  /** Counts bytes sent at `atMs` into the encoder-share window (pruned here, so it never outgrows one second). */
  private noteSent(atMs: number, encoderBytes: number, wireBytes: number): void {
    this.sentShare.push({ atMs, encoderBytes, wireBytes });
    this.sentEncoderBytes += encoderBytes;
    this.sentWireBytes += wireBytes;
    this.pruneSentShare(atMs);
  }

  private pruneSentShare(nowMs: number): void {
    for (let oldest = this.sentShare.peek(); oldest !== undefined && oldest.atMs < nowMs - ENCODER_SHARE_WINDOW_MS; oldest = this.sentShare.peek()) {
      this.sentShare.shift();
      this.sentEncoderBytes -= oldest.encoderBytes;
      this.sentWireBytes -= oldest.wireBytes;
    }
  }

  private onKeyframeRequest(source: KeyframeRequestSource, timeMs: number): void {
    this.counters.keyframeRequests++;
    this.record({ type: 'feedback', side: 'sender', dir: 'in', kind: source, timeMs });
    this.out.push({ type: 'keyframe-request', source });
  }

  /** Moves what is ready: the chain's output into the pacer and out, the pacer's releases onto the wire. */
  private pump(nowMs: number): void {
    for (;;) {
      this.drainProtection();
      const release = this.pacer.pollOutput();
      if (release === undefined) return;
      // what a late wake-up caught up on leaves now: record the real release time
      this.onRelease(release.sentMs >= nowMs ? release : { ...release, sentMs: nowMs, queueMs: nowMs - release.enqueuedMs });
    }
  }

  /** Takes what the protection chain has queued: FEC and RTX packets into the pacer, records and RTCP out. */
  private drainProtection(): void {
    const protection = this.protection;
    if (!protection) return;
    for (let e = protection.pollOutput(); e !== undefined; e = protection.pollOutput()) {
      switch (e.type) {
        case 'rtx-refused':
          this.record({ type: 'event', side: 'sender', timeMs: e.timeMs, name: 'rtx-refused', detail: { seq: e.seq, reason: e.reason } });
          break;
        case 'keyframe-request':
          this.onKeyframeRequest(e.source, e.timeMs);
          break;
        case 'rtcp':
          this.record({ type: 'feedback', side: 'sender', dir: 'out', kind: 'sr', timeMs: e.timeMs, by: 'lab' });
          this.out.push({ type: 'rtcp', packet: e.packet });
          break;
        case 'fec-rates':
          this.record({ type: 'feedback', side: 'sender', dir: 'in', kind: 'rr', timeMs: e.timeMs, fractionLost: e.lossFraction255 / 256, rttMs: e.rttMs });
          if (this.lastFecRates === undefined || this.lastFecRates.key !== e.key || this.lastFecRates.delta !== e.delta) {
            this.lastFecRates = { key: e.key, delta: e.delta };
            this.record({ type: 'event', side: 'sender', name: 'fec-rates', timeMs: e.timeMs, detail: { key: e.key, delta: e.delta, lossFraction255: e.lossFraction255, rttMs: e.rttMs } });
          }
          break;
        case 'fec-block':
          this.record({
            type: 'fec-block', side: 'sender', timeMs: e.timeMs, ssrc: this.options.media.ssrc, mediaSeqs: e.mediaSeqs,
            fecSsrc: e.fecSsrc, fecSeqs: e.fecSeqs, covers: e.covers, keyframe: e.keyframe, rate255: e.rate255,
          } satisfies FecBlockRecord);
          break;
        case 'packet': {
          // media goes through `releaseMedia` (see onRelease); what the chain queues here is FEC or RTX
          const rtx = e.kind === 'rtx';
          this.pacer.enqueue({
            kind: PACED_KIND_OF[e.kind],
            sizeBytes: e.packet.length,
            data: {
              kind: e.kind, data: e.packet, ssrc: e.ssrc, seq: e.seq,
              offsets: rtx && e.mediaSeq !== undefined ? this.sendTime.offsetsOf(e.mediaSeq) : undefined,
              ...(e.mediaSeq !== undefined ? { mediaSeq: e.mediaSeq } : {}),
              ...(rtx ? { nackMs: e.timeMs } : {}),
            },
          }, e.timeMs);
          break;
        }
        // no default: every output kind is handled (a new kind fails the exhaustiveness lint)
      }
    }
  }

  /**
   * The probe packet every cluster copies: padding only, on the RTX stream where there is one
   * (the media stream otherwise), with the send-time extension placeholders.
   */
  private buildProbeTemplate(): { data: Uint8Array; ssrc: number; offsets: SendTimeOffsets } {
    const stream = this.protection?.rtxStream ?? { ssrc: this.options.media.ssrc, payloadType: this.options.media.payloadType };
    const packet = buildProbePacket({ ...stream, seq: 0, timestamp: 0, extensions: this.options.media.extensions, paddingBytes: MAX_PADDING_BYTES });
    return { data: packet.data, ssrc: stream.ssrc, offsets: packet.offsets };
  }

  /**
   * Gives a probe padding packet leaving now the next sequence number of its stream (RTX, or
   * media without protection): padding has the lowest priority, so everything numbered before it
   * has left by then and the stream stays in order; and the RTP timestamp of the newest frame.
   */
  private numberProbe(item: OutgoingPacket): void {
    const d = item.data;
    d[4] = this.lastRtpTimestamp >>> 24;
    d[5] = (this.lastRtpTimestamp >>> 16) & 0xff;
    d[6] = (this.lastRtpTimestamp >>> 8) & 0xff;
    d[7] = this.lastRtpTimestamp & 0xff;
    let seq: number | undefined;
    if (this.protection) seq = this.protection.takeRtxPaddingSeq();
    else {
      seq = this.nextSequenceNumber;
      this.nextSequenceNumber = (this.nextSequenceNumber + 1) & 0xffff;
    }
    if (seq === undefined) return;
    item.seq = seq;
    d[2] = seq >> 8;
    d[3] = seq & 0xff;
  }

  /** A packet leaves the pacer: send-time extensions written, out, recorded; a frame's last media packet completes it. */
  private onRelease(release: PacedRelease<OutgoingPacket>): void {
    const item = release.packet.data;
    const sentMs = release.sentMs;
    if (item.probeCluster !== undefined) this.numberProbe(item);
    const transportSeq = item.offsets ? this.sendTime.stamp(item.data, item.offsets, sentMs) : undefined;
    let wire = item.data;
    const frame = item.frame;
    if (item.kind === 'media' && frame) {
      if (frame.plan && this.protection) {
        const media = this.protection.releaseMedia(frame.plan, item.index!, sentMs);
        if (media instanceof SendProtectionError) {
          this.out.push({ type: 'error', error: media });
          return;
        }
        wire = media.packet;
      }
      if (item.offsets) this.sendTime.remember(item.seq, item.offsets);
    }
    const wireBytes = wire.length + TRANSPORT_OVERHEAD_BYTES;
    let historyKey: number | undefined;
    if (this.feedbackFormat === 'ccfb') {
      // RFC 8888 names each packet by its SSRC and RTP sequence number, as on the wire (RTX and FEC have their own)
      historyKey = this.sentHistory?.onSentRtp(item.ssrc, item.seq, sentMs, wireBytes);
    } else if (transportSeq !== undefined) {
      historyKey = this.sentHistory?.onSent(transportSeq, sentMs, wireBytes);
    }
    if (this.estimator) this.noteSent(sentMs, 0, wireBytes);
    if (this.probing) {
      if (item.probeCluster === undefined) this.probing.onMediaSent(wireBytes, sentMs);
      if (historyKey !== undefined && this.probing.onClusterPacketSent(historyKey, sentMs, wireBytes)) {
        // the cluster has sent its bytes: back to the target's pace, and the next cluster if one waits
        this.probeBoostBps = undefined;
        this.pacer.setRate(this.appliedTargetBps, sentMs);
        this.startProbe(sentMs);
      }
    }
    if (item.kind === 'rtx') this.counters.rtxSent++;
    else if (item.kind === 'fec') this.counters.fecSent++;
    else if (item.kind === 'media') this.counters.packetsSent++;
    const rtpTimestamp = ((wire[4]! << 24) | (wire[5]! << 16) | (wire[6]! << 8) | wire[7]!) >>> 0;
    this.record({
      type: 'packet', side: 'sender', dir: 'out', ssrc: item.ssrc, seq: item.seq, pt: wire[1]! & 0x7f, kind: item.kind,
      size: wire.length, timeMs: sentMs, rtpTimestamp, queueMs: release.queueMs,
      ...(item.kind === 'rtx' && item.mediaSeq !== undefined ? { originalSeq: item.mediaSeq } : {}),
      ...(item.nackMs !== undefined ? { nackMs: item.nackMs } : {}),
    } satisfies PacketRecord);
    // the record first: a driver that tells packets apart by their records (a replay) sees it before the packet
    this.out.push({ type: 'rtp', packet: wire, kind: item.kind });
    if (!frame) return;
    frame.firstSentMs ??= sentMs;
    frame.lastSentMs = sentMs;
    if (--frame.left > 0) return;
    if (frame.plan && this.protection) {
      const error = this.protection.finishFrame(frame.plan, sentMs);
      if (error) this.record({ type: 'event', side: 'sender', timeMs: sentMs, name: 'fec-error', detail: { code: error.code, message: error.message } });
    }
    this.counters.framesSent++;
    const input = frame.input;
    if (this.estimator) this.noteSent(sentMs, frame.bytes, 0);
    this.record(frameRecord(input.frame, {
      encodeStartMs: input.encodeStartMs,
      encodeDoneMs: input.encodeDoneMs,
      ...(input.importDoneMs !== undefined ? { importDoneMs: input.importDoneMs } : {}),
      keyframe: input.keyframe,
      bytes: frame.bytes,
      rtpTimestamp: frame.rtpTimestamp,
      packets: frame.packets,
      firstSeq: frame.firstSeq,
      lastSeq: frame.lastSeq,
      ...(frame.firstSentMs !== undefined ? { firstPacketSentMs: frame.firstSentMs, lastPacketSentMs: frame.lastSentMs } : {}),
    }));
  }
}

function accessUnitBytes(accessUnit: Uint8Array | readonly Uint8Array[]): number {
  return accessUnit instanceof Uint8Array ? accessUnit.length : accessUnit.reduce((sum, nal) => sum + nal.length, 0);
}

function frameRecord(frame: FrameTimes, rest: Partial<SenderFrameRecord>): SenderFrameRecord {
  return {
    type: 'frame',
    side: 'sender',
    frameId: frame.frameId,
    captureMs: frame.captureMs,
    renderSubmitMs: frame.renderSubmitMs,
    renderDoneMs: frame.renderDoneMs,
    copyDoneMs: frame.copyDoneMs,
    convertDoneMs: frame.convertDoneMs,
    deliveredMs: frame.deliveredMs,
    ...rest,
  };
}
