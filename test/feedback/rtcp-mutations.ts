/**
 * The shared fast-check property of the RTCP parser tests: valid compound packets, with bytes
 * flipped and the datagram cut anywhere, never make a parser throw; each returns a result value,
 * errors carry stable kebab-case codes, and the compound parser marks what it cannot read as
 * malformed RTCP.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { encodeCompound, parseCompound, type RtcpPacket } from '../../src/shared/rtcp/compound.ts';

type Parser = (bytes: Uint8Array) => { ok: true } | { ok: false; error: { code: string } };

export const isResult = (r: unknown): boolean => typeof r === 'object' && r !== null && typeof (r as { ok: unknown }).ok === 'boolean';

export function assertMutationsNeverThrow(anyPacket: fc.Arbitrary<RtcpPacket>, parsers: readonly ((bytes: Uint8Array) => unknown)[], numRuns = 1500): void {
  fc.assert(
    fc.property(
      fc.array(anyPacket, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      (pkts, flips, cut) => {
        const b = encodeCompound(pkts).slice();
        for (const [pos, v] of flips) b[pos % b.length] = v;
        const m = cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
        for (const p of parsers) {
          const r = p(m);
          expect(isResult(r)).toBe(true);
          const result = r as ReturnType<Parser>;
          if (!result.ok) expect(result.error.code).toMatch(/^[a-z-]+$/);
        }
        const c = parseCompound(m);
        if (c.ok) for (const p of c.value) if (p.type === 'malformed') expect(p.error.kind).toBe('rtcp-error');
      },
    ),
    { numRuns },
  );
}
