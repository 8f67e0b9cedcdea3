/**
 * RTP media clock of the sender: 90 kHz timestamps derived from capture time, offset by a seeded
 * random base (RFC 3550 §5.1 asks for a random initial value).
 */

/** 90 kHz video clock, ticks per second. */
export const VIDEO_CLOCK_HZ = 90_000;

/** CLOCK_MONOTONIC capture time (ns) → 32-bit RTP timestamp at 90 kHz plus `offset`. */
export function rtpTimestampFromCaptureNs(captureNs: bigint, offset: number): number {
  const ticks = (captureNs * 9n) / 100_000n; // ns × 90000 / 1e9
  return Number((ticks + BigInt(offset >>> 0)) & 0xffffffffn);
}

/** A deterministic uint32 from a seed and a stream index (splitmix32-style mixing). */
export function seededUint32(seed: number, stream: number): number {
  let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
