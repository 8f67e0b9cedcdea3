/**
 * Minimal, private RTP header access for the FEC units (RFC 3550 §5.1). Just the fields FEC
 * needs; the general RTP parser lives elsewhere and is deliberately not depended on here.
 */

/** Fixed RTP header size in bytes (no CSRC, no extension). */
export const RTP_FIXED_HEADER_BYTES = 12;

/** Layout facts of one serialized RTP packet. Offsets and lengths in bytes. */
export interface RtpLayout {
  /** 7-bit payload type. */
  readonly payloadType: number;
  /** uint16 sequence number. */
  readonly sequenceNumber: number;
  /** uint32 RTP timestamp. */
  readonly timestamp: number;
  /** uint32 SSRC. */
  readonly ssrc: number;
  readonly marker: boolean;
  /** Offset of the payload: 12 + 4·CC + extension (header + body). */
  readonly payloadOffset: number;
  /** Payload length in bytes, padding excluded. */
  readonly payloadLength: number;
  /** Padding bytes at the end (0 when the P bit is clear). */
  readonly paddingLength: number;
}

/** Why bytes are not a usable RTP packet. */
export type RtpLayoutErrorCode =
  | 'rtp-too-short'
  | 'rtp-bad-version'
  | 'rtp-csrc-overflow'
  | 'rtp-extension-overflow'
  | 'rtp-bad-padding';

/** Parse failure value (never thrown). */
export interface RtpLayoutError {
  readonly code: RtpLayoutErrorCode;
}

/** Reads the layout of a serialized RTP packet; returns an error value for malformed bytes. */
export function readRtpLayout(packet: Uint8Array): RtpLayout | RtpLayoutError {
  if (packet.length < RTP_FIXED_HEADER_BYTES) return { code: 'rtp-too-short' };
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) return { code: 'rtp-bad-version' };
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_BYTES + 4 * csrcCount;
  if (offset > packet.length) return { code: 'rtp-csrc-overflow' };
  if ((b0 & 0x10) !== 0) {
    if (offset + 4 > packet.length) return { code: 'rtp-extension-overflow' };
    const words = (packet[offset + 2]! << 8) | packet[offset + 3]!;
    offset += 4 + 4 * words;
    if (offset > packet.length) return { code: 'rtp-extension-overflow' };
  }
  let paddingLength = 0;
  if ((b0 & 0x20) !== 0) {
    paddingLength = packet[packet.length - 1]!;
    if (paddingLength === 0 || offset + paddingLength > packet.length) {
      return { code: 'rtp-bad-padding' };
    }
  }
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: readU16(packet, 2),
    timestamp: readU32(packet, 4),
    ssrc: readU32(packet, 8),
    payloadOffset: offset,
    payloadLength: packet.length - offset - paddingLength,
    paddingLength,
  };
}

/** True when a {@link readRtpLayout} result is an error. */
export function isRtpLayoutError(value: RtpLayout | RtpLayoutError): value is RtpLayoutError {
  return 'code' in value;
}

/** Big-endian uint16 at `offset`. */
export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

/** Big-endian uint32 at `offset`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0
  );
}

/** Writes a big-endian uint16 at `offset`. */
export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}

/** Writes a big-endian uint32 at `offset`. */
export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** Fields of a fixed 12-byte RTP header to write (no CSRC, no extension). */
export interface RtpHeaderFields {
  /** 7-bit payload type. */
  readonly payloadType: number;
  /** uint16. */
  readonly sequenceNumber: number;
  /** uint32. */
  readonly timestamp: number;
  /** uint32. */
  readonly ssrc: number;
  readonly marker: boolean;
}

/** Serializes a 12-byte RTP header followed by `payload`. */
export function buildRtpPacket(fields: RtpHeaderFields, payload: Uint8Array): Buffer {
  const packet = Buffer.allocUnsafe(RTP_FIXED_HEADER_BYTES + payload.length);
  packet[0] = 0x80;
  packet[1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  writeU16(packet, 2, fields.sequenceNumber);
  writeU32(packet, 4, fields.timestamp);
  writeU32(packet, 8, fields.ssrc);
  packet.set(payload, RTP_FIXED_HEADER_BYTES);
  return packet;
}
