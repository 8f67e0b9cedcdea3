import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { referencePath } from '../helpers/reference.ts';
import {
  DEFAULT_FEC_RATE_TABLE_PATH,
  defaultFecRateTable,
  loadFecRateTable,
  parseFecRateTable,
  tableFactor,
  validateFecRateTable,
} from '../../src/sender/fec-controller/rate-table.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const referenceFile = referencePath('fec-rate-table.json');
const reference = JSON.parse(readFileSync(referenceFile, 'utf8')) as { rows: number; columns: number; table: number[][] };

function rows(n: number, fill = 0): number[][] {
  return Array.from({ length: n }, () => new Array<number>(129).fill(fill));
}

describe('shipped rate table', () => {
  it('is a copy of the libwebrtc reference figures kept in test/fixtures', () => {
    const shipped = JSON.parse(readFileSync(path.resolve(repoRoot, 'data/libwebrtc/fec-rate-table.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(reference);
  });

  it('loads as 50 × 129 and every cell matches the reference', () => {
    const table = defaultFecRateTable();
    expect(DEFAULT_FEC_RATE_TABLE_PATH).toBe(path.resolve(repoRoot, 'data/libwebrtc/fec-rate-table.json'));
    expect(table.rows).toBe(50);
    expect(table.columns).toBe(129);
    const loaded = Array.from({ length: 50 }, (_, r) => Array.from({ length: 129 }, (_, c) => tableFactor(table, r, c)));
    expect(loaded).toEqual(reference.table);
  });
});

describe('user tables', () => {
  it('accepts the reference format and a bare array of rows', () => {
    const a = validateFecRateTable({ rows: 2, columns: 129, table: rows(2, 7) }, 'a.json');
    const b = validateFecRateTable(rows(3, 255), 'b.json');
    expect(a.ok && a.table.rows).toBe(2);
    expect(b.ok && b.table.rows).toBe(3);
    expect(b.ok && tableFactor(b.table, 2, 128)).toBe(255);
  });

  it.each([
    [300, '300'],
    [-1, '-1'],
    [1.5, '1.5'],
    ['x', 'a string'],
  ])('names the file and the bad cell for value %s', (bad, shown) => {
    const table = rows(4);
    (table[3] as unknown[])[17] = bad;
    const result = validateFecRateTable({ table }, 'custom.json');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('FEC_TABLE_VALUE');
    expect(result.error.cell).toEqual([3, 17]);
    expect(result.error.message).toBe(`custom.json: table[3][17]: expected an integer 0..255 (1/255 units), got ${shown}`);
  });

  it('rejects a row with the wrong number of columns, naming the row', () => {
    const table = rows(3);
    table[1]!.pop();
    const result = validateFecRateTable({ table }, 'short.json');
    expect(!result.ok && result.error.code).toBe('FEC_TABLE_SHAPE');
    expect(!result.ok && result.error.message).toBe('short.json: table[1] has 128 columns, expected 129 (loss 0..128 in 1/255 units)');
  });

  it('rejects inconsistent rows/columns fields, an empty table, a missing table and bad JSON', () => {
    const rowsMismatch = validateFecRateTable({ rows: 5, table: rows(2) }, 'r.json');
    expect(!rowsMismatch.ok && rowsMismatch.error.message).toContain('"rows" says 5 but table has 2 rows');
    const colsMismatch = validateFecRateTable({ columns: 128, table: rows(2) }, 'c.json');
    expect(!colsMismatch.ok && colsMismatch.error.code).toBe('FEC_TABLE_SHAPE');
    const empty = validateFecRateTable({ table: [] }, 'e.json');
    expect(!empty.ok && empty.error.code).toBe('FEC_TABLE_SHAPE');
    const missing = validateFecRateTable({ values: [] }, 'm.json');
    expect(!missing.ok && missing.error.message).toMatch(/^m\.json: table: /);
    const json = parseFecRateTable('{"table": [', 'j.json');
    expect(!json.ok && json.error.code).toBe('FEC_TABLE_JSON');
  });

  it('loads from disk and reports unreadable files without throwing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fec-table-'));
    const file = path.join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify({ table: rows(2, 9) }));
    const ok = await loadFecRateTable(file);
    expect(ok.ok && ok.table.source).toBe(file);
    const missing = await loadFecRateTable(path.join(dir, 'nope.json'));
    expect(!missing.ok && missing.error.code).toBe('FEC_TABLE_READ');
    expect(!missing.ok && missing.error.file).toBe(path.join(dir, 'nope.json'));
  });
});
