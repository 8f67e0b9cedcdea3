/**
 * abs-send-time (webrtc.org experiment): the send time as 24-bit unsigned 6.18 fixed-point seconds,
 * 3 bytes big-endian; wraps every 64 s. Resolution 2^-18 s ≈ 3.8 µs. Written at send time, so
 * writers reserve the bytes and patch them in place.
 */

/** Extension URI as negotiated in SDP. */
export const ABS_SEND_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time';
/** Value size, bytes. */
export const ABS_SEND_TIME_BYTES = 3;
/** Ring size of the 24-bit value (64 s in 2^-18 s units). */
export const ABS_SEND_TIME_MODULUS = 1 << 24;

/** Send time in µs (any epoch) → 24-bit 6.18 fixed-point seconds, rounded to nearest, wrapped. */
export function absSendTimeFromUs(timeUs: number): number {
  const units = Math.round((timeUs * (1 << 18)) / 1_000_000);
  return ((units % ABS_SEND_TIME_MODULUS) + ABS_SEND_TIME_MODULUS) % ABS_SEND_TIME_MODULUS;
}

/** 24-bit 6.18 fixed-point seconds → µs within the 64 s ring, [0, 64e6). */
export function absSendTimeToUs(value: number): number {
  return (value * 1_000_000) / (1 << 18);
}

/** Encodes a 24-bit 6.18 value into a new 3-byte array. */
export function encodeAbsSendTime(value: number): Uint8Array {
  const out = new Uint8Array(ABS_SEND_TIME_BYTES);
  writeAbsSendTime(out, 0, value);
  return out;
}

/** Writes a 24-bit 6.18 value at `offset`, e.g. to patch a serialized packet at send time. */
export function writeAbsSendTime(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >>> 16) & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = value & 0xff;
}

/** Decodes the 24-bit value, or undefined when `value` is not exactly 3 bytes. */
export function decodeAbsSendTime(value: Uint8Array): number | undefined {
  if (value.length !== ABS_SEND_TIME_BYTES) return undefined;
  return (value[0]! << 16) | (value[1]! << 8) | value[2]!;
}
