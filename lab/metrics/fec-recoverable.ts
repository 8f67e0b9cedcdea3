/**
 * What the FEC masks could rebuild from the packets the link delivered, independently of any
 * decoder: the iterated single-missing (XOR peeling) rule. A FEC packet that arrived recovers the
 * one packet of its mask that is missing when every other packet it covers is present or already
 * recovered; this repeats, over every block, until nothing changes. The result is unique (the
 * rule only ever adds packets). Pure.
 */

/** One FEC block, decoder-independent. */
export interface PeelBlock<T> {
  /**
   * the protected media packets by index; undefined for a packet that cannot be identified (it
   * counts as missing for good)
   */
  media: readonly (T | undefined)[];
  /** per FEC packet: did it arrive, and the media indices its mask covers */
  fec: readonly { arrived: boolean; covers: readonly number[] }[];
}

/**
 * The media packets the blocks recover: those not in `present` that the peeling rule rebuilds.
 * Packets are compared by identity (`Set` semantics); indices outside a block are ignored.
 */
export function peelRecoverable<T>(blocks: readonly PeelBlock<T>[], present: (packet: T) => boolean): Set<T> {
  const recovered = new Set<T>();
  const have = (packet: T | undefined): boolean => packet !== undefined && (recovered.has(packet) || present(packet));
  let progress = true;
  while (progress) {
    progress = false;
    for (const block of blocks) {
      for (const fec of block.fec) {
        if (!fec.arrived) continue;
        let missingIndex: number | undefined;
        let missingCount = 0;
        const seen = new Set<number>();
        for (const index of fec.covers) {
          if (seen.has(index) || !Number.isInteger(index) || index < 0 || index >= block.media.length) continue;
          seen.add(index);
          if (have(block.media[index])) continue;
          missingCount += 1;
          missingIndex = index;
        }
        if (missingCount !== 1) continue;
        const packet = block.media[missingIndex!];
        if (packet === undefined) continue;
        recovered.add(packet);
        progress = true;
      }
    }
  }
  return recovered;
}
