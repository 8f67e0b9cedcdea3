/**
 * The lab's own receiver behind the WHIP endpoint (the default session of
 * src/relay/whip-endpoint.ts): a werift ReceiverPeer answers the forwarder's offer, then the
 * stream is received as the lab's receiver does (frame assembly, NACK answered by RTX on
 * WHIP_HOP_STREAMS.rtx, native decode, marker read), one `frame` line per displayed frame.
 */
import { loadNative } from '../native/addon.ts';
import type { NativeDecoder } from '../native/types.ts';
import type { RealtimeRecoveryPlan } from '../receiver/protection/realtime-options.ts';
import { VideoReceiver } from '../receiver/video-receiver.ts';
import type { LabRecord } from '../shared/records.ts';
import { ReceiverPeer } from '../transport/webrtc-peer.ts';
import { offerForWerift } from '../transport/chromium-answer.ts';
import type { EndReason, EndpointSession, SessionFactory, WhipEndpointOptions } from './whip-endpoint.ts';
import { WHIP_HOP_STREAMS } from './whip-hop.ts';

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Default minimum time between two keyframe requests, ms. */
export const WHIP_PLI_INTERVAL_DEFAULT_MS = 500;
/** The endpoint's RTCP sender SSRC. */
export const WHIP_ENDPOINT_RTCP_SSRC = 1;

/**
 * Loss recovery on the hop: NACK, answered with RTX on WHIP_HOP_STREAMS.rtx (no FEC is sent
 * there). The forwarder sends no SR, so the RTT is never measured: the bound is a short hop's
 * (the first retry comes 30 ms after the NACK); a frame waits up to 250 ms for its repairs, a
 * viewer's buffer, so a lost retransmission still gets its retry.
 */
export const WHIP_ENDPOINT_RECOVERY: RealtimeRecoveryPlan = {
  mode: 'nack',
  fecScheme: 'flexfec',
  streams: WHIP_HOP_STREAMS,
  maxRetries: 10,
  rttBoundMs: 30,
  assemblerMaxWaitMs: 250,
};

/** One WHIP session: its peer and, once connected, its receiver and decoder. */
class WhipSession implements EndpointSession {
  private receiver: VideoReceiver | undefined;
  private decoder: NativeDecoder | undefined;
  private ending: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly peer: ReceiverPeer,
    private readonly options: WhipEndpointOptions,
  ) {}

  /** Waits for ICE + DTLS in the background, then receives; a failure ends the session. */
  connect(): void {
    this.peer
      .waitConnected()
      .then(() => {
        if (!this.ending) this.receive();
      })
      .catch((error: unknown) => this.fail(error));
  }

  /** Ends the session once: flushes the receiver, closes decoder and peer, writes `session-end`. */
  end(reason: EndReason): Promise<void> {
    this.ending ??= this.close(reason);
    return this.ending;
  }

  private fail(error: unknown): void {
    if (this.ending) return;
    this.options.log?.(`whip session ${this.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    void this.end('failed');
  }

  private receive(): void {
    const decoder = new (loadNative().Decoder)({ codec: 'h264', readMarker: true });
    this.decoder = decoder;
    const receiver = new VideoReceiver({
      decoder,
      records: { write: (record) => this.record(record) },
      sendRtcp: (packet) => this.peer.sendRtcp(packet),
      pliIntervalMs: this.options.pliIntervalMs ?? WHIP_PLI_INTERVAL_DEFAULT_MS,
      localSsrc: WHIP_ENDPOINT_RTCP_SSRC,
      maxWaitMs: WHIP_ENDPOINT_RECOVERY.assemblerMaxWaitMs,
      recovery: WHIP_ENDPOINT_RECOVERY,
      onError: (error) => this.fail(error),
    });
    this.receiver = receiver;
    this.peer.onRtp((packet, arrivalNs) => receiver.handleRtp(packet, arrivalNs));
    this.peer.onRtcp((packet, arrivalNs) => receiver.handleRtcp(packet, arrivalNs));
  }

  /** A displayed receiver frame becomes a `frame` line; other records only count. */
  private record(record: LabRecord): void {
    if (record.type !== 'frame' || record.side !== 'receiver' || record.notDisplayed !== undefined) return;
    const ok = record.marker === 'ok';
    this.options.onLine({
      type: 'frame',
      ok,
      ...(ok && record.frameId !== undefined ? { frameId: record.frameId } : {}),
      ...(ok && record.captureMs !== undefined ? { captureMs: record.captureMs } : {}),
      receivedMs: record.markerReadMs ?? record.decodeDoneMs ?? nowMs(),
      lastPacketMs: record.lastPacketMs,
    });
  }

  private async close(reason: EndReason): Promise<void> {
    const receiver = this.receiver;
    if (receiver) {
      try {
        await receiver.finish();
      } catch (error) {
        this.options.log?.(`whip session ${this.id}: finishing the receiver: ${(error as Error).message}`);
      }
      receiver.close();
    }
    this.decoder?.close();
    await this.peer.close().catch(() => undefined);
    this.options.onLine({
      type: 'session-end',
      id: this.id,
      atMs: nowMs(),
      reason,
      framesReceived: receiver?.framesReceived ?? 0,
      framesDisplayed: receiver?.framesDisplayed ?? 0,
      nacksSent: receiver?.nacksSent ?? 0,
      recoveredByRtx: receiver?.recoveredByRtx ?? 0,
      keyframeRequests: receiver?.keyframeRequests ?? 0,
    });
  }
}

/**
 * Sessions received by the lab's own pipeline: a werift ReceiverPeer answers the offer without
 * its rtcp-fb lines (werift would otherwise NACK and ask for keyframes by itself; the lab's
 * receiver does both), then the session receives once connected.
 */
export function labSessions(options: WhipEndpointOptions): SessionFactory {
  return async (offer, id) => {
    const peer = ReceiverPeer.create({ hostAddress: options.host, stunUrl: options.stunUrl });
    let answer: string;
    try {
      answer = await peer.answer(offerForWerift(offer));
    } catch (error) {
      await peer.close().catch(() => undefined);
      throw new Error(`werift could not answer the offer: ${error instanceof Error ? error.message : String(error)}`);
    }
    const session = new WhipSession(id, peer, options);
    session.connect();
    return { answer, session };
  };
}
