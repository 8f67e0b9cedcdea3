/** Test helpers: arbitrary RTP media blocks and the independent recoverability oracle. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { maskBit } from '../../src/shared/fec/masks.ts';

/** Description of one generated media packet. */
export interface MediaSpec {
  marker: boolean;
  payloadType: number;
  timestamp: number;
  csrcs: number[];
  extension: { profile: number; words: Uint8Array } | undefined;
  payload: Uint8Array;
  padding: number;
}

export const mediaSpecArb: fc.Arbitrary<MediaSpec> = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  timestamp: fc.nat({ max: 0xffffffff }),
  csrcs: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 3 }),
  extension: fc.option(
    fc.record({
      profile: fc.integer({ min: 0, max: 0xffff }),
      words: fc.integer({ min: 0, max: 3 }).chain((n) => fc.uint8Array({ minLength: n * 4, maxLength: n * 4 })),
    }),
    { nil: undefined },
  ),
  payload: fc.uint8Array({ maxLength: 240 }),
  padding: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 16 })),
});

/** Serializes a media packet with all optional RTP parts. */
export function buildMedia(spec: MediaSpec, ssrc: number, seq: number): Buffer {
  const extBytes = spec.extension === undefined ? 0 : 4 + spec.extension.words.length;
  const length = 12 + 4 * spec.csrcs.length + extBytes + spec.payload.length + spec.padding;
  const packet = Buffer.alloc(length);
  packet[0] = 0x80 | (spec.padding > 0 ? 0x20 : 0) | (spec.extension ? 0x10 : 0) | spec.csrcs.length;
  packet[1] = (spec.marker ? 0x80 : 0) | spec.payloadType;
  packet.writeUInt16BE(seq & 0xffff, 2);
  packet.writeUInt32BE(spec.timestamp >>> 0, 4);
  packet.writeUInt32BE(ssrc >>> 0, 8);
  let offset = 12;
  for (const csrc of spec.csrcs) {
    packet.writeUInt32BE(csrc >>> 0, offset);
    offset += 4;
  }
  if (spec.extension) {
    packet.writeUInt16BE(spec.extension.profile, offset);
    packet.writeUInt16BE(spec.extension.words.length / 4, offset + 2);
    packet.set(spec.extension.words, offset + 4);
    offset += extBytes;
  }
  packet.set(spec.payload, offset);
  if (spec.padding > 0) packet[length - 1] = spec.padding;
  return packet;
}

/** A media block: consecutive sequence numbers from `firstSeq` (may wrap). */
export const blockArb = (maxPackets: number) =>
  fc.record({
    ssrc: fc.nat({ max: 0xffffffff }),
    firstSeq: fc.oneof(fc.integer({ min: 0xffff - 50, max: 0xffff }), fc.nat({ max: 0xffff })),
    specs: fc.array(mediaSpecArb, { minLength: 1, maxLength: maxPackets }),
  });

/** Random non-empty mask rows for `numMedia` packets (row bytes 2 or 6 like masks.ts). */
export const randomMaskArb = (numMedia: number, maxRows: number, rowBytes: number) =>
  fc.array(
    fc.array(fc.boolean(), { minLength: numMedia, maxLength: numMedia }).filter((bits) => bits.some(Boolean)),
    { minLength: 1, maxLength: maxRows },
  ).map((rows) =>
    rows.map((bits) => {
      const row = new Uint8Array(rowBytes);
      bits.forEach((set, i) => {
        if (set) row[i >> 3]! |= 0x80 >> (i & 7);
      });
      return row;
    }),
  );

/**
 * Oracle, independent of the decoder: indices of lost media packets that are recoverable by
 * iterating "a received FEC row with exactly one missing protected packet recovers it".
 */
export function expectedRecoverable(
  mask: readonly Uint8Array[],
  numMedia: number,
  mediaLost: readonly boolean[],
  fecLost: readonly boolean[],
): Set<number> {
  const missing = new Set<number>();
  for (let i = 0; i < numMedia; i++) if (mediaLost[i]) missing.add(i);
  const recovered = new Set<number>();
  let changed = true;
  while (changed) {
    changed = false;
    mask.forEach((row, r) => {
      if (fecLost[r]) return;
      const rowMissing: number[] = [];
      for (let i = 0; i < numMedia; i++) if (maskBit(row, i) && missing.has(i)) rowMissing.push(i);
      if (rowMissing.length === 1) {
        missing.delete(rowMissing[0]!);
        recovered.add(rowMissing[0]!);
        changed = true;
      }
    });
  }
  return recovered;
}

/** Deterministic shuffle from a list of random keys. */
export function shuffleBy<T>(items: readonly T[], keys: readonly number[]): T[] {
  return items
    .map((item, i) => ({ item, key: keys[i % Math.max(1, keys.length)]! + i * 1e-9 }))
    .sort((a, b) => a.key - b.key)
    .map((entry) => entry.item);
}

/**
 * Checks a decoder's outputs over one delivery sequence: every recovered packet equals the
 * original byte for byte, is returned once, and was not received before (a delayed packet may
 * be recovered before it arrives); at the end, received ∪ recovered = all media except the lost
 * packets the oracle says are unrecoverable.
 */
export class DeliveryCheck {
  private readonly known = new Set<number>();
  private readonly recoveredIndices = new Set<number>();
  private readonly indexBySeq = new Map<number, number>();

  constructor(private readonly media: readonly Buffer[]) {
    media.forEach((packet, index) => this.indexBySeq.set(packet.readUInt16BE(2), index));
  }

  received(index: number, out: Buffer[] | Error): void {
    this.known.add(index);
    this.fec(out);
  }

  fec(out: Buffer[] | Error): void {
    if (out instanceof Error) throw out;
    for (const packet of out) {
      const index = this.indexBySeq.get(packet.readUInt16BE(2));
      if (index === undefined) throw new Error(`recovered unknown seq ${packet.readUInt16BE(2)}`);
      expect(this.known.has(index)).toBe(false);
      expect(packet.equals(this.media[index]!)).toBe(true);
      this.known.add(index);
      this.recoveredIndices.add(index);
    }
  }

  finish(expected: Set<number>, mediaLost: readonly boolean[]): void {
    const want: number[] = [];
    for (let i = 0; i < this.media.length; i++) if (!mediaLost[i] || expected.has(i)) want.push(i);
    expect([...this.known].sort((a, b) => a - b)).toEqual(want);
    for (const index of expected) expect(this.recoveredIndices.has(index)).toBe(true);
  }
}

/** One FEC block of a stream scenario. */
export interface ScenarioBlock {
  specs: MediaSpec[];
  mask: Uint8Array[];
}

/**
 * A stream of 1..maxBlocks consecutive FEC blocks (masks from the tables or random), with a loss
 * flag, a duplication flag and a delivery-order key per packet (media then FEC of each block).
 */
export const streamScenarioArb = (maxPerBlock: number, maxBlocks: number, tableMask: (k: number, m: number, kind: 'random' | 'bursty') => Uint8Array[]) =>
  fc
    .record({
      ssrc: fc.nat({ max: 0xffffffff }),
      firstSeq: fc.oneof(fc.integer({ min: 0xffff - 60, max: 0xffff }), fc.nat({ max: 0xffff })),
      blocks: fc.array(
        fc.array(mediaSpecArb, { minLength: 1, maxLength: maxPerBlock }).chain((specs) => {
          const k = specs.length;
          const mask = fc.oneof(
            fc.record({ kind: fc.constantFrom('random' as const, 'bursty' as const), m: fc.integer({ min: 1, max: k }) })
              .map(({ kind, m }) => tableMask(k, m, kind)),
            randomMaskArb(k, Math.min(k, 12), k > 16 ? 6 : 2),
          );
          return fc.record({ specs: fc.constant(specs), mask });
        }),
        { minLength: 1, maxLength: maxBlocks },
      ),
    })
    .chain((stream) => {
      const total = stream.blocks.reduce((sum, block) => sum + block.specs.length + block.mask.length, 0);
      return fc.record({
        ssrc: fc.constant(stream.ssrc),
        firstSeq: fc.constant(stream.firstSeq),
        blocks: fc.constant(stream.blocks as ScenarioBlock[]),
        lost: fc.array(fc.boolean(), { minLength: total, maxLength: total }),
        duplicated: fc.array(fc.integer({ min: 0, max: 7 }).map((x) => x === 0), { minLength: total, maxLength: total }),
        order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: total, maxLength: total }),
      });
    });

/** Media of all blocks in sequence order, and the oracle's recoverable set over the stream. */
export function streamExpectations(
  blocks: readonly ScenarioBlock[],
  lost: readonly boolean[],
): { mediaLost: boolean[]; expected: Set<number> } {
  const mediaLost: boolean[] = [];
  const expected = new Set<number>();
  let wireIndex = 0;
  let mediaIndex = 0;
  for (const block of blocks) {
    const k = block.specs.length;
    const blockMediaLost = lost.slice(wireIndex, wireIndex + k);
    const blockFecLost = lost.slice(wireIndex + k, wireIndex + k + block.mask.length);
    for (const index of expectedRecoverable(block.mask, k, blockMediaLost, blockFecLost)) expected.add(mediaIndex + index);
    mediaLost.push(...blockMediaLost);
    wireIndex += k + block.mask.length;
    mediaIndex += k;
  }
  return { mediaLost, expected };
}

/** The same bytes at a memory offset of `shift` (0..3) inside a larger buffer. */
export function misalign(packet: Buffer, shift: number): Buffer {
  const holder = Buffer.alloc(packet.length + 4);
  packet.copy(holder, shift);
  return holder.subarray(shift, shift + packet.length);
}
