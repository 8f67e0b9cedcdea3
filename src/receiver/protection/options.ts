/**
 * Options and outputs of the receive recovery chain (`receive-chain.ts`).
 */
import type { NackRequesterOptions } from '../nack/requester.ts';

/** Receive chain configuration: the payload-type map and every limit. */
export interface ReceiveRecoveryOptions {
  /** uint32 SSRC of the media stream */
  mediaSsrc: number;
  /** media (H.264) payload type, 7-bit */
  mediaPayloadType: number;
  /** uint32 SSRC written as the sender of our RTCP */
  receiverSsrc: number;
  /** RED and its ULPFEC block payload types; undefined = no RED/ULPFEC negotiated */
  red: { payloadType: number; ulpfecPayloadType: number } | undefined;
  /** FlexFEC-03 stream; undefined = not negotiated */
  flexfec: { ssrc: number; payloadType: number } | undefined;
  /** RTX stream; undefined = not negotiated */
  rtx: { ssrc: number; payloadType: number } | undefined;
  /** NACK requester settings; undefined = never NACK (PLI still sent when asked) */
  nack: Partial<NackRequesterOptions> | undefined;
  /** FEC decoders: media packets kept behind the newest, and pending FEC packets, counts */
  fecWindowPackets: number;
  maxPendingFec: number;
  /** recovery later than this after the loss was first seen is reported too-late, ms */
  usefulWithinMs: number;
  /** sequence numbers remembered to classify duplicates and spurious RTX, count */
  historyPackets: number;
  /** receiver report interval, ms; undefined = no RR */
  receiverReportIntervalMs: number | undefined;
}

/** How a media packet reached us. */
export type RecoveredBy = 'fec' | 'rtx';

/** What the receive chain produces, drained with `pollOutput()`. */
export type ReceiveOutput =
  /** a media RTP packet (plain, not RED) for the frame assembler */
  | { type: 'media'; packet: Uint8Array; seq: number; extSeq: number; recoveredBy: RecoveredBy | undefined; timeMs: number }
  /** a ULPFEC packet used this media sequence number (a packet buffer may treat it as padding) */
  | { type: 'fec-seq'; seq: number; extSeq: number; timeMs: number }
  /** an RTCP packet to send */
  | { type: 'rtcp'; kind: 'nack' | 'pli' | 'rr'; packet: Uint8Array; seqs?: number[]; timeMs: number }
  /** a lost media packet came back; `afterMs` = since the gap was seen (undefined: before it was seen) */
  | { type: 'recovered'; seq: number; by: RecoveredBy; afterMs: number | undefined; timeMs: number }
  /** a recovery arrived more than `usefulWithinMs` after the loss was seen */
  | { type: 'too-late'; seq: number; by: RecoveredBy; afterMs: number; timeMs: number }
  /** an RTX packet for a packet that had already arrived or been recovered */
  | { type: 'spurious-rtx'; seq: number; had: 'wire' | RecoveredBy; timeMs: number }
  /** the NACK requester stopped asking for these packets */
  | { type: 'nack-given-up'; seqs: number[]; reason: string; timeMs: number }
  /** a packet that could not be used (bad bytes, unknown SSRC/PT, decoder error), with the reason code */
  | { type: 'discarded'; reason: string; timeMs: number };

/** Error codes of the receive chain (thrown only for options). */
export type ReceiveRecoveryErrorCode = 'invalid-option';

/** Bad receive chain options. */
export class ReceiveRecoveryError extends Error {
  constructor(readonly code: ReceiveRecoveryErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'ReceiveRecoveryError';
  }
}

/** Throws for options that cannot work. */
export function checkReceiveRecoveryOptions(o: ReceiveRecoveryOptions): void {
  const bad = (m: string): never => { throw new ReceiveRecoveryError('invalid-option', m); };
  if (!(o.fecWindowPackets >= 1)) bad('fecWindowPackets must be ≥ 1');
  if (!(o.maxPendingFec >= 1)) bad('maxPendingFec must be ≥ 1');
  if (!(o.historyPackets >= 16 && o.historyPackets <= 30_000)) bad('historyPackets must be 16..30000');
  if (!(o.usefulWithinMs >= 0)) bad('usefulWithinMs must be ≥ 0');
  if (o.receiverReportIntervalMs !== undefined && !(o.receiverReportIntervalMs > 0)) bad('receiverReportIntervalMs must be > 0');
}
