import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeNalPayload, joinAnnexB, splitAnnexB } from '../../src/shared/h264/annexb.ts';
import { nalArb as sizedNalArb } from './arbitraries.ts';
import { NalType, isIdrNal, isParameterSetNal, isVclNal, nalRefIdc, nalType, nalTypeName } from '../../src/shared/h264/nal.ts';

describe('Annex-B', () => {
  it('splits 3- and 4-byte start codes and drops leading junk and trailing zeros', () => {
    const au = Buffer.from([0xff, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x65, 4, 5, 0, 0]);
    const units = splitAnnexB(au);
    expect(units.map((u) => [...u])).toEqual([[0x67, 1, 2], [0x68, 3], [0x65, 4, 5]]);
    expect(splitAnnexB(Buffer.from([1, 2, 3]))).toEqual([]);
    expect(splitAnnexB(Buffer.from([0, 0, 1, 0, 0, 1]))).toEqual([]);
  });

  it('split(join(units)) returns the units for either start code length', () => {
    fc.assert(
      fc.property(fc.array(sizedNalArb(1, 300), { minLength: 1, maxLength: 12 }), fc.constantFrom<3 | 4>(3, 4), (units, sc) => {
        const split = splitAnnexB(joinAnnexB(units, sc));
        expect(split.map((u) => u.toString('hex'))).toEqual(units.map((u) => u.toString('hex')));
      }),
      { numRuns: 300 },
    );
  });

  it('escaping removes every start-code pattern', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (raw) => {
        const escaped = escapeNalPayload(raw);
        for (let i = 0; i + 2 < escaped.length; i++) {
          expect(escaped[i] === 0 && escaped[i + 1] === 0 && escaped[i + 2]! <= 2).toBe(false);
        }
        if (escaped.length > 0) expect(escaped[escaped.length - 1]).not.toBe(0);
      }),
    );
  });

  it('NAL header helpers', () => {
    expect(nalType(0x65)).toBe(NalType.IdrSlice);
    expect(nalRefIdc(0x65)).toBe(3);
    expect(isIdrNal(5)).toBe(true);
    expect(isVclNal(1) && isVclNal(5) && !isVclNal(7)).toBe(true);
    expect(isParameterSetNal(7) && isParameterSetNal(8) && !isParameterSetNal(6)).toBe(true);
    expect(nalTypeName(9)).toBe('AUD');
    expect(nalTypeName(14)).toBe('type-14');
  });
});
