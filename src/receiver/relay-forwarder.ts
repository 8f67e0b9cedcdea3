/**
 * The relay's forwarding step, in the receiving process: every access unit the frame assembler
 * rebuilds (after the lab's NACK/RTX and FEC recovery on the WebRTC hop) goes, without decoding
 * or re-encoding, to each relay target (src/relay/targets.ts: RTSP, SRT, RTMP through
 * libavformat), with its RTP time as the presentation time. A slow or dead target never blocks
 * the others or the receive path: each has its own muxer thread and bounded queue. Records: one
 * `relay-target` event per target at the end with its counters.
 */
import type { AssembledFrame } from './frame-assembler-types.ts';
import { RelayTarget, type ReconnectPolicy, type RelayTargetStats } from '../relay/targets.ts';
import { TimestampUnwrapper } from '../shared/rtp/seq.ts';

export interface RelayForwarderOptions {
  targets: ReadonlyArray<{ url: string; reconnect?: ReconnectPolicy }>;
  width: number;
  height: number;
  fps: number;
  /** a target's muxer (re)opened and waits for a keyframe: ask the sender for one */
  onNeedKeyframe?: () => void;
}

export class RelayForwarder {
  private readonly targets: RelayTarget[];
  private readonly rtpTime = new TimestampUnwrapper();
  /** access units handed to the targets */
  forwarded = 0;

  /** Throws RelayTargetError naming a bad URL (the orchestrator validated them already). */
  constructor(o: RelayForwarderOptions) {
    this.targets = o.targets.map(
      (t) => new RelayTarget({ url: t.url, width: o.width, height: o.height, fps: o.fps, ...(t.reconnect ? { reconnect: t.reconnect } : {}), ...(o.onNeedKeyframe ? { onNeedKeyframe: o.onNeedKeyframe } : {}) }),
    );
  }

  /** One rebuilt access unit at `nowMs`: to every target (each drops by its own policy when it cannot keep up). */
  forward(frame: AssembledFrame, nowMs: number): void {
    // 90 kHz RTP time, unwrapped, as microseconds: the muxers rebase it on the first keyframe
    const ptsUs = BigInt(Math.round((this.rtpTime.unwrap(frame.rtpTimestamp) * 1000) / 90));
    for (const target of this.targets) target.write(frame.accessUnit, ptsUs, frame.keyframe, nowMs);
    this.forwarded++;
  }

  /** Reopens failed targets whose delay has passed (call now and then; writes do it too). */
  tick(nowMs: number): void {
    for (const target of this.targets) target.handleTimeout(nowMs);
  }

  stats(): Array<{ url: string; stats: RelayTargetStats }> {
    return this.targets.map((t) => ({ url: t.spec.url, stats: t.stats() }));
  }

  async close(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.close()));
  }
}
