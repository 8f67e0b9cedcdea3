/**
 * The relay's forwarding step, in the receiving process. Without decoding or re-encoding:
 * - muxer targets (RTSP, SRT, RTMP through libavformat, src/relay/targets.ts) get every access
 *   unit the frame assembler rebuilds (after the lab's NACK/RTX and FEC recovery on the WebRTC
 *   hop), with its RTP time as the presentation time;
 * - WHIP targets (src/relay/whip-target.ts) get every media packet as the recovery chain hands it
 *   to the assembler, passed through with SSRC/seq/timestamp rewriting only.
 * A slow or dead target never blocks the others or the receive path: each muxer has its own thread
 * and bounded queue, and WHIP targets queue nothing. Records: one `relay-target` event per target
 * at the end with its counters.
 */
import type { AssembledFrame } from './frame-assembler-types.ts';
import { RelayTarget, parseTargetUrl, type ReconnectPolicy, type RelayTargetStats } from '../relay/targets.ts';
import { WhipTarget, type WhipTargetStats } from '../relay/whip-target.ts';
import { startLocalStunServer, type LocalStunServer } from '../transport/stun-server.ts';
import type { NegotiatedExtensions } from '../shared/rtp/extensions/negotiated.ts';
import type { RtpPacket } from '../shared/rtp/packet.ts';
import { TimestampUnwrapper } from '../shared/rtp/seq.ts';

export interface RelayForwarderOptions {
  targets: ReadonlyArray<{ url: string; reconnect?: ReconnectPolicy; hopLoss?: { rate: number; seed: number } }>;
  width: number;
  height: number;
  fps: number;
  /** the address WHIP targets' ICE uses (the forwarder's end of the target hop); default each URL's host (loopback: endpoints beside the receiver) */
  localAddress?: string;
  /** the first hop's negotiated header extensions (WHIP targets map them by URI) */
  upstreamExtensions: NegotiatedExtensions;
  /** a target (re)opened and waits for a keyframe, or a WHIP endpoint asked for one: ask the sender */
  onNeedKeyframe?: () => void;
}

export type RelayTargetReport =
  | { url: string; protocol: 'whip'; stats: WhipTargetStats }
  | { url: string; protocol: 'muxer'; stats: RelayTargetStats };

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class RelayForwarder {
  private readonly rtpTime = new TimestampUnwrapper();
  /** access units handed to the muxer targets */
  forwarded = 0;
  /** media packets handed to the WHIP targets */
  packetsForwarded = 0;

  private constructor(
    private readonly targets: ReadonlyArray<{ url: string; target: RelayTarget | WhipTarget }>,
    private readonly stunServers: readonly LocalStunServer[],
  ) {}

  /**
   * Opens every target. WHIP targets get ICE on `localAddress` (or, beside the receiver, the
   * URL's host) with a STUN server of this process there, so no packet leaves the run. Throws RelayTargetError naming a bad URL (the orchestrator validated them already).
   */
  static async create(o: RelayForwarderOptions): Promise<RelayForwarder> {
    const stun = new Map<string, LocalStunServer>();
    const targets: Array<{ url: string; target: RelayTarget | WhipTarget }> = [];
    try {
      for (const t of o.targets) {
        const parsed = parseTargetUrl(t.url);
        if (!parsed.ok) throw parsed.error;
        const common = { ...(t.reconnect ? { reconnect: t.reconnect } : {}), ...(o.onNeedKeyframe ? { onNeedKeyframe: o.onNeedKeyframe } : {}) };
        if (parsed.target.protocol === 'whip') {
          const host = o.localAddress ?? new URL(parsed.target.url).hostname;
          let server = stun.get(host);
          if (!server) {
            server = await startLocalStunServer(host);
            stun.set(host, server);
          }
          targets.push({ url: t.url, target: new WhipTarget({ url: t.url, hostAddress: host, stunUrl: server.url, upstreamExtensions: o.upstreamExtensions, now: nowMs, ...(t.hopLoss ? { hopLoss: t.hopLoss } : {}), ...common }) });
        } else {
          targets.push({ url: t.url, target: new RelayTarget({ url: t.url, width: o.width, height: o.height, fps: o.fps, ...common }) });
        }
      }
    } catch (error) {
      await Promise.all(targets.map((t) => t.target.close()));
      await Promise.all([...stun.values()].map((s) => s.close()));
      throw error;
    }
    return new RelayForwarder(targets, [...stun.values()]);
  }

  /**
   * Waits (at most `timeoutMs`) until no WHIP target is still connecting, so that a target that
   * can come up does before media starts; one that cannot is left to its reconnect policy.
   */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    const connecting = (): boolean => this.targets.some(({ target }) => target instanceof WhipTarget && target.stats().state === 'connecting');
    while (connecting() && nowMs() < deadline) {
      this.tick(nowMs());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Whether any target takes packets (WHIP): the receiver then hands them out. */
  get wantsPackets(): boolean {
    return this.targets.some((t) => t.target instanceof WhipTarget);
  }

  /** One rebuilt access unit at `atMs`: to every muxer target (each drops by its own policy when it cannot keep up). */
  forward(frame: AssembledFrame, atMs: number): void {
    // 90 kHz RTP time, unwrapped, as microseconds: the muxers rebase it on the first keyframe
    const ptsUs = BigInt(Math.round((this.rtpTime.unwrap(frame.rtpTimestamp) * 1000) / 90));
    for (const { target } of this.targets) if (target instanceof RelayTarget) target.write(frame.accessUnit, ptsUs, frame.keyframe, atMs);
    this.forwarded++;
  }

  /** One media packet (plain or recovered) that arrived at `arrivalMs`: to every WHIP target. */
  forwardPacket(packet: RtpPacket, arrivalMs: number): void {
    for (const { target } of this.targets) if (target instanceof WhipTarget) target.forward(packet, arrivalMs);
    this.packetsForwarded++;
  }

  /** Reopens failed targets whose delay has passed (call now and then; writes do it too). */
  tick(atMs: number): void {
    for (const { target } of this.targets) target.handleTimeout(atMs);
  }

  stats(): RelayTargetReport[] {
    return this.targets.map(({ url, target }) =>
      target instanceof WhipTarget ? { url, protocol: 'whip', stats: target.stats() } : { url, protocol: 'muxer', stats: target.stats() },
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.targets.map((t) => t.target.close()));
    await Promise.all(this.stunServers.map((s) => s.close()));
  }
}
