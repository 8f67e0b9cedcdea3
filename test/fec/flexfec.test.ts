import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FecError } from '../../src/shared/fec/errors.ts';
import { FlexfecDecoder, FlexfecEncoder, parseFlexfec } from '../../src/shared/fec/flexfec.ts';
import { getMask } from '../../src/shared/fec/masks.ts';
import { buildMedia, DeliveryCheck, misalign, shuffleBy, streamExpectations, streamScenarioArb } from './helpers.ts';

const FEC_SSRC = 0xfecfec01;
const FEC_PT = 118;

const scenarioArb = streamScenarioArb(48, 3, (k, m, kind) => getMask(kind, k, m));

describe('FlexFEC-03', () => {
  it('recovers exactly the packets the masks make recoverable, byte for byte, over a reordered stream', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat({ max: 0xffff }), ({ ssrc, firstSeq, blocks, lost, duplicated, order }, fecSeq) => {
        const encoder = new FlexfecEncoder({ ssrc: FEC_SSRC, payloadType: FEC_PT, initialSequenceNumber: fecSeq });
        const media: Buffer[] = [];
        const wire: { kind: 'media' | 'fec'; index: number; packet: Buffer }[] = [];
        let seq = firstSeq;
        let fecCount = 0;
        for (const block of blocks) {
          const blockMedia = block.specs.map((spec) => buildMedia(spec, ssrc, seq++));
          const fec = encoder.encode(blockMedia.map((packet, i) => misalign(packet, (i + seq) & 3)), block.mask, 12345);
          if (fec instanceof FecError) throw fec;
          expect(fec).toHaveLength(block.mask.length);
          for (const packet of blockMedia) {
            wire.push({ kind: 'media', index: media.length, packet });
            media.push(packet);
          }
          for (const packet of fec) {
            expect(packet.readUInt32BE(8)).toBe(FEC_SSRC);
            expect(packet[1]! & 0x7f).toBe(FEC_PT);
            expect(packet.readUInt16BE(2)).toBe((fecSeq + fecCount++) & 0xffff);
            wire.push({ kind: 'fec', index: -1, packet });
          }
        }
        const sent = wire.flatMap((item, i) => (lost[i] ? [] : duplicated[i] ? [item, item] : [item]));
        const decoder = new FlexfecDecoder({ ssrc, fecSsrc: FEC_SSRC });
        const outcome = new DeliveryCheck(media);
        for (const item of shuffleBy(sent, order)) {
          if (item.kind === 'media') outcome.received(item.index, decoder.insertMedia(item.packet));
          else outcome.fec(decoder.insertFec(item.packet));
        }
        const { mediaLost, expected } = streamExpectations(blocks, lost);
        outcome.finish(expected, mediaLost);
      }),
      { numRuns: 250 },
    );
  });

  it('chains K-bit mask fields of 15, 46 and 109 bits', () => {
    const spec = { marker: false, payloadType: 96, timestamp: 9, csrcs: [], extension: undefined, payload: new Uint8Array([7]), padding: 0 };
    const media = Array.from({ length: 109 }, (_, i) => buildMedia(spec, 0xabcdef01, 65000 + i));
    const encoder = new FlexfecEncoder({ ssrc: FEC_SSRC, payloadType: FEC_PT, initialSequenceNumber: 0 });
    const cases: [number, number, number][] = [
      [14, 20, 18], // last protected index, header bytes, byte holding the k bit that is set
      [15, 24, 20],
      [45, 24, 20],
      [46, 32, 24],
      [108, 32, 24],
    ];
    for (const [index, headerBytes, kByte] of cases) {
      const row = new Uint8Array(14);
      row[0] = 0x80; // media 0
      row[index >> 3]! |= 0x80 >> (index & 7);
      const out = encoder.encode(media.slice(0, index + 1), [row], 0);
      if (out instanceof FecError) throw out;
      const payload = out[0]!.subarray(12);
      expect(payload.length).toBe(headerBytes + 1);
      for (const at of [18, 20, 24]) {
        if (at >= headerBytes) continue;
        expect((payload[at]! & 0x80) !== 0).toBe(at === kByte);
      }
      expect(payload[8]).toBe(1);
      expect(payload.readUInt32BE(12)).toBe(0xabcdef01);
      expect(payload.readUInt16BE(16)).toBe(65000);
      expect(payload[18]! & 0x40).toBe(0x40); // mask bit 0 right after the first k bit
      const parsed = parseFlexfec(payload);
      if (parsed instanceof FecError) throw parsed;
      expect(parsed.protectedSeqs).toEqual([65000, (65000 + index) & 0xffff]);
    }
  });

  it('returns errors for unsupported or malformed headers, never throws', () => {
    const decoder = new FlexfecDecoder({ ssrc: 1, fecSsrc: 2 });
    const base = Buffer.alloc(20);
    base[8] = 1;
    base[18] = 0xc0;
    expect(parseFlexfec(base)).not.toBeInstanceOf(FecError);
    const r = Buffer.from(base);
    r[0] = 0x80;
    expect((parseFlexfec(r) as FecError).code).toBe('fec-unsupported');
    const f = Buffer.from(base);
    f[0] = 0x40;
    expect((parseFlexfec(f) as FecError).code).toBe('fec-unsupported');
    const noK = Buffer.alloc(32);
    noK[8] = 1;
    noK[19] = 1;
    expect((parseFlexfec(noK) as FecError).code).toBe('fec-bad-header');
    expect((parseFlexfec(noK.subarray(0, 22)) as FecError).code).toBe('fec-too-short');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 60 }), (bytes, payload) => {
        parseFlexfec(bytes);
        decoder.insertFec(bytes);
        decoder.insertMedia(bytes);
        // Well-formed RTP on the FEC SSRC around an arbitrary payload.
        const rtp = Buffer.concat([Buffer.from([0x80, FEC_PT, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]), payload]);
        decoder.insertFec(rtp);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses FEC for another SSRC', () => {
    const spec = { marker: false, payloadType: 96, timestamp: 9, csrcs: [], extension: undefined, payload: new Uint8Array([7]), padding: 0 };
    const media = [buildMedia(spec, 5, 1), buildMedia(spec, 5, 2)];
    const fec = new FlexfecEncoder({ ssrc: 9, payloadType: FEC_PT, initialSequenceNumber: 0 }).encode(media, [new Uint8Array([0xc0, 0])], 0);
    if (fec instanceof FecError) throw fec;
    expect((new FlexfecDecoder({ ssrc: 6, fecSsrc: 9 }).insertFec(fec[0]!) as FecError).code).toBe('fec-wrong-ssrc');
    expect((new FlexfecDecoder({ ssrc: 5, fecSsrc: 8 }).insertFec(fec[0]!) as FecError).code).toBe('fec-wrong-ssrc');
    expect((new FlexfecDecoder({ ssrc: 6, fecSsrc: 9 }).insertMedia(media[0]!) as FecError).code).toBe('media-wrong-ssrc');
  });
});
