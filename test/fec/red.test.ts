import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FecError } from '../../src/shared/fec/errors.ts';
import { decapsulateRed, encapsulateRed, parseRedPayload } from '../../src/shared/fec/red.ts';
import { buildMedia, mediaSpecArb } from './helpers.ts';

describe('RED (RFC 2198)', () => {
  it('single-block encapsulation round-trips every media packet', () => {
    fc.assert(
      fc.property(mediaSpecArb, fc.nat({ max: 0xffff }), fc.integer({ min: 0, max: 127 }), (spec, seq, redPt) => {
        const media = buildMedia(spec, 0x01020304, seq);
        const red = encapsulateRed(media, redPt);
        if (red instanceof FecError) throw red;
        expect(red.length).toBe(media.length + 1);
        expect(red[1]! & 0x7f).toBe(redPt);
        expect(red[1]! & 0x80).toBe(media[1]! & 0x80);
        const back = decapsulateRed(red);
        if (back instanceof FecError) throw back;
        expect(back.payloadType).toBe(spec.payloadType);
        expect(back.packet.equals(media)).toBe(true);
        expect(Buffer.from(back.payload).equals(Buffer.from(spec.payload))).toBe(true);
      }),
    );
  });

  it('parses multi-block payloads (RFC 2198 §3 example layout)', () => {
    // Block 1: PT 0, offset 0x123, length 3; primary: PT 8.
    const payload = Buffer.from([0x80, 0x04, 0x8c, 0x03, 0x08, 1, 2, 3, 9, 9]);
    const blocks = parseRedPayload(payload);
    if (blocks instanceof FecError) throw blocks;
    expect(blocks.map((b) => [b.payloadType, b.timestampOffset, [...b.payload]])).toEqual([
      [0, 0x123, [1, 2, 3]],
      [8, 0, [9, 9]],
    ]);
  });

  it('returns error values for malformed payloads', () => {
    expect((parseRedPayload(new Uint8Array()) as FecError).code).toBe('red-too-short');
    expect((parseRedPayload(Buffer.from([0x80, 0, 0])) as FecError).code).toBe('red-too-short');
    expect((parseRedPayload(Buffer.from([0x80, 0, 0, 5, 0x08, 1])) as FecError).code).toBe('red-bad-block-length');
    expect((parseRedPayload(Buffer.from([0x81, 0, 0, 0])) as FecError).code).toBe('red-too-short');
    expect((decapsulateRed(Buffer.from([0x80, 1, 2])) as FecError).code).toBe('media-malformed');
  });

  it('never throws on arbitrary bytes; what parses is consistent', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const blocks = parseRedPayload(bytes);
        if (!(blocks instanceof FecError)) {
          expect(blocks.length).toBeGreaterThan(0);
          const headerBytes = 4 * (blocks.length - 1) + 1;
          const total = blocks.reduce((sum, block) => sum + block.payload.length, 0);
          expect(headerBytes + total).toBe(bytes.length);
        }
        decapsulateRed(bytes);
        const rtp = Buffer.concat([Buffer.from([0x80, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), bytes]);
        decapsulateRed(rtp);
      }),
      { numRuns: 2000 },
    );
  });
});
