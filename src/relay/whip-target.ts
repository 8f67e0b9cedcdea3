/**
 * A WebRTC relay target: a WHIP session (RFC 9725) to an endpoint, fed with the forwarder's media
 * RTP packets passed through with SSRC/seq/timestamp rewriting only (src/relay/rtp-passthrough.ts).
 * On the target hop it answers the endpoint's NACKs with RTX from its own history, passes PLI/FIR
 * upstream as a keyframe request, and reconnects (new WHIP session) when the session fails or the
 * endpoint goes quiet, with the same reconnect policy as the muxer targets.
 *
 * Extensions: only abs-capture-time is offered on the target hop; transport-wide sequence numbers
 * and abs-send-time belong to one hop's congestion control, which the forwarder does not run there.
 *
 * Drop policy: nothing is queued here. Packets before the session is up, and before its first
 * keyframe, are dropped (counted); after that each packet goes to the socket at once, so a slow
 * or dead endpoint costs a UDP send per packet and never blocks the other targets.
 *
 * The forwarder's own latency per frame is measured as the issue defines it: from the frame's
 * last packet in (its arrival at the forwarder, or its repair's) to that packet out (sent on the
 * target's socket).
 */
import { SenderPeer } from '../transport/webrtc-peer.ts';
import { ABS_CAPTURE_TIME_URI } from '../shared/rtp/extensions/abs-capture-time.ts';
import type { NegotiatedExtensions } from '../shared/rtp/extensions/negotiated.ts';
import type { RtpPacket } from '../shared/rtp/packet.ts';
import { parseCompound } from '../shared/rtcp/compound.ts';
import { RtpPassthrough, type PassthroughCounters } from './rtp-passthrough.ts';
import { whipDelete, whipPublish } from './whip-client.ts';
import { WHIP_HOP_STREAMS } from './whip-hop.ts';
import { chromiumOffer } from '../transport/chromium-offer.ts';
import { makeRng } from '../sim/frame-trace.ts';
import { parseTargetUrl, ReconnectSchedule, RelayTargetError, type ReconnectPolicy, type RelayTargetState, type WhipTargetSpec } from './targets.ts';

export interface WhipTargetOptions {
  url: string;
  /** the address ICE may use on the target hop (the endpoint's side of it), and the lab STUN server there */
  hostAddress: string;
  stunUrl: string;
  /** the first hop's negotiated extensions (URI → id): ids are mapped by URI */
  upstreamExtensions: NegotiatedExtensions;
  /** default: retry after 1000 ms for up to 60 s */
  reconnect?: ReconnectPolicy;
  /** a session with no RTCP from the endpoint this long is failed, ms; default 3000 */
  silenceTimeoutMs?: number;
  /** WHIP POST + ICE/DTLS, ms; default 10000 */
  connectTimeoutMs?: number;
  /** a session that opened (or the endpoint sent PLI/FIR): ask the sender for a keyframe */
  onNeedKeyframe?: () => void;
  /**
   * Random loss on the target hop, drawn per packet (media and RTX) as it would go to the socket:
   * the scenario's `relay.targets[].hopLoss`, until the forwarder has a namespace and link of its own
   */
  hopLoss?: { rate: number; seed: number };
  /** the clock of every `nowMs` (CLOCK_MONOTONIC ms) */
  now: () => number;
}

export interface WhipTargetStats {
  state: RelayTargetState;
  sessions: number;
  reconnects: number;
  packets: number;
  bytes: number;
  /** frames whose last packet went out */
  frames: number;
  /** packets dropped: no session up, or before its first keyframe */
  dropped: number;
  nacksReceived: number;
  retransmitted: number;
  notInHistory: number;
  keyframeRequests: number;
  /** packets the target hop's loss (hopLoss) took */
  hopLost: number;
  /** the forwarder's own part per frame (last packet in → out), ms */
  forwardMsP50?: number;
  forwardMsP95?: number;
  forwardMsMax?: number;
  lastError?: string;
}

/** RTP time a frame is kept open for late (recovered) packets before its latency is taken, 90 kHz ticks (0.5 s) */
const FRAME_OPEN_TICKS = 45_000;
/** per-frame latency samples kept (the last ones), for the percentiles */
const MAX_SAMPLES = 100_000;

interface Session {
  peer: SenderPeer;
  passthrough?: RtpPassthrough;
  resourceUrl?: string;
  lastRtcpMs: number;
  failed?: string;
}

/** Loss draws from a run seed: mixed first (xorshift's first outputs from a small seed are small, so the stream's first packets would always be lost), a few discarded. */
function lossDraws(seed: number): () => number {
  const draw = makeRng((Math.imul(seed ^ 0x51ed270b, 0x9e3779b1) ^ 0x2545f491) >>> 0);
  for (let i = 0; i < 8; i++) draw();
  return draw;
}

function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
}

export class WhipTarget {
  readonly spec: WhipTargetSpec;
  private readonly schedule: ReconnectSchedule;
  private session: Session | undefined;
  private state: RelayTargetState = 'connecting';
  private sessions = 0;
  private lastError: string | undefined;
  private readonly totals = { packets: 0, bytes: 0, dropped: 0, nacksReceived: 0, retransmitted: 0, notInHistory: 0, keyframeRequests: 0, hopLost: 0 };
  private readonly lossDraw: (() => number) | undefined;
  private retired: PassthroughCounters[] = [];
  /** open frames by upstream RTP timestamp: the newest packet arrival and its send time */
  private readonly openFrames = new Map<number, { lastInMs: number; lastOutMs: number | undefined; pending: number }>();
  private newestTimestamp: number | undefined;
  private readonly forwardMs: number[] = [];
  private framesOut = 0;
  private closing: Promise<void> | undefined;

  /** Throws RelayTargetError for a URL that is not whip:// or whips://, or a bad policy. */
  constructor(private readonly options: WhipTargetOptions) {
    const parsed = parseTargetUrl(options.url);
    if (!parsed.ok) throw parsed.error;
    if (parsed.target.protocol !== 'whip') throw new RelayTargetError('ERR_RELAY_URL', `relay target: ${options.url} is not a WHIP target`);
    this.spec = parsed.target;
    this.schedule = new ReconnectSchedule(options.reconnect);
    const loss = options.hopLoss;
    if (loss && !(loss.rate >= 0 && loss.rate < 1)) throw new RelayTargetError('ERR_RELAY_TARGET_OPTIONS', `relay target: hopLoss.rate must be in [0, 1) (got ${loss.rate})`);
    this.lossDraw = loss && loss.rate > 0 ? lossDraws(loss.seed) : undefined;
    this.open();
  }

  /** One media packet the forwarder received (plain or recovered) at `inMs`. */
  forward(packet: RtpPacket, inMs: number): void {
    const nowMs = this.options.now();
    this.handleTimeout(nowMs);
    const session = this.session;
    const passthrough = session?.passthrough;
    if (!session || !passthrough || session.failed) {
      this.totals.dropped++;
      return;
    }
    const result = passthrough.accept(packet);
    if (result.kind === 'forward') this.send(session, result.packet, packet.timestamp, inMs);
    else if (result.kind === 'start') for (const p of result.packets) this.send(session, p.packet, packet.timestamp, inMs);
  }

  /** Notices a failed or silent session, reopens after the delay, gives up after maxTimeMs. */
  handleTimeout(nowMs: number): void {
    if (this.state === 'closed' || this.state === 'gave-up') return;
    const session = this.session;
    if (session && !session.failed && session.passthrough && nowMs - session.lastRtcpMs > (this.options.silenceTimeoutMs ?? 3000)) {
      session.failed = `no RTCP from the endpoint for ${Math.round(nowMs - session.lastRtcpMs)} ms`;
    }
    if (session?.failed) {
      this.lastError = session.failed;
      this.retire();
      this.schedule.failed(nowMs);
      this.state = 'waiting';
    }
    if (this.state !== 'waiting') return;
    const next = this.schedule.due(nowMs);
    if (next === 'give-up') this.state = 'gave-up';
    else if (next === 'reopen') this.open();
  }

  stats(): WhipTargetStats {
    const counters = [...this.retired, ...(this.session?.passthrough ? [this.session.passthrough.counters] : [])];
    const sum = (key: keyof PassthroughCounters): number => counters.reduce((n, c) => n + c[key], 0);
    const sorted = [...this.forwardMs].sort((a, b) => a - b);
    const out: WhipTargetStats = {
      state: this.state,
      sessions: this.sessions,
      reconnects: this.schedule.reconnects,
      packets: this.totals.packets,
      bytes: this.totals.bytes,
      frames: this.framesOut,
      dropped: this.totals.dropped + sum('droppedBeforeKeyframe'),
      nacksReceived: this.totals.nacksReceived,
      retransmitted: sum('retransmitted'),
      notInHistory: sum('notInHistory'),
      keyframeRequests: this.totals.keyframeRequests,
      hopLost: this.totals.hopLost,
    };
    const p50 = percentile(sorted, 0.5);
    if (p50 !== undefined) {
      out.forwardMsP50 = p50;
      out.forwardMsP95 = percentile(sorted, 0.95)!;
      out.forwardMsMax = sorted.at(-1)!;
    }
    if (this.lastError !== undefined) out.lastError = this.lastError;
    return out;
  }

  /** Ends the session (WHIP DELETE) and takes the latency of the frames still open. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closed';
      this.closeOldFrames(true);
      const session = this.session;
      this.session = undefined;
      if (session?.passthrough) this.retired.push(session.passthrough.counters);
      await this.endSession(session);
    })();
    return this.closing;
  }

  private open(): void {
    this.state = 'connecting';
    const peer = SenderPeer.create({ hostAddress: this.options.hostAddress, stunUrl: this.options.stunUrl, extensions: ['absCaptureTime'] });
    const session: Session = { peer, lastRtcpMs: this.options.now() };
    this.session = session;
    void this.connect(session).catch((error: unknown) => {
      session.failed = (error as Error).message;
      if (this.session === session) this.handleTimeout(this.options.now());
      else void this.endSession(session);
    });
  }

  private async connect(session: Session): Promise<void> {
    // the offer says what the forwarder sends and answers: RTX on the hop's stream, NACK, PLI/FIR
    // (a libwebrtc endpoint needs the lines; the lab's endpoint drops the rtcp-fb ones for werift)
    const offer = chromiumOffer(await session.peer.offer(), { rtx: WHIP_HOP_STREAMS.rtx, nack: true, transportCc: false });
    const whip = await whipPublish(this.spec.url, offer, { ...(this.spec.token !== undefined ? { token: this.spec.token } : {}), timeoutMs: this.options.connectTimeoutMs ?? 10_000 });
    session.resourceUrl = whip.resourceUrl;
    const media = await session.peer.accept(whip.answerSdp, this.options.connectTimeoutMs ?? 10_000);
    if (this.session !== session || this.state === 'closed') {
      await this.endSession(session);
      return;
    }
    const extensionIds = new Map<number, number>();
    for (const [uri, downId] of Object.entries(media.extensions)) {
      const upId = this.options.upstreamExtensions[uri];
      if (upId !== undefined && downId !== undefined && uri === ABS_CAPTURE_TIME_URI) extensionIds.set(upId, downId);
    }
    session.lastRtcpMs = this.options.now();
    session.peer.onRtcp((datagram) => this.handleRtcp(session, datagram));
    session.passthrough = new RtpPassthrough({
      ssrc: media.ssrc,
      payloadType: media.payloadType,
      firstSeq: Math.floor(Math.random() * 0x10000),
      firstTimestamp: Math.floor(Math.random() * 0x1_0000_0000) >>> 0,
      extensionIds,
      rtx: WHIP_HOP_STREAMS.rtx,
    });
    this.sessions++;
    this.state = 'open';
    this.schedule.up();
    this.lastError = undefined;
    // the target hop starts at a keyframe: ask for one now instead of waiting for the next
    this.options.onNeedKeyframe?.();
  }

  private handleRtcp(session: Session, datagram: Buffer): void {
    if (this.session !== session) return;
    session.lastRtcpMs = this.options.now();
    const parsed = parseCompound(datagram);
    if (!parsed.ok) return;
    for (const packet of parsed.value) {
      if (packet.type === 'nack' && session.passthrough) {
        this.totals.nacksReceived++;
        for (const rtx of session.passthrough.retransmit(packet.seqs)) {
          this.totals.packets++;
          this.totals.bytes += rtx.length;
          if (this.lost()) continue;
          void session.peer.sendRtp(rtx).catch(() => undefined);
        }
      } else if (packet.type === 'pli' || packet.type === 'fir') {
        this.totals.keyframeRequests++;
        this.options.onNeedKeyframe?.();
      }
    }
  }

  private send(session: Session, bytes: Buffer, upstreamTimestamp: number, inMs: number): void {
    this.totals.packets++;
    this.totals.bytes += bytes.length;
    const frame = this.noteIn(upstreamTimestamp, inMs);
    if (this.lost()) {
      // the hop's loss is the wire's: the forwarder's part ended as it would have gone out
      if (frame && inMs >= frame.lastInMs) frame.lastOutMs = this.options.now();
      return;
    }
    const sent = session.peer.sendRtp(bytes);
    if (!frame) {
      void sent.catch(() => undefined);
      return;
    }
    frame.pending++;
    void sent.then(
      () => {
        frame.pending--;
        // the frame's latest arrival decides: an earlier packet's send does not end the frame
        if (inMs >= frame.lastInMs) frame.lastOutMs = this.options.now();
      },
      () => {
        frame.pending--;
      },
    );
  }

  /** Whether the target hop's loss takes this packet. */
  private lost(): boolean {
    if (!this.lossDraw || this.lossDraw() >= this.options.hopLoss!.rate) return false;
    this.totals.hopLost++;
    return true;
  }

  /** The open frame a packet belongs to, with its arrival noted; undefined for a frame already taken. */
  private noteIn(timestamp: number, inMs: number): { lastInMs: number; lastOutMs: number | undefined; pending: number } | undefined {
    if (this.newestTimestamp === undefined || ((timestamp - this.newestTimestamp) | 0) > 0) {
      this.newestTimestamp = timestamp;
      // a newer frame began: frames older than the open window are taken now, once per frame
      this.closeOldFrames(false);
    }
    let frame = this.openFrames.get(timestamp);
    if (!frame) {
      if (((this.newestTimestamp - timestamp) | 0) > FRAME_OPEN_TICKS) return undefined;
      frame = { lastInMs: inMs, lastOutMs: undefined, pending: 0 };
      this.openFrames.set(timestamp, frame);
    }
    if (inMs >= frame.lastInMs) {
      frame.lastInMs = inMs;
      frame.lastOutMs = undefined;
    }
    return frame;
  }

  /** Takes the latency of frames no longer open (all of them at the end). */
  private closeOldFrames(all: boolean): void {
    const newest = this.newestTimestamp;
    if (newest === undefined) return;
    for (const [timestamp, frame] of this.openFrames) {
      if (!all && ((newest - timestamp) | 0) <= FRAME_OPEN_TICKS) continue;
      this.openFrames.delete(timestamp);
      if (frame.lastOutMs === undefined) continue;
      this.framesOut++;
      if (this.forwardMs.length >= MAX_SAMPLES) this.forwardMs.shift();
      this.forwardMs.push(frame.lastOutMs - frame.lastInMs);
    }
  }

  private retire(): void {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    if (session.passthrough) this.retired.push(session.passthrough.counters);
    void this.endSession(session);
  }

  private async endSession(session: Session | undefined): Promise<void> {
    if (!session) return;
    if (session.resourceUrl !== undefined) {
      const url = session.resourceUrl;
      session.resourceUrl = undefined;
      await whipDelete(url, this.spec.token !== undefined ? { token: this.spec.token } : {});
    }
    await session.peer.close().catch(() => undefined);
  }
}
