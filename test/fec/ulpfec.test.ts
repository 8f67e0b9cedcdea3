import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FecError } from '../../src/shared/fec/errors.ts';
import { getMask } from '../../src/shared/fec/masks.ts';
import { buildRedPacket, decapsulateRed, encapsulateRed } from '../../src/shared/fec/red.ts';
import { encodeUlpfec, parseUlpfec, UlpfecDecoder } from '../../src/shared/fec/ulpfec.ts';
import { blockArb, buildMedia, DeliveryCheck, misalign, shuffleBy, streamExpectations, streamScenarioArb } from './helpers.ts';

const RED_PT = 116;
const ULPFEC_PT = 117;

const scenarioArb = streamScenarioArb(48, 3, (k, m, kind) => getMask(kind, k, m));

describe('ULPFEC in RED', () => {
  it('recovers exactly the packets the masks make recoverable, byte for byte, over a reordered stream', () => {
    fc.assert(
      fc.property(scenarioArb, ({ ssrc, firstSeq, blocks, lost, duplicated, order }) => {
        // Sender: per block its media then its ULPFEC packets, all in RED on the media SSRC and
        // one sequence-number space (FEC packets take numbers between blocks, as in libwebrtc).
        const media: Buffer[] = [];
        const wire: { kind: 'media' | 'fec'; index: number; packet: Buffer }[] = [];
        let seq = firstSeq;
        for (const block of blocks) {
          const blockMedia = block.specs.map((spec) => buildMedia(spec, ssrc, seq++));
          const fec = encodeUlpfec(blockMedia.map((packet, i) => misalign(packet, (i + seq) & 3)), block.mask);
          if (fec instanceof FecError) throw fec;
          expect(fec).toHaveLength(block.mask.length);
          for (const packet of blockMedia) {
            const red = encapsulateRed(packet, RED_PT);
            if (red instanceof FecError) throw red;
            wire.push({ kind: 'media', index: media.length, packet: red });
            media.push(packet);
          }
          for (const payload of fec) {
            const header = { payloadType: RED_PT, sequenceNumber: seq++ & 0xffff, timestamp: 1, ssrc, marker: false };
            wire.push({ kind: 'fec', index: -1, packet: buildRedPacket(header, ULPFEC_PT, payload) });
          }
        }
        const sent = wire.flatMap((item, i) => (lost[i] ? [] : duplicated[i] ? [item, item] : [item]));
        const decoder = new UlpfecDecoder({ ssrc });
        const outcome = new DeliveryCheck(media);
        for (const item of shuffleBy(sent, order)) {
          const red = decapsulateRed(item.packet);
          if (red instanceof FecError) throw red;
          if (item.kind === 'media') {
            expect(red.payloadType).toBe(media[item.index]![1]! & 0x7f);
            expect(red.packet.equals(media[item.index]!)).toBe(true);
            outcome.received(item.index, decoder.insertMedia(red.packet));
          } else {
            expect(red.payloadType).toBe(ULPFEC_PT);
            outcome.fec(decoder.insertFec(red.payload));
          }
        }
        const { mediaLost, expected } = streamExpectations(blocks, lost);
        outcome.finish(expected, mediaLost);
      }),
      { numRuns: 250 },
    );
  });

  it('writes the header RFC 5109 describes', () => {
    const spec = { marker: true, payloadType: 96, timestamp: 0x01020304, csrcs: [], extension: undefined, payload: new Uint8Array([1, 2, 3]), padding: 0 };
    const a = buildMedia(spec, 0x11223344, 0xfffe);
    const b = buildMedia({ ...spec, marker: false, timestamp: 0x01020305, payload: new Uint8Array([4, 5]) }, 0x11223344, 0xffff);
    const fec = encodeUlpfec([a, b], [new Uint8Array([0xc0, 0])]);
    if (fec instanceof FecError) throw fec;
    const p = fec[0]!;
    expect(p.length).toBe(14 + 3);
    expect(p[0]).toBe(0); // E=0 L=0, P/X/CC parity 0
    expect(p[1]).toBe(0x80); // M parity 1, PT parity 0
    expect(p.readUInt16BE(2)).toBe(0xfffe); // SN base
    expect(p.readUInt32BE(4)).toBe(0x01020304 ^ 0x01020305);
    expect(p.readUInt16BE(8)).toBe(3 ^ 2);
    expect(p.readUInt16BE(10)).toBe(3); // protection length
    expect([p[12], p[13]]).toEqual([0xc0, 0]);
    expect([...p.subarray(14)]).toEqual([1 ^ 4, 2 ^ 5, 3]);
    // 17+ media packets use the long mask (L = 1, 18-byte header).
    const many = Array.from({ length: 17 }, (_, i) => buildMedia(spec, 1, i));
    const long = encodeUlpfec(many, getMask('random', 17, 2));
    if (long instanceof FecError) throw long;
    expect(long[0]![0]! & 0x40).toBe(0x40);
    expect(long[0]!.length).toBe(18 + 3);
  });

  it('refuses invalid blocks and masks with error values', () => {
    const spec = { marker: false, payloadType: 96, timestamp: 0, csrcs: [], extension: undefined, payload: new Uint8Array(4), padding: 0 };
    const gap = [buildMedia(spec, 1, 10), buildMedia(spec, 1, 12)];
    expect((encodeUlpfec(gap, [new Uint8Array([0xc0, 0])]) as FecError).code).toBe('media-not-consecutive');
    const ok = [buildMedia(spec, 1, 10), buildMedia(spec, 1, 11)];
    expect((encodeUlpfec(ok, [new Uint8Array([0x20, 0])]) as FecError).code).toBe('bad-argument');
    expect((encodeUlpfec(ok, [new Uint8Array([0, 0])]) as FecError).code).toBe('bad-argument');
    expect((encodeUlpfec([], []) as FecError).code).toBe('bad-argument');
  });

  it('never throws on malformed FEC payloads or media', () => {
    const decoder = new UlpfecDecoder({ ssrc: 7 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const parsed = parseUlpfec(bytes);
        if (!(parsed instanceof FecError)) expect(parsed.protectedSeqs.length).toBeGreaterThan(0);
        decoder.insertFec(bytes);
        decoder.insertMedia(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated FEC packets, and keeps recovering afterwards', () => {
    fc.assert(
      fc.property(
        blockArb(16),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat({ max: 40 }),
        (block, flips, cut) => {
          const media = block.specs.map((spec, i) => buildMedia(spec, block.ssrc, block.firstSeq + i));
          const fec = encodeUlpfec(media, getMask('random', media.length, 1));
          if (fec instanceof FecError) throw fec;
          const mutated = Buffer.from(fec[0]!);
          for (const [at, value] of flips) mutated[at % mutated.length] = value;
          const decoder = new UlpfecDecoder({ ssrc: block.ssrc });
          decoder.insertFec(mutated.subarray(0, Math.max(0, mutated.length - cut)));
          media.slice(1).forEach((packet) => decoder.insertMedia(packet));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('evicts old state: memory stays bounded on a long stream', () => {
    const decoder = new UlpfecDecoder({ ssrc: 1, windowPackets: 256 });
    const spec = { marker: false, payloadType: 96, timestamp: 0, csrcs: [], extension: undefined, payload: new Uint8Array(8), padding: 0 };
    let recovered = 0;
    for (let base = 0; base < 20000; base += 10) {
      const media = Array.from({ length: 10 }, (_, i) => buildMedia(spec, 1, base + i));
      const fec = encodeUlpfec(media, getMask('random', 10, 2));
      if (fec instanceof FecError) throw fec;
      media.forEach((packet, i) => {
        if (i !== 3) decoder.insertMedia(packet);
      });
      // Only the second FEC row protects packet 3 in some masks; send both.
      for (const payload of fec) {
        const out = decoder.insertFec(payload);
        if (out instanceof FecError) throw out;
        recovered += out.length;
      }
    }
    expect(recovered).toBe(2000);
    // The decoder's store is private; its bound is observable through a stale FEC doing nothing.
    const stale = encodeUlpfec([buildMedia(spec, 1, 5), buildMedia(spec, 1, 6)], [new Uint8Array([0xc0, 0])]);
    if (stale instanceof FecError) throw stale;
    expect(decoder.insertMedia(buildMedia(spec, 1, 5))).toEqual([]);
    expect(decoder.insertFec(stale[0]!)).toEqual([]);
  });
});
