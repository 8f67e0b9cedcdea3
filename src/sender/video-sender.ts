import type { EncodedFrame, FrameSourceStats, NativeEncoder, RawFrame } from '../native/types.ts';
import type { FecBlockRecord, PacketRecord, RecordSink, SenderFrameRecord } from '../shared/records.ts';
import type { NegotiatedMedia } from '../transport/webrtc-peer.ts';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer } from './h264/packetizer.ts';
import { initialSequenceNumber, RtpTimestampClock } from './rtp-clock.ts';
import { KeyframeRequestFilter, type KeyframeRequestSource } from './keyframe-requests.ts';
import { q32FromMs } from '../shared/rtp/extensions/abs-capture-time.ts';
import { parseCompound } from '../shared/rtcp/compound.ts';
import { SendProtection, type FramePlan } from './protection/send-chain.ts';
import { PACED_KIND_OF, SendProtectionError, type SendKind, type SendProtectionOptions } from './protection/options.ts';
import { createPacer, monotonicMs, RealtimePacer, type RealtimePacingOptions } from './realtime-pacer.ts';
import type { PacedRelease } from './pacer/pacer.ts';
import { SendTimeStamper, type SendTimeOffsets } from './send-time.ts';

export interface VideoSenderOptions {
  encoder: NativeEncoder;
  records: RecordSink;
  media: NegotiatedMedia;
  /** RTP packet size limit, bytes */
  mtu: number;
  /** seeds the initial sequence number and timestamp offset */
  seed: number;
  /** sends one serialized RTP packet; resolves when handed to the socket */
  send: (packet: Buffer) => Promise<boolean>;
  onError: (error: Error) => void;
  /** frames allowed to wait for the encoder before the oldest is dropped; default 2 */
  maxPendingFrames?: number;
  /** loss protection (RTX history, NACK → RTX, FEC); undefined = none, packets go out as packetized */
  protection?: SendProtectionOptions;
  /** sends one serialized RTCP packet (the protection chain's sender reports) */
  sendRtcp?: (packet: Buffer) => Promise<void>;
  /** send pacing; undefined = none (every packet leaves at once) */
  pacing?: RealtimePacingOptions;
}

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;
const nowMs = monotonicMs;

/** A frame whose media packets are in the pacer: its record is written once the last has left. */
interface FrameInFlight {
  frame: RawFrame;
  encoded: EncodedFrame;
  deliveredMs: number;
  rtpTimestamp: number;
  firstSeq: number;
  lastSeq: number;
  packets: number;
  /** media packets not released yet */
  left: number;
  plan: FramePlan | undefined;
  firstSentMs: number | undefined;
  lastSentMs: number;
  sends: Promise<boolean>[];
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
}

/**
 * The real-time sending pipeline of one video stream: frames in capture order → encoder (one at a
 * time, off the event loop) → packetizer → protection chain (RTX history, FEC) → pacer →
 * transport, writing a record per frame, per packet and per FEC block. Send-time header
 * extensions are written as a packet leaves the pacer; a frame's FEC is computed once its last
 * media packet has left (over the bytes as sent, as libwebrtc's egress does). Keyframe requests
 * (PLI/FIR) arriving over RTCP force an IDR on the next frame.
 */
export class VideoSender {
  framesSent = 0;
  packetsSent = 0;
  keyframeRequests = 0;
  rtxSent = 0;
  fecSent = 0;
  private readonly protection: SendProtection | undefined;
  private readonly pacer: RealtimePacer<OutgoingPacket>;
  private protectionTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly pending: { frame: RawFrame; deliveredMs: number }[] = [];
  private busy: Promise<void> | undefined;
  private readonly packetizer: H264Packetizer;
  private readonly clock: RtpTimestampClock;
  private nextSequenceNumber: number;
  private readonly sendTime = new SendTimeStamper();
  /** frame records waiting for their last media packet's send to complete */
  private readonly completing = new Set<Promise<void>>();
  private lastFecRates: { key: number; delta: number } | undefined;
  private readonly keyframeFilter: KeyframeRequestFilter;

  constructor(private readonly options: VideoSenderOptions) {
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
    this.protection = options.protection ? new SendProtection(options.protection) : undefined;
    const pacing = options.pacing ?? { mode: 'none', factor: 1, burstMs: 0, queueLimitMs: null, targetBitrateBps: 1 };
    this.pacer = new RealtimePacer<OutgoingPacket>(createPacer(pacing), (r) => this.onRelease(r), nowMs);
    this.scheduleProtection();
  }

  /** Drives the protection chain's timer (sender reports) in real time until `stop`. */
  private scheduleProtection(): void {
    if (this.protectionTimer) clearTimeout(this.protectionTimer);
    this.protectionTimer = undefined;
    const due = this.protection?.pollTimeout();
    if (due === undefined || this.stopped) return;
    this.protectionTimer = setTimeout(() => {
      this.protectionTimer = undefined;
      this.protection?.handleTimeout(nowMs());
      this.drainProtection();
      this.scheduleProtection();
    }, Math.max(0, due - nowMs()));
    this.protectionTimer.unref();
  }

  /** Stops the protection chain's and the pacer's timers (call once sending is over). */
  stop(): void {
    this.stopped = true;
    if (this.protectionTimer) clearTimeout(this.protectionTimer);
    this.protectionTimer = undefined;
    this.pacer.stop();
  }

  /** Takes a captured frame (called on the JS thread by the frame source). */
  handleFrame(frame: RawFrame): void {
    this.pending.push({ frame, deliveredMs: nowMs() });
    const limit = this.options.maxPendingFrames ?? 2;
    while (this.pending.length > limit) {
      const dropped = this.pending.shift()!;
      this.options.records.write(this.frameRecord(dropped.frame, { deliveredMs: dropped.deliveredMs, dropped: 'encoder-busy' }));
    }
    if (!this.busy) this.busy = this.pump();
  }

  /** Handles one RTCP compound packet from the receiver. */
  handleRtcp(packet: Buffer, arrivalNs: bigint): void {
    const timeMs = nsToMs(arrivalNs);
    // parsed once here; the protection chain takes the parsed packets
    const parsed = parseCompound(packet);
    if (!parsed.ok) {
      if (this.protection) this.options.records.write({ type: 'event', side: 'sender', timeMs, name: 'bad-rtcp', detail: { code: 'bad-rtcp' } });
      return;
    }
    if (!this.protection) {
      // without the chain, this sender's own filter decides (the chain has the same one)
      for (const source of this.keyframeFilter.requestsIn(parsed.value)) this.onKeyframeRequest(source, timeMs);
      return;
    }
    for (const p of parsed.value) {
      if (p.type === 'nack') this.options.records.write({ type: 'feedback', side: 'sender', dir: 'in', kind: 'nack', timeMs, seqs: [...p.seqs] });
    }
    this.protection.handleRtcpPackets(parsed.value, timeMs);
    this.drainProtection();
  }

  /** A PLI or FIR for our media stream: the next frame is encoded as an IDR. */
  private onKeyframeRequest(source: KeyframeRequestSource, timeMs: number): void {
    this.keyframeRequests++;
    this.options.records.write({ type: 'feedback', side: 'sender', dir: 'in', kind: source, timeMs });
    this.options.encoder.requestKeyframe();
  }

  /** Takes what the protection chain has queued: FEC and RTX packets into the pacer, records and RTCP out. */
  private drainProtection(): void {
    const records = this.options.records;
    for (let e = this.protection?.pollOutput(); e !== undefined; e = this.protection?.pollOutput()) {
      switch (e.type) {
        case 'rtx-refused':
          records.write({ type: 'event', side: 'sender', timeMs: e.timeMs, name: 'rtx-refused', detail: { seq: e.seq, reason: e.reason } });
          break;
        case 'keyframe-request':
          this.onKeyframeRequest(e.source, e.timeMs);
          break;
        case 'rtcp':
          if (!this.options.sendRtcp) break;
          records.write({ type: 'feedback', side: 'sender', dir: 'out', kind: 'sr', timeMs: e.timeMs, by: 'lab' });
          this.options.sendRtcp(Buffer.from(e.packet.buffer, e.packet.byteOffset, e.packet.length)).catch((error: Error) => this.options.onError(error));
          break;
        case 'fec-rates':
          records.write({ type: 'feedback', side: 'sender', dir: 'in', kind: 'rr', timeMs: e.timeMs, fractionLost: e.lossFraction255 / 256, rttMs: e.rttMs });
          if (this.lastFecRates === undefined || this.lastFecRates.key !== e.key || this.lastFecRates.delta !== e.delta) {
            this.lastFecRates = { key: e.key, delta: e.delta };
            records.write({ type: 'event', side: 'sender', name: 'fec-rates', timeMs: e.timeMs, detail: { key: e.key, delta: e.delta, lossFraction255: e.lossFraction255, rttMs: e.rttMs } });
          }
          break;
        case 'fec-block':
          records.write({
            type: 'fec-block', side: 'sender', timeMs: e.timeMs, ssrc: this.options.media.ssrc, mediaSeqs: e.mediaSeqs,
            fecSsrc: e.fecSsrc, fecSeqs: e.fecSeqs, covers: e.covers, keyframe: e.keyframe, rate255: e.rate255,
          } satisfies FecBlockRecord);
          break;
        case 'packet': {
          // media goes through `releaseMedia` (see sendFrame); what the chain queues here is FEC or RTX
          const rtx = e.kind === 'rtx';
          this.pacer.enqueue(PACED_KIND_OF[e.kind], e.packet.length, {
            kind: e.kind, data: e.packet, ssrc: e.ssrc, seq: e.seq,
            offsets: rtx && e.mediaSeq !== undefined ? this.sendTime.offsetsOf(e.mediaSeq) : undefined,
            ...(e.mediaSeq !== undefined ? { mediaSeq: e.mediaSeq } : {}),
            ...(rtx ? { nackMs: e.timeMs } : {}),
          });
          break;
        }
        // no default: every output kind is handled (a new kind fails the exhaustiveness lint)
      }
    }
  }

  /** Resolves when every frame taken so far has been encoded and sent, and its records written. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.busy) await this.busy;
      else if (this.pacer.queuedPackets > 0) await this.pacer.whenIdle();
      else if (this.completing.size > 0) await Promise.all([...this.completing]);
      else return;
    }
  }

  /** Records what the frame source did (frames it could not deliver). */
  recordSourceStats(stats: FrameSourceStats): void {
    this.options.records.write({ type: 'event', side: 'sender', timeMs: nowMs(), name: 'source-stats', detail: { ...stats } });
  }

  private async pump(): Promise<void> {
    try {
      let next: { frame: RawFrame; deliveredMs: number } | undefined;
      while ((next = this.pending.shift())) {
        const { frame, deliveredMs } = next;
        const encoded = await this.options.encoder.encode(frame);
        if (!encoded) {
          this.options.records.write(this.frameRecord(frame, { deliveredMs, dropped: 'encoder-held' }));
          continue;
        }
        this.sendFrame(frame, encoded, deliveredMs);
      }
    } catch (error) {
      this.options.onError(error as Error);
    } finally {
      this.busy = undefined;
    }
  }

  /** Packetizes a frame and queues its media packets in the pacer. */
  private sendFrame(frame: RawFrame, encoded: EncodedFrame, deliveredMs: number): void {
    const rtpTimestamp = this.clock.fromNs(frame.captureTimeNs);
    const captureMs = nsToMs(frame.captureTimeNs);
    // abs-capture-time carries the lab's CLOCK_MONOTONIC capture time in Q32.32 seconds.
    const packetized = this.packetizer.packetize({
      accessUnit: encoded.data,
      rtpTimestamp,
      firstSequenceNumber: this.nextSequenceNumber,
      captureTime: { captureNtp: q32FromMs(captureMs) },
    });
    if (packetized instanceof H264PacketizeError) {
      this.options.records.write(this.frameRecord(frame, { dropped: `packetize-error:${packetized.code}` }));
      return;
    }
    const packets = packetized.packets;
    this.nextSequenceNumber = packetized.nextSequenceNumber;
    if (packets.length === 0) {
      this.options.records.write(this.frameRecord(frame, { deliveredMs, keyframe: encoded.keyframe, bytes: encoded.data.length, rtpTimestamp, packets: 0 }));
      return;
    }
    let plan: FramePlan | undefined;
    if (this.protection) {
      // the chain fixes the FEC factor and reserves ULPFEC sequence numbers now; it keeps the
      // packets by reference, so the send times written at release are in what FEC protects
      const begun = this.protection.beginFrame({ packets: packets.map((p) => p.data), keyframe: encoded.keyframe, nowMs: nowMs() });
      if (begun instanceof SendProtectionError) {
        this.options.records.write(this.frameRecord(frame, { dropped: `protection-error:${begun.code}` }));
        return;
      }
      plan = begun;
      this.nextSequenceNumber = plan.nextSequenceNumber;
    }
    const inFlight: FrameInFlight = {
      frame, encoded, deliveredMs, rtpTimestamp, firstSeq: packets[0]!.sequenceNumber, lastSeq: packets[packets.length - 1]!.sequenceNumber,
      packets: packets.length, left: packets.length, plan, firstSentMs: undefined, lastSentMs: 0, sends: [],
    };
    packets.forEach((packet, index) => {
      const wireBytes = packet.data.length + (plan && this.options.protection?.fecScheme === 'ulpfec' && this.options.protection.mode !== 'nack' ? 1 : 0);
      this.pacer.enqueue('media', wireBytes, {
        kind: 'media', data: packet.data, ssrc: this.options.media.ssrc, seq: packet.sequenceNumber,
        offsets: { transportSeq: packet.transportSeqOffset, absSendTime: packet.absSendTimeOffset }, frame: inFlight, index,
      });
    });
  }

  /** A packet leaves the pacer: send-time extensions written, sent, recorded; a frame's last media packet completes it. */
  private onRelease(release: PacedRelease<OutgoingPacket>): void {
    const item = release.packet.data;
    const sentMs = release.sentMs;
    if (item.offsets) this.sendTime.stamp(item.data, item.offsets, sentMs);
    let wire = item.data;
    const frame = item.frame;
    if (item.kind === 'media' && frame) {
      if (frame.plan && this.protection) {
        const media = this.protection.releaseMedia(frame.plan, item.index!, sentMs);
        if (media instanceof SendProtectionError) {
          this.options.onError(media);
          return;
        }
        wire = media.packet;
      }
      if (item.offsets) this.sendTime.remember(item.seq, item.offsets);
    }
    const data = Buffer.from(wire.buffer, wire.byteOffset, wire.length);
    const sending = this.options.send(data);
    sending.catch((error: Error) => this.options.onError(error));
    if (item.kind === 'rtx') this.rtxSent++;
    else if (item.kind === 'fec') this.fecSent++;
    else if (item.kind === 'media') this.packetsSent++;
    const record: PacketRecord = {
      type: 'packet', side: 'sender', dir: 'out', ssrc: item.ssrc, seq: item.seq, pt: data[1]! & 0x7f, kind: item.kind,
      size: data.length, timeMs: sentMs, rtpTimestamp: data.readUInt32BE(4), queueMs: release.queueMs,
      ...(item.kind === 'rtx' && item.mediaSeq !== undefined ? { originalSeq: item.mediaSeq } : {}),
      ...(item.nackMs !== undefined ? { nackMs: item.nackMs } : {}),
    };
    this.options.records.write(record);
    if (!frame) return;
    frame.firstSentMs ??= sentMs;
    frame.lastSentMs = sentMs;
    frame.sends.push(sending);
    if (--frame.left > 0) return;
    if (frame.plan && this.protection) {
      const error = this.protection.finishFrame(frame.plan, sentMs);
      if (error) this.options.records.write({ type: 'event', side: 'sender', timeMs: sentMs, name: 'fec-error', detail: { code: error.code, message: error.message } });
      this.drainProtection();
    }
    this.completeFrame(frame);
  }

  /** Writes the frame record once the sends of all its media packets have completed. */
  private completeFrame(f: FrameInFlight): void {
    const done = Promise.all(f.sends).then(
      () => {
        this.framesSent++;
        this.options.records.write(
          this.frameRecord(f.frame, {
            deliveredMs: f.deliveredMs,
            encodeStartMs: nsToMs(f.encoded.encodeStartNs),
            encodeDoneMs: nsToMs(f.encoded.encodeDoneNs),
            keyframe: f.encoded.keyframe,
            bytes: f.encoded.data.length,
            rtpTimestamp: f.rtpTimestamp,
            packets: f.packets,
            firstSeq: f.firstSeq,
            lastSeq: f.lastSeq,
            ...(f.firstSentMs !== undefined ? { firstPacketSentMs: f.firstSentMs, lastPacketSentMs: f.lastSentMs } : {}),
          }),
        );
      },
      (error: Error) => this.options.onError(error),
    );
    this.completing.add(done);
    void done.finally(() => this.completing.delete(done));
  }

  private frameRecord(frame: RawFrame, rest: Partial<SenderFrameRecord>): SenderFrameRecord {
    return {
      type: 'frame',
      side: 'sender',
      frameId: frame.id,
      captureMs: nsToMs(frame.captureTimeNs),
      renderSubmitMs: nsToMs(frame.times.renderSubmitNs),
      renderDoneMs: nsToMs(frame.times.renderDoneNs),
      copyDoneMs: nsToMs(frame.times.copyDoneNs),
      convertDoneMs: nsToMs(frame.times.convertDoneNs),
      ...rest,
    };
  }
}
