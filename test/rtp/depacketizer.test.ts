import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H264DepacketizeError, depacketizeH264, firstNalTypeBegun, parseH264Payload } from '../../src/receiver/h264/depacketizer.ts';

const code = (r: unknown) => (r instanceof H264DepacketizeError ? r.code : 'ok');
const b = (...bytes: number[]) => Buffer.from(bytes);

describe('H.264 depacketizer', () => {
  it('reads single NAL, STAP-A and FU-A payloads', () => {
    expect(depacketizeH264([b(0x41, 1, 2)])).toEqual([b(0x41, 1, 2)]);
    const stap = b(0x78, 0, 2, 0x67, 9, 0, 1, 0x68);
    expect((depacketizeH264([stap]) as Uint8Array[]).map((x) => [...x])).toEqual([[0x67, 9], [0x68]]);
    const fu = [b(0x7c, 0x85, 1, 2), b(0x7c, 0x05, 3), b(0x7c, 0x45, 4, 5)];
    expect((depacketizeH264(fu) as Uint8Array[]).map((x) => [...x])).toEqual([[0x65, 1, 2, 3, 4, 5]]);
    const unit = parseH264Payload(fu[0]!);
    expect(unit).toMatchObject({ kind: 'fu-a', start: true, end: false, nalHeader: 0x65 });
  });

  it('names malformed payloads', () => {
    expect(code(parseH264Payload(b()))).toBe('empty-payload');
    expect(code(parseH264Payload(b(0x78, 0, 5, 0x67, 1)))).toBe('stap-a-truncated');
    expect(code(parseH264Payload(b(0x78, 0, 2, 0x67, 1, 0)))).toBe('stap-a-truncated');
    expect(code(parseH264Payload(b(0x78, 0, 0)))).toBe('stap-a-empty');
    expect(code(parseH264Payload(b(0x78)))).toBe('stap-a-empty');
    expect(code(parseH264Payload(b(0x78, 0, 1, 0x7c)))).toBe('unsupported-nal-type');
    expect(code(parseH264Payload(b(0x7c)))).toBe('fu-a-truncated');
    expect(code(parseH264Payload(b(0x7c, 0xc5, 1)))).toBe('fu-a-start-and-end');
    expect(code(parseH264Payload(b(0x7c, 0x98, 1)))).toBe('unsupported-nal-type'); // FU-A of a STAP-A
    for (const type of [25, 26, 27, 29, 30, 31, 0]) {
      expect(code(parseH264Payload(b(0x60 | type, 0x80, 1, 2, 3, 4, 5)))).toBe('unsupported-nal-type');
    }
    expect(code(depacketizeH264([b(0x7c, 0x05, 1)]))).toBe('fu-a-without-start');
    expect(code(depacketizeH264([b(0x7c, 0x85, 1)]))).toBe('fu-a-incomplete');
    expect(code(depacketizeH264([b(0x7c, 0x85, 1), b(0x41, 1)]))).toBe('fu-a-incomplete');
    expect(code(depacketizeH264([b(0x7c, 0x85, 1), b(0x7c, 0x81, 1)]))).toBe('fu-a-incomplete');
    expect(code(depacketizeH264([b(0x7c, 0x85, 1), b(0x7c, 0x41, 1)]))).toBe('fu-a-type-mismatch');
  });

  it('tells which NAL type a payload begins', () => {
    expect(firstNalTypeBegun(b(0x67, 1))).toBe(7);
    expect(firstNalTypeBegun(b(0x78, 0, 1, 0x09))).toBe(9);
    expect(firstNalTypeBegun(b(0x7c, 0x85))).toBe(5);
    expect(firstNalTypeBegun(b(0x7c, 0x05))).toBeUndefined();
    expect(firstNalTypeBegun(b())).toBeUndefined();
  });

  it('never throws on arbitrary payloads or payload sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (payloads) => {
        const result = depacketizeH264(payloads);
        expect(result instanceof H264DepacketizeError || Array.isArray(result)).toBe(true);
        for (const p of payloads) {
          const unit = parseH264Payload(p);
          expect(unit instanceof H264DepacketizeError || typeof unit.kind === 'string').toBe(true);
          firstNalTypeBegun(p);
        }
      }),
      { numRuns: 3000 },
    );
    // structured: STAP-A / FU-A headers with random tails
    fc.assert(
      fc.property(fc.constantFrom(0x78, 0x7c, 0x79, 0x7a, 0x7d), fc.uint8Array({ maxLength: 40 }), (head, tail) => {
        const r = parseH264Payload(Buffer.concat([b(head), tail]));
        expect(r instanceof H264DepacketizeError || typeof r.kind === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
