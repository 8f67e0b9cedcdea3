/**
 * Where a stream's RTP numbers start: a random-but-seeded timestamp base (RFC 3550 §5.1: the
 * initial value SHOULD be random) and initial sequence number, and capture time → RTP timestamp.
 */

/** 32-bit hash of (seed, stream) with good avalanche; deterministic for a given seed. */
export function seededUint32(seed: number, stream: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream | 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Initial uint16 sequence number for a seed, kept below 2^15 so early packets do not wrap. */
export function initialSequenceNumber(seed: number): number {
  return seededUint32(seed, 2) & 0x7fff;
}

/** Options of `RtpTimestampClock`. */
export interface RtpTimestampClockOptions {
  /** RTP clock rate, Hz (90000 for video) */
  clockRateHz: number;
  /** seed of the random base; the same seed gives the same base */
  seed: number;
}

/** Maps capture times onto a stream's RTP timestamps: base + time × clock rate, wrapped to uint32. */
export class RtpTimestampClock {
  /** uint32 timestamp of capture time 0 */
  readonly baseTimestamp: number;
  private readonly clockRateHz: number;

  constructor(options: RtpTimestampClockOptions) {
    if (!(options.clockRateHz > 0) || !Number.isInteger(options.clockRateHz)) {
      throw new RangeError(`clockRateHz must be a positive integer, got ${options.clockRateHz}`);
    }
    this.clockRateHz = options.clockRateHz;
    this.baseTimestamp = seededUint32(options.seed, 1);
  }

  /** RTP timestamp (uint32) of a capture time in ms (any epoch, fractional allowed), rounded to the nearest tick. */
  fromMs(captureMs: number): number {
    const ticks = Math.round((captureMs * this.clockRateHz) / 1000);
    return wrap32(this.baseTimestamp + (ticks % 0x1_0000_0000));
  }

  /** RTP timestamp (uint32) of a capture time in ns (bigint, e.g. CLOCK_MONOTONIC), rounded to the nearest tick. */
  fromNs(captureNs: bigint): number {
    const ticks = (captureNs * BigInt(this.clockRateHz) + 500_000_000n) / 1_000_000_000n;
    return wrap32(this.baseTimestamp + Number(BigInt.asUintN(32, ticks)));
  }
}

function wrap32(value: number): number {
  const wrapped = value % 0x1_0000_0000;
  return wrapped < 0 ? wrapped + 0x1_0000_0000 : wrapped;
}
