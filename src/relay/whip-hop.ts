/**
 * What the two ends of a WHIP target hop (the forwarder's WhipTarget and the lab's WHIP
 * endpoint) agree on without extra signalling, as the lab's own hop does
 * (src/shared/protection-streams.ts): the RTX stream that answers the endpoint's NACKs, and the
 * lines both ends write.
 *
 * WHIP (RFC 9725): the client POSTs its SDP offer (Content-Type application/sdp, optionally
 * `Authorization: Bearer <token>`) to the endpoint URL; the endpoint answers 201 Created with the
 * SDP answer and a `Location` header naming the session resource, which the client DELETEs to
 * end the session.
 */
import { protectionStreams, type ProtectionStreams } from '../shared/protection-streams.ts';

/** RTX SSRC and payload type on every WHIP target hop (FEC is not used there). */
export const WHIP_HOP_STREAMS: ProtectionStreams = protectionStreams(0x77686970);

/** The SDP media type of a WHIP request and response body. */
export const WHIP_CONTENT_TYPE = 'application/sdp';

/**
 * One line the WHIP endpoint process writes on its stdout (JSON, one per line). Times are
 * CLOCK_MONOTONIC ms (process.hrtime.bigint() / 1e6), comparable across the run's processes.
 */
export type WhipEndpointLine =
  /** the HTTP server listens: POST offers to `url` */
  | { type: 'listening'; port: number; url: string }
  /** a WHIP session was created (201 sent) */
  | { type: 'session'; id: string; atMs: number }
  /** a session ended (DELETE, replaced by a newer one, or the process stopping), with its receive counters */
  | { type: 'session-end'; id: string; atMs: number; reason: 'deleted' | 'replaced' | 'stopped' | 'failed'; framesReceived: number; framesDisplayed: number; nacksSent: number; recoveredByRtx: number; keyframeRequests: number }
  /** one decoded frame; frameId/captureMs only when its marker was read; lastPacketMs: its last packet's arrival at the endpoint (the rest to receivedMs is the endpoint's own assembly, buffering and decode) */
  | { type: 'frame'; ok: boolean; frameId?: number; captureMs?: number; receivedMs: number; lastPacketMs?: number }
  /** a request refused (status and why), for the run's events */
  | { type: 'refused'; status: number; reason: string; atMs: number };
