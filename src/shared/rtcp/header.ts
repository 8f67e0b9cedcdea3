/**
 * The common RTCP header (RFC 3550 §6.4.1): V=2, P, a 5-bit count/format field, packet type and
 * length in 32-bit words minus one; plus big-endian byte helpers the packet codecs share.
 */
import { type RtcpResult, rtcpErr, rtcpOk } from './errors.ts';

/** RTCP packet types used here. */
export const RTCP_PT = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
  /** transport-layer feedback (RFC 4585): generic NACK (fmt 1), RFC 8888 CCFB (fmt 11), TWCC (fmt 15) */
  RTPFB: 205,
  /** payload-specific feedback (RFC 4585): PLI (fmt 1), FIR (fmt 4, RFC 5104), application layer feedback such as REMB (fmt 15) */
  PSFB: 206,
} as const;

/** Feedback message types (FMT) used here. */
export const RTCP_FMT = { NACK: 1, CCFB: 11, TWCC: 15, PLI: 1, FIR: 4, AFB: 15 } as const;

/** Bytes of the common header. */
export const RTCP_HEADER_BYTES = 4;

/** One RTCP packet's header as read from the wire. */
export interface RtcpHeader {
  /** report count (SR/RR) or feedback message type (RTPFB/PSFB), 5 bits */
  count: number;
  packetType: number;
  /** whole packet including header and padding, bytes (a multiple of 4) */
  totalBytes: number;
  /** end of the payload inside the packet, excluding padding, bytes from the packet start */
  payloadEnd: number;
}

/** Reads the header of the packet starting at `offset`; checks version, length and padding. */
export function readRtcpHeader(bytes: Uint8Array, offset: number): RtcpResult<RtcpHeader> {
  if (bytes.length - offset < RTCP_HEADER_BYTES) return rtcpErr('too-short', 'RTCP header needs 4 bytes', offset);
  const b0 = bytes[offset]!;
  if (b0 >> 6 !== 2) return rtcpErr('bad-version', `RTCP version ${b0 >> 6}, expected 2`, offset);
  const totalBytes = (((bytes[offset + 2]! << 8) | bytes[offset + 3]!) + 1) * 4;
  if (offset + totalBytes > bytes.length) {
    return rtcpErr('bad-length', `RTCP length ${totalBytes} exceeds the ${bytes.length - offset} bytes left`, offset);
  }
  let payloadEnd = totalBytes;
  if (b0 & 0x20) {
    const pad = bytes[offset + totalBytes - 1]!;
    if (pad === 0 || pad > totalBytes - RTCP_HEADER_BYTES) {
      return rtcpErr('bad-padding', `RTCP padding count ${pad} invalid for length ${totalBytes}`, offset);
    }
    payloadEnd = totalBytes - pad;
  }
  return rtcpOk({ count: b0 & 0x1f, packetType: bytes[offset + 1]!, totalBytes, payloadEnd });
}

/** Writes a header (no padding) for a packet of `totalBytes` (a multiple of 4) at `offset`. */
export function writeRtcpHeader(buf: Uint8Array, offset: number, count: number, packetType: number, totalBytes: number): void {
  buf[offset] = 0x80 | (count & 0x1f);
  buf[offset + 1] = packetType;
  const words = totalBytes / 4 - 1;
  buf[offset + 2] = words >> 8;
  buf[offset + 3] = words & 0xff;
}

/** Checks a single packet's type and count, returning its header. */
export function expectRtcp(bytes: Uint8Array, packetType: number, count: number | undefined, what: string): RtcpResult<RtcpHeader> {
  const h = readRtcpHeader(bytes, 0);
  if (!h.ok) return h;
  if (h.value.packetType !== packetType || (count !== undefined && h.value.count !== count)) {
    return rtcpErr('wrong-type', `not ${what}: PT ${h.value.packetType} count/FMT ${h.value.count}`, 0);
  }
  return h;
}

/** Big-endian uint32 at `o`. */
export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/** Big-endian uint16 at `o`. */
export function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Writes big-endian uint32 `v` at `o`. */
export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Writes big-endian uint16 `v` at `o`. */
export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
