import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultFecRateTable, FecRateTableError, lookupFecRate, parseFecRateTable } from '../../src/sender/fec-controller/rate-table.ts';

const root = new URL('../../', import.meta.url);

describe('FEC rate table', () => {
  it('ships a byte-identical copy of the reference kFecRateTable', () => {
    const shipped = readFileSync(new URL('data/libwebrtc/fec-rate-table.json', root));
    const reference = readFileSync(new URL('../shared/reference/libwebrtc/fec-rate-table.json', root));
    expect(shipped.equals(reference)).toBe(true);
  });

  it('loads 50 × 129 values; lookups clamp into the table', () => {
    const reference = JSON.parse(readFileSync(new URL('data/libwebrtc/fec-rate-table.json', root), 'utf8')) as { table: number[][] };
    const table = defaultFecRateTable();
    expect([table.rows, table.columns]).toEqual([50, 129]);
    expect(lookupFecRate(table, 7, 40)).toBe(reference.table[7]![40]);
    expect(lookupFecRate(table, 80, 300)).toBe(reference.table[49]![128]);
    expect(lookupFecRate(table, -3, -1)).toBe(reference.table[0]![0]);
  });

  it('refuses malformed tables with an error value', () => {
    expect(parseFecRateTable(null)).toBeInstanceOf(FecRateTableError);
    expect(parseFecRateTable({ table: [] })).toBeInstanceOf(FecRateTableError);
    expect(parseFecRateTable({ table: [[1, 2, 3]] })).toBeInstanceOf(FecRateTableError);
    expect(parseFecRateTable({ table: [Array(129).fill(256)] })).toBeInstanceOf(FecRateTableError);
    expect(parseFecRateTable({ table: [Array(129).fill(0.5)] })).toBeInstanceOf(FecRateTableError);
    const ok = parseFecRateTable({ table: [Array(129).fill(7), Array(129).fill(9)] });
    expect(ok).not.toBeInstanceOf(FecRateTableError);
    fc.assert(fc.property(fc.jsonValue(), (json) => {
      parseFecRateTable(json);
      parseFecRateTable({ table: json });
    }));
  });
});
