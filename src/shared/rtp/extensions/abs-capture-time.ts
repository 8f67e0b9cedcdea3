/**
 * abs-capture-time (webrtc.org experiment): the capture time of the frame on the capturer's NTP
 * clock as unsigned Q32.32 seconds (8 bytes), optionally followed by the estimated offset of the
 * capturer's clock to the sender's, signed Q32.32 seconds (8 bytes). Sent on the first packet of
 * a frame only.
 */

/** Extension URI as negotiated in SDP. */
export const ABS_CAPTURE_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time';
/** Value size without / with the clock offset, bytes. */
export const ABS_CAPTURE_TIME_BYTES = 8;
export const ABS_CAPTURE_TIME_WITH_OFFSET_BYTES = 16;

const Q32 = 0x1_0000_0000n;
const U64_MASK = (1n << 64n) - 1n;

/** Decoded value: times in Q32.32 seconds as bigint (upper 32 bits seconds, lower 32 fraction). */
export interface AbsCaptureTime {
  /** NTP capture time, unsigned Q32.32 seconds (uint64) */
  captureNtp: bigint;
  /** estimated capture clock offset, signed Q32.32 seconds (int64); absent when not sent */
  estimatedClockOffset?: bigint;
}

/** Milliseconds (≥ 0, fractional allowed) → unsigned Q32.32 seconds, rounded to the nearest 2^-32 s. */
export function q32FromMs(ms: number): bigint {
  const wholeMs = Math.floor(ms);
  const fracUnits = BigInt(Math.round((ms - wholeMs) * 4294967.296));
  return ((BigInt(wholeMs) * Q32 + 500n) / 1000n + fracUnits) & U64_MASK;
}

/** Q32.32 seconds → milliseconds (float; exact to well below 1 µs for times under ~100 years). */
export function q32ToMs(q: bigint): number {
  const seconds = q >> 32n;
  const fraction = q & 0xffff_ffffn;
  return Number(seconds) * 1000 + (Number(fraction) * 1000) / 4294967296;
}

/** Encodes into a new 8- or 16-byte array (16 when `estimatedClockOffset` is present). */
export function encodeAbsCaptureTime(value: AbsCaptureTime): Uint8Array {
  const hasOffset = value.estimatedClockOffset !== undefined;
  const out = new Uint8Array(hasOffset ? ABS_CAPTURE_TIME_WITH_OFFSET_BYTES : ABS_CAPTURE_TIME_BYTES);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, value.captureNtp & U64_MASK);
  if (hasOffset) view.setBigInt64(8, BigInt.asIntN(64, value.estimatedClockOffset!));
  return out;
}

/** Decodes an 8- or 16-byte value, or undefined for any other length. */
export function decodeAbsCaptureTime(value: Uint8Array): AbsCaptureTime | undefined {
  if (value.length !== ABS_CAPTURE_TIME_BYTES && value.length !== ABS_CAPTURE_TIME_WITH_OFFSET_BYTES) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, value.length);
  const decoded: AbsCaptureTime = { captureNtp: view.getBigUint64(0) };
  if (value.length === ABS_CAPTURE_TIME_WITH_OFFSET_BYTES) decoded.estimatedClockOffset = view.getBigInt64(8);
  return decoded;
}

/** Size of the encoded value, bytes. */
export function absCaptureTimeBytes(value: AbsCaptureTime): number {
  return value.estimatedClockOffset === undefined ? ABS_CAPTURE_TIME_BYTES : ABS_CAPTURE_TIME_WITH_OFFSET_BYTES;
}
