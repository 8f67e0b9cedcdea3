/**
 * Synthetic H.264 access units for virtual-time runs: a seeded size model (one keyframe, then
 * P-frames; or a replayed list of sizes) filled with NAL units the packetizer, frame assembler
 * and depacketizer accept. Payload bytes are nonzero (no start-code emulation).
 */

/** Frame size model, bytes. */
export type FrameSizeModel =
  | { kind: 'model'; keyBytes: [number, number]; deltaBytes: [number, number]; keyframeIntervalFrames: number | undefined }
  | { kind: 'replay'; sizes: readonly number[]; keyframeEvery: number | undefined };

/** 32-bit xorshift PRNG, seeded; returns [0, 1). */
export function makeRng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

/** One synthetic access unit: NAL units without start codes. */
export interface SyntheticFrame {
  nals: Uint8Array[];
  keyframe: boolean;
  /** bytes of all NAL units */
  sizeBytes: number;
}

/** Produces frame `index` (from 0); `forceKey` makes it a keyframe (after a PLI). */
export class SyntheticFrames {
  private readonly rng: () => number;

  constructor(private readonly model: FrameSizeModel, seed: number) {
    this.rng = makeRng(seed);
  }

  next(index: number, forceKey: boolean): SyntheticFrame {
    const m = this.model;
    let key: boolean;
    let size: number;
    if (m.kind === 'model') {
      key = forceKey || index === 0 || (m.keyframeIntervalFrames !== undefined && index % m.keyframeIntervalFrames === 0);
      const [lo, hi] = key ? m.keyBytes : m.deltaBytes;
      size = Math.round(lo + this.rng() * (hi - lo));
    } else {
      key = forceKey || index === 0 || (m.keyframeEvery !== undefined && index % m.keyframeEvery === 0);
      size = m.sizes[index % m.sizes.length]!;
    }
    // An access unit delimiter first, as x264 writes it: the assembler can tell where a frame starts.
    const nals: Uint8Array[] = [Uint8Array.of(0x09, 0xf0)];
    if (key) {
      nals.push(this.nal(0x67, 12), this.nal(0x68, 4));
    }
    nals.push(this.nal(key ? 0x65 : 0x41, Math.max(2, size - (key ? 16 : 0))));
    return { nals, keyframe: key, sizeBytes: nals.reduce((a, n) => a + n.length, 0) };
  }

  private nal(header: number, bytes: number): Uint8Array {
    const n = new Uint8Array(bytes);
    n[0] = header;
    for (let i = 1; i < bytes; i++) n[i] = 1 + Math.floor(this.rng() * 255);
    return n;
  }
}
