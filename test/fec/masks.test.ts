import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FecError } from '../../src/shared/fec/errors.ts';
import { getMask, maskBit, maskIndices } from '../../src/shared/fec/masks.ts';
import { readReference } from '../helpers/reference.ts';

const repoRoot = new URL('../../', import.meta.url);
const shipped = (name: string) => readFileSync(new URL(`data/libwebrtc/${name}`, repoRoot));
const reference = (name: string) => readReference(name);

describe('packet masks', () => {
  it('ships byte-identical copies of the reference tables', () => {
    for (const name of ['packet-masks-random.json', 'packet-masks-bursty.json']) {
      expect(shipped(name).equals(reference(name))).toBe(true);
    }
  });

  it('returns the reference table rows for 1..12 media packets', () => {
    for (const kind of ['random', 'bursty'] as const) {
      const table = JSON.parse(reference(`packet-masks-${kind}.json`).toString('utf8')) as { masks: number[][][][] };
      for (let k = 1; k <= 12; k++) {
        for (let m = 1; m <= k; m++) {
          const rows = getMask(kind, k, m);
          expect(rows.map((row) => [...row])).toEqual(table.masks[k - 1]![m - 1]);
        }
      }
    }
  });

  it('tables are valid codes: no empty row, every media packet protected, no bit past the block', () => {
    const problems: string[] = [];
    for (const kind of ['random', 'bursty'] as const) {
      for (let k = 1; k <= 48; k++) {
        for (let m = 1; m <= k; m++) {
          const rows = getMask(kind, k, m);
          if (rows.length !== m) problems.push(`${kind} ${k},${m}: ${rows.length} rows`);
          for (const row of rows) {
            const indices = maskIndices(row);
            if (row.length !== (k > 16 ? 6 : 2)) problems.push(`${kind} ${k},${m}: row of ${row.length} bytes`);
            if (indices.length === 0) problems.push(`${kind} ${k},${m}: empty row`);
            if (Math.max(...indices) >= k) problems.push(`${kind} ${k},${m}: bit past the block`);
          }
          for (let i = 0; i < k; i++) {
            if (!rows.some((row) => maskBit(row, i))) problems.push(`${kind} ${k},${m}: media ${i} unprotected`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('13..48 media packets: interleaved, media i protected only by row i mod m', () => {
    const problems: string[] = [];
    for (let k = 13; k <= 48; k++) {
      for (let m = 1; m <= k; m++) {
        const rows = getMask('random', k, m);
        const bursty = getMask('bursty', k, m);
        for (let i = 0; i < k; i++) {
          rows.forEach((row, r) => {
            if (maskBit(row, i) !== (r === i % m)) problems.push(`${k},${m}: row ${r} bit ${i}`);
            if (maskBit(bursty[r]!, i) !== maskBit(row, i)) problems.push(`${k},${m}: bursty differs`);
          });
        }
      }
    }
    expect(problems).toEqual([]);
    // Spot values: 13 media, 2 FEC → 1010101010101 / 0101010101010.
    expect(getMask('random', 13, 2).map((row) => [...row])).toEqual([
      [0b10101010, 0b10101000],
      [0b01010101, 0b01010000],
    ]);
  });

  it('throws FecError for sizes outside 1..48 / 1..numMedia', () => {
    for (const [k, m] of [[0, 1], [49, 1], [5, 0], [5, 6], [2.5, 1]] as const) {
      expect(() => getMask('random', k, m)).toThrow(FecError);
    }
  });
});
