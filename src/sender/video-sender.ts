import type { EncodedFrame, FrameSourceStats, NativeEncoder, RawFrame } from '../native/types.ts';
import type { RecordSink } from '../shared/records.ts';
import type { NegotiatedMedia } from '../transport/webrtc-peer.ts';
import type { SendProtectionOptions } from './protection/options.ts';
import type { PacingOptions } from './pacer/create.ts';
import { SendPipeline, type FrameTimes, type SendCongestionOptions } from './send-pipeline.ts';

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
  pacing?: PacingOptions;
  /** congestion control on transport-wide or RFC 8888 feedback (and the peer's REMB); undefined = the encoder's fixed target */
  congestion?: SendCongestionOptions;
}

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;
/** CLOCK_MONOTONIC in ms, the clock of every record */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** A native frame's times, ms, as the pipeline takes them. */
function frameTimes(frame: RawFrame, deliveredMs: number): FrameTimes {
  return {
    frameId: frame.id,
    captureMs: nsToMs(frame.captureTimeNs),
    renderSubmitMs: nsToMs(frame.times.renderSubmitNs),
    renderDoneMs: nsToMs(frame.times.renderDoneNs),
    copyDoneMs: nsToMs(frame.times.copyDoneNs),
    convertDoneMs: nsToMs(frame.times.convertDoneNs),
    deliveredMs,
  };
}

/**
 * The real-time driver of one video stream's {@link SendPipeline}: captured frames are encoded
 * one at a time off the event loop by the native encoder and handed to the pipeline, RTCP from
 * the transport goes in with its arrival time, one timer runs the pipeline at its
 * `pollTimeout()` (a late timer is caught up by the pipeline), RTP and RTCP go to the
 * transport, records to the sink, keyframe requests to the encoder.
 */
export class VideoSender {
  private readonly pipeline: SendPipeline;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly pending: { frame: RawFrame; deliveredMs: number }[] = [];
  private busy: Promise<void> | undefined;
  /** sends handed to the transport and not completed yet */
  private readonly sending = new Set<Promise<unknown>>();
  private idleWaiters: (() => void)[] = [];
  /** what the encoder was last told to aim for */
  private encoderTarget: { bps: number; atMs: number } | undefined;

  constructor(private readonly options: VideoSenderOptions) {
    this.pipeline = new SendPipeline({
      media: options.media,
      mtu: options.mtu,
      seed: options.seed,
      ...(options.protection ? { protection: options.protection } : {}),
      ...(options.pacing ? { pacing: options.pacing } : {}),
      ...(options.congestion ? { congestion: options.congestion } : {}),
    });
  }

  get framesSent(): number { return this.pipeline.counters.framesSent; }
  get packetsSent(): number { return this.pipeline.counters.packetsSent; }
  get keyframeRequests(): number { return this.pipeline.counters.keyframeRequests; }
  get rtxSent(): number { return this.pipeline.counters.rtxSent; }
  get fecSent(): number { return this.pipeline.counters.fecSent; }

  /** Stops the timer (call once sending is over); packets still paced stay queued. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeIdleWaiters();
  }

  /** Takes a captured frame (called on the JS thread by the frame source). */
  handleFrame(frame: RawFrame): void {
    this.pending.push({ frame, deliveredMs: nowMs() });
    const limit = this.options.maxPendingFrames ?? 2;
    while (this.pending.length > limit) {
      const dropped = this.pending.shift()!;
      this.pipeline.dropFrame(frameTimes(dropped.frame, dropped.deliveredMs), 'encoder-busy');
    }
    this.drainPipeline();
    if (!this.busy) this.busy = this.pump();
  }

  /** Handles one RTCP compound packet from the receiver (none once stopped: the records may be closed). */
  handleRtcp(packet: Buffer, arrivalNs: bigint): void {
    if (this.stopped) return;
    this.pipeline.handleRtcp(packet, nsToMs(arrivalNs));
    this.drainPipeline();
  }

  /** Resolves when every frame taken so far has been encoded and sent, and its records written. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.busy) await this.busy;
      else if (this.pipeline.queuedPackets > 0 && !this.stopped) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      else if (this.sending.size > 0) await Promise.all([...this.sending]);
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
        const encoded: EncodedFrame | null = await this.options.encoder.encode(frame);
        if (!encoded) this.pipeline.dropFrame(frameTimes(frame, deliveredMs), 'encoder-held');
        else {
          this.pipeline.handleFrame({
            frame: frameTimes(frame, deliveredMs), accessUnit: encoded.data, keyframe: encoded.keyframe,
            encodeStartMs: nsToMs(encoded.encodeStartNs), encodeDoneMs: nsToMs(encoded.encodeDoneNs),
            ...(encoded.importDoneNs !== undefined ? { importDoneMs: nsToMs(encoded.importDoneNs) } : {}),
          }, nowMs());
        }
        this.drainPipeline();
      }
    } catch (error) {
      this.options.onError(error as Error);
    } finally {
      this.busy = undefined;
    }
  }

  /** Carries out what the pipeline produced, then re-arms the timer at its next wake-up. */
  private drainPipeline(): void {
    const o = this.options;
    for (let e = this.pipeline.pollOutput(); e !== undefined; e = this.pipeline.pollOutput()) {
      switch (e.type) {
        case 'record':
          o.records.write(e.record);
          break;
        case 'rtp':
          this.track(o.send(asBuffer(e.packet)));
          break;
        case 'rtcp':
          if (o.sendRtcp) this.track(o.sendRtcp(asBuffer(e.packet)));
          break;
        case 'keyframe-request':
          o.encoder.requestKeyframe();
          break;
        case 'target-bitrate':
          this.followTarget(e.bps);
          break;
        case 'error':
          o.onError(e.error);
          break;
      }
    }
    this.schedule();
    if (this.pipeline.queuedPackets === 0) this.wakeIdleWaiters();
  }

  /**
   * The encoder follows the congestion controller's target when it moved by at least 5 % or a
   * second has passed since the last change (each reconfiguration costs the encoder a little; a
   * target that creeps up 1 % per feedback would otherwise reconfigure it 20 times a second).
   */
  private followTarget(bps: number): void {
    const now = nowMs();
    const last = this.encoderTarget;
    if (last !== undefined && Math.abs(bps - last.bps) < 0.05 * last.bps && now - last.atMs < 1000) return;
    this.encoderTarget = { bps, atMs: now };
    this.options.encoder.setBitrate(Math.round(bps));
  }

  private track(sending: Promise<unknown>): void {
    this.sending.add(sending);
    sending.then(
      () => this.sending.delete(sending),
      (error: Error) => {
        this.sending.delete(sending);
        this.options.onError(error);
      },
    );
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.pipeline.pollTimeout();
    if (due === undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pipeline.handleTimeout(nowMs());
      this.drainPipeline();
    }, Math.max(0, due - nowMs()));
    this.timer.unref();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
