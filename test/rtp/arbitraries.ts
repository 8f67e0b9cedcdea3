/** fast-check arbitraries shared by the RTP/H.264 tests. */
import fc from 'fast-check';
import { escapeNalPayload } from '../../src/shared/h264/annexb.ts';
import { NalType } from '../../src/shared/h264/nal.ts';

/** A NAL unit of about `minBytes..maxBytes`: header byte + escaped random body (no start codes, no trailing 0). */
export function nalArb(minBytes: number, maxBytes: number, types: readonly number[] = [1, 5, 6, 7, 8, 9, 12]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...types), fc.integer({ min: Math.max(0, minBytes - 1), max: maxBytes - 1 }), fc.nat())
    .map(([nri, type, bodyBytes, seed]) => {
      // Cheap deterministic body: random bytes are slow to generate at 20 kB; a seeded LCG is not.
      const raw = new Uint8Array(bodyBytes);
      let x = seed | 1;
      for (let i = 0; i < bodyBytes; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        raw[i] = (x >>> 16) & 0xff;
      }
      if (seed % 7 === 0) raw.fill(0, 0, Math.min(bodyBytes, 40)); // zero runs exercise escaping
      const body = escapeNalPayload(raw).subarray(0, bodyBytes);
      const fixed = Buffer.from(body);
      if (fixed.length > 0 && fixed[fixed.length - 1] === 0) fixed[fixed.length - 1] = 1;
      return Buffer.concat([Buffer.from([(nri << 5) | type]), fixed]);
    });
}

/** An access unit: 1..12 NAL units of 1..maxBytes bytes of random types. */
export function accessUnitArb(maxBytes: number): fc.Arbitrary<Buffer[]> {
  return fc.array(fc.oneof(nalArb(1, 60), nalArb(1, maxBytes)), { minLength: 1, maxLength: 12 });
}

/** A keyframe access unit as encoders send it: SPS, PPS, then IDR slices. */
export function keyframeArb(maxBytes: number): fc.Arbitrary<Buffer[]> {
  return fc
    .tuple(nalArb(4, 30, [NalType.Sps]), nalArb(2, 10, [NalType.Pps]), nalArb(1, maxBytes, [NalType.IdrSlice]), fc.array(nalArb(1, maxBytes, [NalType.IdrSlice]), { maxLength: 3 }))
    .map(([sps, pps, idr, rest]) => [sps, pps, idr, ...rest]);
}

/** A random permutation of `items` with some elements repeated. */
export function shuffledWithDuplicatesArb<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc
    .tuple(fc.array(fc.nat(), { minLength: items.length, maxLength: items.length }), fc.array(fc.nat({ max: Math.max(0, items.length - 1) }), { maxLength: 4 }))
    .map(([keys, dupes]) => {
      const order = items.map((item, i) => ({ item, key: keys[i]! }));
      for (const d of dupes) if (items.length > 0) order.push({ item: items[d]!, key: keys[(d * 7) % items.length]! + 1 });
      return order.sort((a, b) => a.key - b.key).map((o) => o.item);
    });
}

/**
 * An access unit in the NAL order H.264 §7.4.1.2.3 requires: optional AUD first, then SEI/SPS/PPS,
 * then the slices of one picture (IDR or non-IDR) with optional filler data between them.
 */
export function orderedAccessUnitArb(maxBytes: number, slice: 'idr' | 'non-idr'): fc.Arbitrary<Buffer[]> {
  const vclType = slice === 'idr' ? NalType.IdrSlice : NalType.NonIdrSlice;
  return fc
    .tuple(
      fc.option(nalArb(1, 2, [NalType.Aud])),
      fc.array(nalArb(1, 200, [NalType.Sei, NalType.Sps, NalType.Pps]), { maxLength: 3 }),
      fc.array(fc.oneof({ weight: 4, arbitrary: nalArb(1, maxBytes, [vclType]) }, { weight: 1, arbitrary: nalArb(1, 50, [NalType.Filler]) }), { minLength: 1, maxLength: 6 }),
    )
    .map(([aud, prefix, body]) => [...(aud ? [aud] : []), ...prefix, ...body]);
}
