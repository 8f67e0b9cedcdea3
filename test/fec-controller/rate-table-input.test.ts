// A rate table file is read like every named file (regular file, at most 1 MiB), also where the
// orchestrator reads it for the sender (rateTableOf), and its errors never quote the file's text.
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FecRateTableError, loadFecRateTableSync, parseFecRateTable } from '../../src/sender/fec-controller/rate-table.ts';
import { rateTableOf } from '../../lab/run/child-options.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'glasslab-rate-table-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rate table input', () => {
  it('/dev/zero: refused by type at once, in the orchestrator and in the sender alike', () => {
    const result = loadFecRateTableSync('/dev/zero');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('FEC_TABLE_READ');
    expect(result.error.message).toBe('/dev/zero: is not a regular file (character device)');
    expect(() => rateTableOf('/dev/zero')).toThrow(FecRateTableError);
  });

  it('a file over 1 MiB is refused by its size', () => {
    const big = path.join(dir, 'big.json');
    writeFileSync(big, '');
    truncateSync(big, 2 * 1024 * 1024);
    const result = loadFecRateTableSync(big);
    expect(!result.ok && result.error.message).toBe(`${big}: 2097152 bytes, over the 1 MiB limit for a FEC rate table`);
  });

  it('text that is not JSON: the expected shape, never the text', () => {
    const result = parseFecRateTable('root:x:0:0:root:/root:/bin/bash\n', 'passwd');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('FEC_TABLE_JSON');
    expect(result.error.message).not.toContain('root');
    expect(result.error.message).toMatch(/^passwd: not valid JSON \(.*\); expected \{ "table": \[\[0\.\.255 × 129\], \.\.\.\] \} or a bare array of rows$/);
  });

  it('a bad cell names its type, and a number as it is', () => {
    const secret = parseFecRateTable(JSON.stringify({ table: [['hunter2']] }), 't');
    expect(!secret.ok && secret.error.message).toBe('t: table[0][0]: expected an integer 0..255 (1/255 units), got a string');
    const big = parseFecRateTable(JSON.stringify({ table: [[300]] }), 't');
    expect(!big.ok && big.error.message).toBe('t: table[0][0]: expected an integer 0..255 (1/255 units), got 300');
  });
});
