import type { DecodedFrame, NativeDecoder } from '../native/types.ts';
import type { RecordSink } from '../shared/records.ts';
import type { AssembledFrame } from './frame-assembler-types.ts';
import type { RtpPacket } from '../shared/rtp/packet.ts';
import type { RealtimeRecoveryPlan } from './protection/realtime-options.ts';
import { ReceivePipeline, type DecodeResult } from './receive-pipeline.ts';

export interface VideoReceiverOptions {
  decoder: NativeDecoder;
  records: RecordSink;
  /** sends one serialized RTCP packet to the sender */
  sendRtcp: (packet: Buffer) => Promise<void>;
  /** minimum time between two keyframe requests, ms */
  pliIntervalMs: number;
  /** our RTCP sender SSRC */
  localSsrc: number;
  /**
   * ms a complete frame waits for missing earlier packets before they are given up; 0 releases at
   * once (pure latency: nothing here can recover a lost packet yet)
   */
  maxWaitMs: number;
  /** loss recovery (RTX unwrap, FEC, NACK requester); undefined = none */
  recovery?: RealtimeRecoveryPlan;
  /** transport-wide congestion control feedback (the negotiated extension id); undefined = none */
  transportFeedback?: { extensionId: number };
  /** RFC 8888 congestion control feedback on every SSRC received, instead of transport-wide feedback; undefined = none */
  ccfb?: { intervalMs?: number };
  onError: (error: Error) => void;
  /** every access unit the assembler rebuilt, as it goes to the decoder (the relay forwards it) */
  onAccessUnit?: (frame: AssembledFrame, nowMs: number) => void;
  /** every media packet (plain or recovered by RTX/FEC) with the time it (or its repair) arrived, ms (the WebRTC relay forwards it) */
  onMediaPacket?: (packet: RtpPacket, arrivalMs: number) => void;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/** A native decoder's pictures for one access unit as the pipeline takes them (the last picture counts). */
export function decodeResultOf(pictures: readonly DecodedFrame[]): DecodeResult {
  const picture = pictures[pictures.length - 1];
  if (!picture) return { kind: 'held' };
  const marker = picture.marker;
  return {
    kind: 'picture',
    decodeStartMs: nsToMs(picture.decodeStartNs),
    decodeDoneMs: nsToMs(picture.decodeDoneNs),
    ...(picture.markerReadNs !== undefined ? { markerReadMs: nsToMs(picture.markerReadNs) } : {}),
    ...(marker ? { marker: marker.ok ? { ok: true, frameId: marker.frameId, captureMs: nsToMs(marker.captureTimeNs) } : marker } : {}),
  };
}

/**
 * The real-time driver of one video stream's {@link ReceivePipeline}: packets from the transport
 * go in with their arrival time, a timer runs the pipeline at its `pollTimeout()`, frames are
 * decoded one at a time off the event loop by the native decoder (marker read there), records go
 * to the sink and RTCP to the transport.
 */
export class VideoReceiver {
  private readonly pipeline: ReceivePipeline;
  private timer: NodeJS.Timeout | undefined;
  private readonly decodeQueue: AssembledFrame[] = [];
  private decoding: Promise<void> | undefined;
  private readonly recentG2g: { atMs: number; g2gMs: number }[] = [];
  /** set by finish(): no timer is armed again */
  private finished = false;
  /** set by close(): packets are ignored (the records are about to close) */
  private closed = false;

  constructor(private readonly options: VideoReceiverOptions) {
    this.pipeline = new ReceivePipeline({
      pliIntervalMs: options.pliIntervalMs,
      localSsrc: options.localSsrc,
      maxWaitMs: options.maxWaitMs,
      ...(options.recovery ? { recovery: options.recovery } : {}),
      ...(options.transportFeedback ? { transportFeedback: options.transportFeedback } : {}),
      ...(options.ccfb ? { ccfb: options.ccfb } : {}),
      ...(options.onMediaPacket ? { mediaOutput: true } : {}),
    });
  }

  get framesReceived(): number { return this.pipeline.counters.framesReceived; }
  get framesDisplayed(): number { return this.pipeline.counters.framesDisplayed; }
  get keyframeRequests(): number { return this.pipeline.counters.keyframeRequests; }
  get badPackets(): number { return this.pipeline.counters.badPackets; }
  get recoveredByRtx(): number { return this.pipeline.counters.recoveredByRtx; }
  get recoveredByFec(): number { return this.pipeline.counters.recoveredByFec; }
  get nacksSent(): number { return this.pipeline.counters.nacksSent; }

  /** Takes one RTP packet as it came off the transport, with its arrival time. */
  handleRtp(raw: Buffer, arrivalNs: bigint): void {
    if (this.closed) return;
    this.pipeline.handleRtp(raw, nsToMs(arrivalNs));
    this.drain();
  }

  /** Takes one RTCP datagram from the sender. */
  handleRtcp(raw: Buffer, arrivalNs: bigint): void {
    if (this.closed) return;
    this.pipeline.handleRtcp(raw, nsToMs(arrivalNs));
    this.drain();
  }

  /** Stops: frames still waiting are recorded as never displayed; resolves when decoding is done. */
  async finish(): Promise<void> {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pipeline.finish(nowMs());
    this.drain();
    while (this.decoding) await this.decoding;
  }

  /** Asks the sender for a keyframe (a PLI through the pipeline's one rate limiter): a relay target that just (re)connected needs one. */
  requestKeyframe(reason: string): void {
    if (this.closed || this.finished) return;
    this.pipeline.askForKeyframe(nowMs(), reason);
    this.drain();
  }

  /** Ignores every packet from now on: call after `finish`, before the record sink closes (a late RTX would write to it). */
  close(): void {
    this.closed = true;
  }

  /** Glass-to-glass p50 over the last second, ms (progress display). */
  recentG2gP50(): number | undefined {
    const cutoff = nowMs() - 1000;
    while (this.recentG2g.length > 0 && this.recentG2g[0]!.atMs < cutoff) this.recentG2g.shift();
    if (this.recentG2g.length === 0) return undefined;
    const sorted = this.recentG2g.map((s) => s.g2gMs).sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  }

  /** Carries out what the pipeline produced, then re-arms the timer at its next wake-up. */
  private drain(): void {
    for (let e = this.pipeline.pollOutput(); e !== undefined; e = this.pipeline.pollOutput()) {
      switch (e.type) {
        case 'record': {
          const record = e.record;
          if (record.type === 'frame' && record.side === 'receiver' && record.marker === 'ok' && record.markerReadMs !== undefined && record.captureMs !== undefined) {
            this.recentG2g.push({ atMs: record.markerReadMs, g2gMs: record.markerReadMs - record.captureMs });
          }
          this.options.records.write(record);
          break;
        }
        case 'rtcp':
          this.options.sendRtcp(Buffer.from(e.packet.buffer, e.packet.byteOffset, e.packet.length)).catch((error: Error) => this.options.onError(error));
          break;
        case 'decode':
          this.options.onAccessUnit?.(e.frame, nowMs());
          this.decodeQueue.push(e.frame);
          this.decoding ??= this.decodeLoop();
          break;
        case 'media':
          this.options.onMediaPacket?.(e.packet, e.atMs);
          break;
      }
    }
    if (!this.finished) this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.pipeline.pollTimeout();
    if (due === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pipeline.handleTimeout(nowMs());
      this.drain();
    }, Math.max(0, due - nowMs()));
  }

  private async decodeLoop(): Promise<void> {
    try {
      let frame: AssembledFrame | undefined;
      while ((frame = this.decodeQueue.shift())) {
        let result: DecodeResult;
        try {
          result = decodeResultOf(await this.options.decoder.decode(frame.accessUnit));
        } catch {
          result = { kind: 'error' };
        }
        this.pipeline.handleDecoded(frame, result, nowMs());
        this.drain();
      }
    } catch (error) {
      this.options.onError(error as Error);
    } finally {
      this.decoding = undefined;
    }
  }
}
