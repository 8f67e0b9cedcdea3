/**
 * Options, outputs and errors of the send protection chain (`send-chain.ts`).
 */
import type { FecController } from '../fec-controller/index.ts';
import type { MaskKind } from '../../shared/fec/masks.ts';
import type { PacketHistoryOptions } from '../rtx/history.ts';
import type { PacedKind } from '../pacer/pacer.ts';

/** Which loss protection runs: nothing, NACK/RTX only, FEC only, or both. */
export type ProtectionMode = 'none' | 'nack' | 'fec' | 'hybrid';

/** FEC format: ULPFEC inside RED on the media SSRC (libwebrtc's default), or FlexFEC-03 on its own SSRC. */
export type FecScheme = 'ulpfec' | 'flexfec';

/** Send chain configuration; every number the chain uses comes from here. */
export interface SendProtectionOptions {
  mode: ProtectionMode;
  fecScheme: FecScheme;
  /** packet mask family (libwebrtc's random or bursty tables) */
  maskType: MaskKind;
  /** uint32 */
  mediaSsrc: number;
  /** payload type of the media (H.264), 7-bit */
  mediaPayloadType: number;
  /** RED/ULPFEC payload types, 7-bit; needed when fecScheme is 'ulpfec' */
  red: { payloadType: number; ulpfecPayloadType: number };
  /** FlexFEC stream; needed when fecScheme is 'flexfec' */
  flexfec: { ssrc: number; payloadType: number; initialSequenceNumber: number };
  /** RTX stream and send history */
  rtx: { ssrc: number; payloadType: number; initialSequenceNumber: number; history: PacketHistoryOptions };
  /** most media packets one FEC block protects (≤ 48); larger frames are split into equal blocks */
  maxMediaPacketsPerBlock: number;
  /** RTT assumed until the first RR carries one, ms */
  initialRttMs: number;
  /** the FEC controller that turns loss and RTT into key/delta protection factors */
  fecController: FecController;
  /** target bitrate given to the FEC controller, bps (update with `setTargetBitrate`) */
  targetBitrateBps: number;
  /** frame rate given to the FEC controller, frames/s */
  frameRateFps: number;
  /** fixed key/delta protection factors, 1/255, overriding the controller (tests, sweeps); undefined = controller */
  fixedFecRate255: { key: number; delta: number } | undefined;
  /** sender report interval, ms (RTT measurement needs SRs); undefined = no SRs */
  senderReportIntervalMs: number | undefined;
  /** 90 kHz RTP clock value at nowMs = 0 (for SR rtpTimestamp) */
  rtpTimestampAtZero: number;
}

/** Kind of an outgoing RTP packet. */
export type SendKind = 'media' | 'fec' | 'rtx' | 'padding';

/** The pacer kind (priority class) of each send kind. */
export const PACED_KIND_OF: Readonly<Record<SendKind, PacedKind>> = { media: 'media', fec: 'fec', rtx: 'retransmission', padding: 'padding' };

/** One outgoing RTP packet, ready for the pacer. */
export interface SendPacket {
  type: 'packet';
  kind: SendKind;
  /** the serialized RTP packet as it goes on the wire */
  packet: Uint8Array;
  /** uint32 SSRC and uint16 seq of `packet` */
  ssrc: number;
  seq: number;
  /** for media and RTX: the media sequence number carried, uint16 */
  mediaSeq?: number;
  /** ms */
  timeMs: number;
}

/** What the send chain produces, drained with `pollOutput()`. */
export type SendOutput =
  | SendPacket
  /** one FEC block: its media seqs, its FEC packets (SSRC + seqs) and the media indices each FEC packet covers */
  | { type: 'fec-block'; mediaSeqs: number[]; fecSsrc: number; fecSeqs: number[]; covers: number[][]; keyframe: boolean; rate255: number; timeMs: number }
  /** an RTCP packet to send (sender report) */
  | { type: 'rtcp'; packet: Uint8Array; timeMs: number }
  /** the receiver asked for a keyframe (PLI or FIR): tell the encoder */
  | { type: 'keyframe-request'; source: 'pli' | 'fir'; timeMs: number }
  /** a NACKed packet was not retransmitted (not in history, within one RTT, mode without NACK) */
  | { type: 'rtx-refused'; seq: number; reason: string; timeMs: number }
  /** RR feedback reached the FEC controller: new factors, 1/255 */
  | { type: 'fec-rates'; key: number; delta: number; lossFraction255: number; rttMs: number; timeMs: number };

/** Error codes of the send chain. */
export type SendProtectionErrorCode = 'invalid-option' | 'bad-media-packet' | 'fec-encode' | 'bad-rtcp';

/** A send chain error: thrown for bad options, returned as a value for bad input. */
export class SendProtectionError extends Error {
  constructor(readonly code: SendProtectionErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SendProtectionError';
  }
}

/** Throws for options that cannot work. */
export function checkSendProtectionOptions(o: SendProtectionOptions): void {
  const bad = (m: string): never => { throw new SendProtectionError('invalid-option', m); };
  if (!(o.maxMediaPacketsPerBlock >= 1 && o.maxMediaPacketsPerBlock <= 48)) bad('maxMediaPacketsPerBlock must be 1..48');
  for (const [name, pt] of [['mediaPayloadType', o.mediaPayloadType], ['red.payloadType', o.red.payloadType], ['red.ulpfecPayloadType', o.red.ulpfecPayloadType], ['flexfec.payloadType', o.flexfec.payloadType], ['rtx.payloadType', o.rtx.payloadType]] as const) {
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) bad(`${name} must be 0..127`);
  }
  if (o.fixedFecRate255 && (o.fixedFecRate255.key < 0 || o.fixedFecRate255.key > 255 || o.fixedFecRate255.delta < 0 || o.fixedFecRate255.delta > 255)) bad('fixedFecRate255 must be 0..255');
  if (o.senderReportIntervalMs !== undefined && !(o.senderReportIntervalMs > 0)) bad('senderReportIntervalMs must be > 0');
  if (!(o.initialRttMs >= 0)) bad('initialRttMs must be ≥ 0');
}

/** NTP time (seconds since 1900 + fraction) for a ms clock that starts at the NTP epoch offset 0. */
export function ntpFromMs(nowMs: number): { ntpSeconds: number; ntpFraction: number } {
  const seconds = Math.floor(nowMs / 1000);
  return { ntpSeconds: seconds >>> 0, ntpFraction: Math.floor(((nowMs - seconds * 1000) / 1000) * 2 ** 32) >>> 0 };
}

/** Compact NTP (1/65536 s, uint32) of a ms time. */
export function compactNtpFromMs(nowMs: number): number {
  return Math.floor((nowMs * 65536) / 1000) >>> 0;
}
