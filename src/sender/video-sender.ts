import type { EncodedFrame, FrameSourceStats, NativeEncoder, RawFrame } from '../native/types.ts';
import type { PacketRecord, SenderFrameRecord } from '../shared/records.ts';
import type { NegotiatedMedia } from '../transport/webrtc-peer.ts';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer } from './h264/packetizer.ts';
import { initialSequenceNumber, RtpTimestampClock } from './rtp-clock.ts';
import { keyframeRequestsIn } from './keyframe-requests.ts';
import { q32FromMs } from '../shared/rtp/extensions/abs-capture-time.ts';
import { absSendTimeFromUs, writeAbsSendTime } from '../shared/rtp/extensions/abs-send-time.ts';
import { writeTransportWideSeq } from '../shared/rtp/extensions/transport-wide-seq.ts';

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
    for (const packet of packets) {
      const sentMs = nowMs();
      // Send-time extensions are filled in as the packet leaves, as libwebrtc's pacer does.
      if (packet.transportSeqOffset !== undefined) {
        writeTransportWideSeq(packet.data, packet.transportSeqOffset, this.nextTransportSeq);
        this.nextTransportSeq = (this.nextTransportSeq + 1) & 0xffff;
      }
      if (packet.absSendTimeOffset !== undefined) writeAbsSendTime(packet.data, packet.absSendTimeOffset, absSendTimeFromUs(sentMs * 1000));
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
