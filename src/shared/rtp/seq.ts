/**
 * Modular arithmetic for RTP's wrapping counters: 16-bit sequence numbers and 32-bit timestamps
 * (RFC 3550 §5.1, Appendix A.1), and unwrapping them into monotonic extended numbers.
 *
 * Rule (STYLE §6): unwrap at the edge, then compare extended numbers; where raw values must be
 * compared, use these helpers, never `<` on raw uint16/uint32 values.
 */

const SEQ_MODULUS = 0x1_0000;
const TIMESTAMP_MODULUS = 0x1_0000_0000;

/**
 * Signed forward distance from `b` to `a` on a ring of size `modulus`, in (-modulus/2, modulus/2].
 * The value exactly half a ring away counts as ahead (positive).
 */
function ringDiff(a: number, b: number, modulus: number): number {
  const half = modulus / 2;
  let diff = (a - b) % modulus;
  if (diff < 0) diff += modulus;
  return diff > half ? diff - modulus : diff;
}

/** `a − b` for uint16 sequence numbers, in packets, in (−32768, 32768]. */
export function seqDiff(a: number, b: number): number {
  return ringDiff(a, b, SEQ_MODULUS);
}

/** True when uint16 sequence number `a` comes after `b` (less than half a ring ahead). */
export function isNewerSeq(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** `seq + delta` wrapped to uint16 (delta may be negative), in packets. */
export function seqAdd(seq: number, delta: number): number {
  const sum = (seq + delta) % SEQ_MODULUS;
  return sum < 0 ? sum + SEQ_MODULUS : sum;
}

/** Comparator for `.sort()` of uint16 sequence numbers that lie within half a ring of each other. */
export function compareSeq(a: number, b: number): number {
  return seqDiff(a, b);
}

/** `a − b` for uint32 RTP timestamps, in clock ticks, in (−2^31, 2^31]. */
export function timestampDiff(a: number, b: number): number {
  return ringDiff(a, b, TIMESTAMP_MODULUS);
}

/** True when uint32 RTP timestamp `a` comes after `b` (less than half a ring ahead). */
export function isNewerTimestamp(a: number, b: number): boolean {
  return timestampDiff(a, b) > 0;
}

/** `ts + delta` wrapped to uint32 (delta may be negative), in clock ticks. */
export function timestampAdd(ts: number, delta: number): number {
  const sum = (ts + delta) % TIMESTAMP_MODULUS;
  return sum < 0 ? sum + TIMESTAMP_MODULUS : sum;
}

/**
 * Turns a wrapping counter into an extended number that keeps counting across wrap-arounds.
 * Each value is placed at the extended position nearest to the last value unwrapped, so reordering
 * and duplicates of less than half a ring are handled. The first value maps to itself; values that
 * precede it by reordering can come out negative. Extended values stay exact up to 2^53.
 */
export class Unwrapper {
  private lastRaw: number | undefined;
  private lastExtended = 0;

  /** @param modulus ring size: 2^16 for sequence numbers, 2^32 for timestamps */
  constructor(private readonly modulus: number) {}

  /** Extended number of `raw` (raw is taken modulo the ring size), and remembers it as the last. */
  unwrap(raw: number): number {
    const extended = this.peek(raw);
    this.lastRaw = extended - Math.floor(extended / this.modulus) * this.modulus;
    this.lastExtended = extended;
    return extended;
  }

  /** Extended number `raw` would get, without remembering it. */
  peek(raw: number): number {
    if (this.lastRaw === undefined) return raw % this.modulus;
    return this.lastExtended + ringDiff(raw, this.lastRaw, this.modulus);
  }

  /** Last extended number returned by `unwrap`, or undefined before the first. */
  get last(): number | undefined {
    return this.lastRaw === undefined ? undefined : this.lastExtended;
  }

  /** Forgets everything; the next value maps to itself again. */
  reset(): void {
    this.lastRaw = undefined;
    this.lastExtended = 0;
  }
}

/** Unwrapper for 16-bit RTP sequence numbers (packets). */
export class SeqUnwrapper extends Unwrapper {
  constructor() {
    super(SEQ_MODULUS);
  }
}

/** Unwrapper for 32-bit RTP timestamps (clock ticks). */
export class TimestampUnwrapper extends Unwrapper {
  constructor() {
    super(TIMESTAMP_MODULUS);
  }
}

/** Low 16 bits of an extended sequence number (works for negative extended values). */
export function seqFromExtended(extended: number): number {
  return seqAdd(0, extended % SEQ_MODULUS);
}

/**
 * Unwraps 16-bit sequence numbers against the NEWEST value seen rather than the last one, so a
 * very late packet does not move the reference (packets up to 32767 behind the newest unwrap
 * correctly, whatever arrived in between). What receivers that track losses want (NACK, metrics).
 * Extended values may be negative for packets older than the first one seen.
 */
export class NewestSeqUnwrapper {
  private newest: number | undefined;

  /** Extended sequence number of uint16 `seq`; advances the reference when `seq` is newer. */
  unwrap(seq: number): number {
    const extended = this.peek(seq);
    if (this.newest === undefined || extended > this.newest) this.newest = extended;
    return extended;
  }

  /** Extended value `seq` would unwrap to, without moving the reference. */
  peek(seq: number): number {
    const raw = seq & 0xffff;
    if (this.newest === undefined) return raw;
    return this.newest + seqDiff(raw, this.newest & 0xffff);
  }

  /** Newest extended sequence number seen, or undefined before the first. */
  get newestSeen(): number | undefined {
    return this.newest;
  }
}
