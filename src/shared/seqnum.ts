/**
 * Sequence-number helpers: turn 16-bit RTP sequence numbers into monotonic extended numbers once,
 * at the edge, and compare wrapping values only through these functions.
 */

/** 2^16: the modulus of RTP sequence numbers. */
export const SEQ_MODULUS = 0x10000;

/**
 * Signed forward distance from `from` to `to` on the 16-bit circle, in (-32768, 32768] packets.
 * Positive means `to` is newer than `from`; the value half a ring away counts as newer (the same
 * convention as RFC 1982 serial arithmetic resolved forward, and as src/shared/rtp/seq.ts).
 */
export function seqDelta(from: number, to: number): number {
  const d = (to - from) & 0xffff;
  return d > 0x8000 ? d - SEQ_MODULUS : d;
}

/** True when 16-bit `a` is newer than 16-bit `b` (the half-way value counts as newer). */
export function seqIsNewer(a: number, b: number): boolean {
  return seqDelta(b, a) > 0;
}

/**
 * Unwraps 16-bit sequence numbers into extended sequence numbers (plain JS integers, may be
 * negative for packets older than the first one seen). The reference is the newest value seen,
 * so packets up to 32767 behind the newest unwrap correctly.
 */
export class SeqUnwrapper {
  private newest: number | undefined;

  /** Extended sequence number of 16-bit `seq`; advances the reference when `seq` is newer. */
  unwrap(seq: number): number {
    const s = seq & 0xffff;
    if (this.newest === undefined) {
      this.newest = s;
      return s;
    }
    const ext = this.newest + seqDelta(this.newest & 0xffff, s);
    if (ext > this.newest) this.newest = ext;
    return ext;
  }

  /** Extended value `seq` would unwrap to, without moving the reference. */
  peek(seq: number): number {
    const s = seq & 0xffff;
    if (this.newest === undefined) return s;
    return this.newest + seqDelta(this.newest & 0xffff, s);
  }

  /** Newest extended sequence number seen, or undefined before the first. */
  get newestSeen(): number | undefined {
    return this.newest;
  }
}

/** Comparator for extended (already unwrapped) sequence numbers, ascending. */
export function compareExtSeq(a: number, b: number): number {
  return a - b;
}
