/**
 * Receiver Estimated Maximum Bitrate (draft-alvestrand-rmcat-remb-03 §2.2): an application layer
 * feedback message, PT 206 FMT 15, whose FCI starts with the identifier 'REMB'; then the number
 * of SSRCs (8 bits), the bitrate as a 6-bit exponent and an 18-bit mantissa (bit/s = mantissa ×
 * 2^exp), and the SSRCs the estimate applies to. The common "media source" field is 0.
 */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint, RtcpEncodeError } from './errors.ts';
import { RTCP_FMT, RTCP_PT, expectRtcp, readU32, writeRtcpHeader, writeU32 } from './header.ts';

/** The FCI's unique identifier, 'R' 'E' 'M' 'B' as a big-endian uint32. */
export const REMB_IDENTIFIER = 0x52454d42;
/** Largest mantissa, 18 bits. */
const MANTISSA_MAX = 0x3ffff;
/** Largest exponent, 6 bits. */
const EXP_MAX = 63;
/** Header, sender SSRC, media SSRC, identifier, count/exponent/mantissa word. */
const FIXED_BYTES = 20;

/** A parsed REMB. */
export interface ReceiverEstimatedMaxBitrate {
  type: 'remb';
  /** SSRC of the REMB's sender, uint32 */
  senderSsrc: number;
  /** the common feedback header's media source, uint32 (the draft says 0; kept as read) */
  mediaSsrc: number;
  /** the estimate, bit/s: mantissa × 2^exp (exact below 2^18 bit/s, else 18 significant bits) */
  bitrateBps: number;
  /** the media SSRCs the estimate applies to, uint32 each, at most 255 */
  ssrcs: number[];
}

/** True when a PSFB FMT 15 packet's FCI starts with 'REMB' (other application layer feedback exists). */
export function isRembPacket(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && readU32(bytes, 12) === REMB_IDENTIFIER;
}

/** Parses one REMB packet (exactly the packet's bytes); words after the SSRC list are ignored. */
export function parseRemb(bytes: Uint8Array): RtcpResult<ReceiverEstimatedMaxBitrate> {
  const h = expectRtcp(bytes, RTCP_PT.PSFB, RTCP_FMT.AFB, 'application layer feedback');
  if (!h.ok) return h;
  const end = h.value.payloadEnd;
  if (end < FIXED_BYTES) return rtcpErr('too-short', 'REMB needs 20 bytes before its SSRCs', 0);
  if (readU32(bytes, 12) !== REMB_IDENTIFIER) return rtcpErr('wrong-type', 'application layer feedback without the REMB identifier', 12);
  const count = bytes[16]!;
  if (FIXED_BYTES + count * 4 > end) return rtcpErr('count-mismatch', `REMB names ${count} SSRCs, room for ${Math.floor((end - FIXED_BYTES) / 4)}`, 16);
  const exp = bytes[17]! >> 2;
  const mantissa = ((bytes[17]! & 0x3) << 16) | (bytes[18]! << 8) | bytes[19]!;
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) ssrcs.push(readU32(bytes, FIXED_BYTES + 4 * i));
  return rtcpOk({ type: 'remb', senderSsrc: readU32(bytes, 4), mediaSsrc: readU32(bytes, 8), bitrateBps: mantissa * 2 ** exp, ssrcs });
}

/**
 * The exponent and mantissa of `bps`: the smallest exponent whose mantissa fits 18 bits, the
 * mantissa rounded down (the estimate sent is never above the one measured).
 */
export function rembMantissa(bps: number): { exp: number; mantissa: number } {
  if (!Number.isFinite(bps) || bps < 0 || bps > MANTISSA_MAX * 2 ** EXP_MAX) {
    throw new RtcpEncodeError('value-out-of-range', `REMB bitrate ${bps} bit/s outside 0..(2^18 − 1) × 2^63`);
  }
  let exp = 0;
  while (Math.floor(bps / 2 ** exp) > MANTISSA_MAX) exp++;
  return { exp, mantissa: Math.floor(bps / 2 ** exp) };
}

/** Encodes a REMB; throws RtcpEncodeError for out-of-range fields or more than 255 SSRCs. */
export function encodeRemb(remb: Omit<ReceiverEstimatedMaxBitrate, 'type'>): Uint8Array {
  checkUint(remb.senderSsrc, 0xffffffff, 'senderSsrc');
  checkUint(remb.mediaSsrc, 0xffffffff, 'mediaSsrc');
  checkUint(remb.ssrcs.length, 0xff, 'num SSRC');
  const { exp, mantissa } = rembMantissa(remb.bitrateBps);
  const total = FIXED_BYTES + remb.ssrcs.length * 4;
  const buf = new Uint8Array(total);
  writeRtcpHeader(buf, 0, RTCP_FMT.AFB, RTCP_PT.PSFB, total);
  writeU32(buf, 4, remb.senderSsrc);
  writeU32(buf, 8, remb.mediaSsrc);
  writeU32(buf, 12, REMB_IDENTIFIER);
  buf[16] = remb.ssrcs.length;
  buf[17] = (exp << 2) | (mantissa >> 16);
  buf[18] = (mantissa >> 8) & 0xff;
  buf[19] = mantissa & 0xff;
  remb.ssrcs.forEach((ssrc, i) => {
    checkUint(ssrc, 0xffffffff, `ssrc ${i}`);
    writeU32(buf, FIXED_BYTES + 4 * i, ssrc);
  });
  return buf;
}
