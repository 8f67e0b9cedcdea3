/**
 * Splits a byte count into fragments of about equal size when the first and last fragment have
 * less (or more) room than the middle ones, the way libwebrtc's SplitAboutEqually balances FU-A
 * fragments: every fragment's size plus its position's reduction is the same ±1 byte, so the
 * packets on the wire come out equally sized instead of full, full, …, tiny.
 */

/** Room for fragment bytes at each position, bytes; each ≥ 1. */
export interface FragmentCapacities {
  first: number;
  middle: number;
  last: number;
}

/**
 * Fragment sizes (bytes, in order, each ≥ 1, summing to `totalBytes`) using the fewest fragments
 * (at least 2) that fit the capacities, balanced as described above. Fragments whose balanced size
 * would drop below 1 byte (a position with much less room than the middle) get 1 byte.
 * Returns undefined when `totalBytes` < 2 or a capacity is < 1.
 */
export function splitAboutEqually(totalBytes: number, caps: FragmentCapacities): number[] | undefined {
  const { first, middle, last } = caps;
  if (totalBytes < 2 || first < 1 || middle < 1 || last < 1) return undefined;
  const count = 2 + Math.max(0, Math.ceil((totalBytes - first - last) / middle));
  const firstReduction = middle - first;
  const lastReduction = middle - last;
  const middles = count - 2;
  const filled = (level: number) =>
    Math.max(1, level - firstReduction) + Math.max(1, level - lastReduction) + middles * Math.max(1, level);

  // Largest level whose balanced fill does not exceed totalBytes: filled(lo) = count ≤ totalBytes,
  // filled(middle) = capacity of `count` fragments ≥ totalBytes.
  let lo = 1 + Math.min(0, firstReduction, lastReduction);
  let hi = middle;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (filled(mid) <= totalBytes) lo = mid;
    else hi = mid - 1;
  }
  const level = lo;
  const sizes = new Array<number>(count);
  const reductionAt = (i: number) => (i === 0 ? firstReduction : i === count - 1 ? lastReduction : 0);
  for (let i = 0; i < count; i++) sizes[i] = Math.max(1, level - reductionAt(i));
  // The remainder goes one byte each to fragments that grow with the level, last ones first.
  let remainder = totalBytes - filled(level);
  for (let i = count - 1; i >= 0 && remainder > 0; i--) {
    if (level - reductionAt(i) >= 1) {
      sizes[i]! += 1;
      remainder--;
    }
  }
  return sizes;
}
