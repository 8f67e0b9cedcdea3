import { describe, expect, it } from 'vitest';
import { defaultFecRateTable, diffRateTables, validateFecRateTable, type FecRateTable } from '../../src/sender/fec-controller/index.ts';

/** libwebrtc's table with `change(row, column, value)` applied, and optionally fewer rows. */
function tuned(change: (row: number, column: number, value: number) => number, rows = 50): FecRateTable {
  const base = defaultFecRateTable();
  const table = Array.from({ length: rows }, (_, r) => Array.from({ length: 129 }, (_, c) => change(r, c, base.values[r * 129 + c]!)));
  const result = validateFecRateTable({ table }, 'tuned.json');
  if (!result.ok) throw result.error;
  return result.table;
}

describe('rate table compared with libwebrtc', () => {
  it('the shipped table is libwebrtc: nothing differs', () => {
    const d = diffRateTables(defaultFecRateTable(), defaultFecRateTable());
    expect(d).toMatchObject({ rows: 50, comparedCells: 50 * 129, differingCells: 0, maxAbsDiff: 0, meanDiff: 0 });
  });

  it('counts the cells changed, the largest change and the mean signed change', () => {
    // +10 (capped at 255) in row 3, every loss column above 20
    const t = tuned((r, c, v) => (r === 3 && c > 20 ? Math.min(255, v + 10) : v));
    const base = defaultFecRateTable();
    let changed = 0;
    let sum = 0;
    for (let c = 21; c < 129; c++) {
      const d = Math.min(255, base.values[3 * 129 + c]! + 10) - base.values[3 * 129 + c]!;
      if (d !== 0) changed++;
      sum += d;
    }
    const diff = diffRateTables(t, base);
    expect(diff.differingCells).toBe(changed);
    expect(diff.maxAbsDiff).toBe(changed > 0 ? 10 : 0);
    expect(diff.meanDiff).toBeCloseTo(sum / (50 * 129), 9);
    expect(diff.source).toBe('tuned.json');
  });

  it('a table with fewer rows is compared on the rows it has', () => {
    const d = diffRateTables(tuned((_r, _c, v) => 255 - v, 10), defaultFecRateTable());
    expect(d.rows).toBe(10);
    expect(d.comparedCells).toBe(10 * 129);
    const base = defaultFecRateTable();
    let sum = 0;
    for (let i = 0; i < 10 * 129; i++) sum += 255 - 2 * base.values[i]!;
    expect(d.meanDiff).toBeCloseTo(sum / (10 * 129), 9);
  });
});
