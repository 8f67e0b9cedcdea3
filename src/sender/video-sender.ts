import type { EncodedFrame, FrameSourceStats, NativeEncoder, RawFrame } from '../native/types.ts';
import type { PacketRecord, SenderFrameRecord } from '../shared/records.ts';
import type { NegotiatedMedia } from '../transport/webrtc-peer.ts';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer } from './h264/packetizer.ts';
import { initialSequenceNumber, RtpTimestampClock } from './rtp-clock.ts';
import { keyframeRequestsIn } from './keyframe-requests.ts';
import { q32FromMs } from '../shared/rtp/extensions/abs-capture-time.ts';
import { absSendTimeFromUs, writeAbsSendTime } from '../shared/rtp/extensions/abs-send-time.ts';
import { writeTransportWideSeq } from '../shared/rtp/extensions/transport-wide-seq.ts';
import { parseCompound } from '../shared/rtcp/compound.ts';
import { SendProtection } from './protection/send-chain.ts';
import { SendProtectionError, type SendProtectionOptions } from './protection/options.ts';

/** Where records go (an NdjsonWriter in a run). */
export interface RecordSink {
  write(record: object): void;
}

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
}

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * The real-time sending pipeline of one video stream: frames in capture order → encoder (one at a
 * time, off the event loop) → packetizer → transport, writing a record per frame and per packet.
 * Keyframe requests (PLI/FIR) arriving over RTCP force an IDR on the next frame.
 */
export class VideoSender {
  framesSent = 0;
  packetsSent = 0;
  keyframeRequests = 0;
  rtxSent = 0;
  fecSent = 0;
  private readonly protection: SendProtection | undefined;
  private protectionTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly pending: { frame: RawFrame; deliveredMs: number }[] = [];
  private busy: Promise<void> | undefined;
  private readonly packetizer: H264Packetizer;
  private readonly clock: RtpTimestampClock;
  private nextSequenceNumber: number;
  /** transport-wide sequence number (uint16) of the next packet */
  private nextTransportSeq = 0;

  constructor(private readonly options: VideoSenderOptions) {
    this.clock = new RtpTimestampClock({ clockRateHz: 90_000, seed: options.seed });
    this.nextSequenceNumber = initialSequenceNumber(options.seed);
    this.packetizer = new H264Packetizer({
      ...DEFAULT_H264_PACKETIZER_OPTIONS,
      maxPacketBytes: options.mtu,
      payloadType: options.media.payloadType,
      ssrc: options.media.ssrc,
      extensions: options.media.extensions,
    });
    this.protection = options.protection ? new SendProtection(options.protection) : undefined;
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
      this.drainProtection([]);
      this.scheduleProtection();
    }, Math.max(0, due - nowMs()));
    this.protectionTimer.unref();
  }

  /** Stops the protection chain's timer (call once sending is over). */
  stop(): void {
    this.stopped = true;
    if (this.protectionTimer) clearTimeout(this.protectionTimer);
    this.protectionTimer = undefined;
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
    for (const request of keyframeRequestsIn(packet)) {
      this.keyframeRequests++;
      this.options.records.write({ type: 'feedback', side: 'sender', dir: 'in', kind: request, timeMs: nsToMs(arrivalNs) });
      this.options.encoder.requestKeyframe();
    }
    if (!this.protection) return;
    const timeMs = nsToMs(arrivalNs);
    const parsed = parseCompound(packet);
    if (parsed.ok) {
      for (const p of parsed.value) {
        if (p.type === 'nack') this.options.records.write({ type: 'feedback', side: 'sender', dir: 'in', kind: 'nack', timeMs, seqs: [...p.seqs] });
      }
    }
    const error = this.protection.handleRtcp(packet, timeMs);
    if (error) this.options.records.write({ type: 'event', side: 'sender', timeMs, name: 'bad-rtcp', detail: { code: error.code } });
    this.drainProtection([]);
  }

  /**
   * Sends what the protection chain has queued (media, FEC, RTX) and records each packet; the
   * sends are pushed onto `sends`. Returns the send times of the media packets in order, ms.
   */
  private drainProtection(sends: Promise<boolean>[]): number[] {
    const mediaSentMs: number[] = [];
    for (let e = this.protection?.pollOutput(); e !== undefined; e = this.protection?.pollOutput()) {
      if (e.type === 'rtx-refused') {
        this.options.records.write({ type: 'event', side: 'sender', timeMs: e.timeMs, name: 'rtx-refused', detail: { seq: e.seq, reason: e.reason } });
        continue;
      }
      if (e.type === 'rtcp') {
        if (!this.options.sendRtcp) continue;
        this.options.records.write({ type: 'feedback', side: 'sender', dir: 'out', kind: 'sr', timeMs: e.timeMs, by: 'lab' });
        this.options.sendRtcp(Buffer.from(e.packet.buffer, e.packet.byteOffset, e.packet.length)).catch((error: Error) => this.options.onError(error));
        continue;
      }
      if (e.type === 'fec-rates') {
        this.options.records.write({ type: 'feedback', side: 'sender', dir: 'in', kind: 'rr', timeMs: e.timeMs, fractionLost: e.lossFraction255 / 256, rttMs: e.rttMs });
        continue;
      }
      if (e.type !== 'packet') continue;
      const data = Buffer.from(e.packet.buffer, e.packet.byteOffset, e.packet.length);
      const sentMs = nowMs();
      const sending = this.options.send(data);
      sends.push(sending);
      if (e.kind === 'rtx') {
        this.rtxSent++;
        sending.catch((error: Error) => this.options.onError(error));
      }
      if (e.kind === 'fec') this.fecSent++;
      if (e.kind === 'media') {
        mediaSentMs.push(sentMs);
        this.packetsSent++;
      }
      const record: PacketRecord = {
        type: 'packet',
        side: 'sender',
        dir: 'out',
        ssrc: e.ssrc,
        seq: e.seq,
        pt: data[1]! & 0x7f,
        kind: e.kind,
        size: data.length,
        timeMs: sentMs,
        rtpTimestamp: data.readUInt32BE(4),
        ...(e.kind === 'rtx' && e.mediaSeq !== undefined ? { originalSeq: e.mediaSeq } : {}),
      };
      this.options.records.write(record);
    }
    return mediaSentMs;
  }

  /** Resolves when every frame taken so far has been encoded and sent. */
  async drain(): Promise<void> {
    while (this.busy) await this.busy;
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
        await this.sendFrame(frame, encoded, deliveredMs);
      }
    } catch (error) {
      this.options.onError(error as Error);
    } finally {
      this.busy = undefined;
    }
  }

  private async sendFrame(frame: RawFrame, encoded: EncodedFrame, deliveredMs: number): Promise<void> {
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
    this.nextSequenceNumber = packetized.nextSequenceNumber;
    const packets = packetized.packets;
    let firstSentMs: number | undefined;
    let lastSentMs = 0;
    const sends: Promise<boolean>[] = [];
    if (this.protection) {
      // Send-time extensions are written first (the frame leaves back to back), then the chain
      // keeps each packet for RTX and adds the frame's FEC packets.
      for (const packet of packets) this.stampSendTime(packet.data, packet.transportSeqOffset, packet.absSendTimeOffset, nowMs());
      const protectedFrame = this.protection.sendFrame({ packets: packets.map((p) => p.data), keyframe: encoded.keyframe, nowMs: nowMs() });
      if (protectedFrame instanceof SendProtectionError) {
        this.options.records.write(this.frameRecord(frame, { dropped: `protection-error:${protectedFrame.code}` }));
        return;
      }
      this.nextSequenceNumber = protectedFrame.nextSequenceNumber;
      const mediaSentMs = this.drainProtection(sends);
      firstSentMs = mediaSentMs[0];
      lastSentMs = mediaSentMs[mediaSentMs.length - 1] ?? 0;
    }
    for (const packet of this.protection ? [] : packets) {
      const sentMs = nowMs();
      // Send-time extensions are filled in as the packet leaves, as libwebrtc's pacer does.
      this.stampSendTime(packet.data, packet.transportSeqOffset, packet.absSendTimeOffset, sentMs);
      // Handed to the transport without waiting for each datagram: werift encrypts synchronously
      // and its sends complete in call order, so the frame's packets leave back to back.
      sends.push(this.options.send(packet.data));
      firstSentMs ??= sentMs;
      lastSentMs = sentMs;
      this.packetsSent++;
      const record: PacketRecord = {
        type: 'packet',
        side: 'sender',
        dir: 'out',
        ssrc: this.options.media.ssrc,
        seq: packet.sequenceNumber,
        pt: this.options.media.payloadType,
        kind: 'media',
        size: packet.data.length,
        timeMs: sentMs,
        rtpTimestamp,
      };
      this.options.records.write(record);
    }
    await Promise.all(sends);
    this.framesSent++;
    this.options.records.write(
      this.frameRecord(frame, {
        deliveredMs,
        encodeStartMs: nsToMs(encoded.encodeStartNs),
        encodeDoneMs: nsToMs(encoded.encodeDoneNs),
        keyframe: encoded.keyframe,
        bytes: encoded.data.length,
        rtpTimestamp,
        packets: packets.length,
        ...(packets.length > 0 ? { firstSeq: packets[0]!.sequenceNumber, lastSeq: packets[packets.length - 1]!.sequenceNumber } : {}),
        ...(firstSentMs !== undefined ? { firstPacketSentMs: firstSentMs, lastPacketSentMs: lastSentMs } : {}),
      }),
    );
  }

  /** Writes the transport-wide sequence number and abs-send-time (ms clock) where the packet has them. */
  private stampSendTime(data: Buffer, transportSeqOffset: number | undefined, absSendTimeOffset: number | undefined, sentMs: number): void {
    if (transportSeqOffset !== undefined) {
      writeTransportWideSeq(data, transportSeqOffset, this.nextTransportSeq);
      this.nextTransportSeq = (this.nextTransportSeq + 1) & 0xffff;
    }
    if (absSendTimeOffset !== undefined) writeAbsSendTime(data, absSendTimeOffset, absSendTimeFromUs(sentMs * 1000));
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
