/**
 * Extends 16-bit RTP sequence numbers to monotonic numbers: each value is placed at the extended
 * number nearest to the previous one (so reordering by < 32768 and wrap-around both work).
 */
export class SeqUnwrapper {
  private last: number | undefined;

  /** Returns the extended sequence number of `seq` (uint16). */
  unwrap(seq: number): number {
    const value = seq & 0xffff;
    if (this.last === undefined) {
      this.last = value;
      return value;
    }
    let delta = value - (((this.last % 0x10000) + 0x10000) % 0x10000);
    if (delta > 0x8000) delta -= 0x10000;
    else if (delta < -0x8000) delta += 0x10000;
    const extended = this.last + delta;
    if (extended > this.last) this.last = extended;
    return extended;
  }
}
