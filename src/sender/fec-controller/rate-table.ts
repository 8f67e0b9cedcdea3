/**
 * FEC rate table as data: the delta-frame protection factor (1/255 units, relative to the total
 * of media + FEC packets) indexed by effective-rate bucket (row) and filtered loss (column,
 * loss 0..128 in 1/255 units). The default is libwebrtc's `kFecRateTable` shipped in
 * `data/libwebrtc/fec-rate-table.json`; users may load their own table of the same shape.
 *
 * Parsing never throws: it returns `{ ok: false, error }` naming the file and the bad cell, and
 * never quotes the file's text (a scenario may point its table at any file): a JSON error gives
 * the line and column, a bad cell its type or number. Files are read through readNamedFileSync
 * (regular files only, at most NAMED_FILE_LIMITS.rateTable bytes).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readNamedFileSync } from '../../shared/named-file.ts';
import { fromRepositoryRoot } from '../../shared/repository-root.ts';

/** Number of loss columns: loss 0..128 in 1/255 units (libwebrtc's kPacketLossMax = 129). */
export const FEC_RATE_TABLE_COLUMNS = 129;

/** Path of the shipped default table (libwebrtc's, snapshot 2025-09). */
export const DEFAULT_FEC_RATE_TABLE_PATH = fromRepositoryRoot('data/libwebrtc/fec-rate-table.json');

/** A validated rate table: `rows × 129` protection factors in 1/255 units, row-major. */
export interface FecRateTable {
  /** number of effective-rate buckets (libwebrtc: 50) */
  readonly rows: number;
  /** always 129 (loss 0..128) */
  readonly columns: number;
  /** row-major factors, 1/255 units (0..255); `values[row * columns + lossColumn]` */
  readonly values: Uint8Array;
  /** where the table came from (file path or a label), for error messages and reports */
  readonly source: string;
}

/** Stable error codes for table loading. */
export type FecRateTableErrorCode = 'FEC_TABLE_READ' | 'FEC_TABLE_JSON' | 'FEC_TABLE_SHAPE' | 'FEC_TABLE_VALUE';

/** A table that cannot be used: `file`, and `cell` ([row, column]) when one value is at fault. */
export class FecRateTableError extends Error {
  constructor(
    readonly code: FecRateTableErrorCode,
    readonly file: string,
    readonly detail: string,
    readonly cell?: readonly [number, number],
  ) {
    super(`${file}: ${cell ? `table[${cell[0]}][${cell[1]}]: ` : ''}${detail}`);
    this.name = 'FecRateTableError';
  }
}

/** Result of parsing or loading a table. */
export type FecRateTableResult = { ok: true; table: FecRateTable } | { ok: false; error: FecRateTableError };

const cellSchema = z.number().int().min(0).max(255);
const fileSchema = z.object({
  rows: z.number().int().positive().optional(),
  columns: z.number().int().optional(),
  table: z.array(z.array(cellSchema)).min(1),
});

function fail(code: FecRateTableErrorCode, file: string, detail: string, cell?: readonly [number, number]): FecRateTableResult {
  return { ok: false, error: new FecRateTableError(code, file, detail, cell) };
}

/** A cell's value for a message: numbers as they are, other values by type only (never their text). */
function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Where a JSON.parse error is, from its message: "line L, column C" of the offset some V8
 * versions name ("at position N"); Node 20's messages quote the text instead, and only the fact
 * that it failed (or ended too early) is kept.
 */
function jsonErrorPlace(text: string, message: string): string {
  const match = /position (\d+)/.exec(message);
  if (!match) return /Unexpected end/.test(message) ? 'it ends too early' : 'a token that JSON does not allow';
  const offset = Number(match[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `at line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * Validates an already parsed JSON value (`{ table: number[][] , rows?, columns? }` or a bare
 * `number[][]`) as a rate table. `file` names the origin in error messages.
 */
export function validateFecRateTable(data: unknown, file: string): FecRateTableResult {
  const doc = Array.isArray(data) ? { table: data } : data;
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path;
    if (path.length === 3 && path[0] === 'table' && typeof path[1] === 'number' && typeof path[2] === 'number') {
      const row = (doc as { table: unknown[][] }).table[path[1]];
      const got = Array.isArray(row) ? row[path[2]] : undefined;
      return fail('FEC_TABLE_VALUE', file, `expected an integer 0..255 (1/255 units), got ${describe(got)}`, [path[1], path[2]]);
    }
    const where = path.length === 0 ? '(document)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    return fail('FEC_TABLE_SHAPE', file, `${where}: ${issue.message}`);
  }
  const { table } = parsed.data;
  for (let r = 0; r < table.length; r++) {
    const len = table[r]!.length;
    if (len !== FEC_RATE_TABLE_COLUMNS) {
      return fail('FEC_TABLE_SHAPE', file, `table[${r}] has ${len} columns, expected ${FEC_RATE_TABLE_COLUMNS} (loss 0..128 in 1/255 units)`);
    }
  }
  if (parsed.data.rows !== undefined && parsed.data.rows !== table.length) {
    return fail('FEC_TABLE_SHAPE', file, `"rows" says ${parsed.data.rows} but table has ${table.length} rows`);
  }
  if (parsed.data.columns !== undefined && parsed.data.columns !== FEC_RATE_TABLE_COLUMNS) {
    return fail('FEC_TABLE_SHAPE', file, `"columns" is ${parsed.data.columns}, expected ${FEC_RATE_TABLE_COLUMNS}`);
  }
  const values = new Uint8Array(table.length * FEC_RATE_TABLE_COLUMNS);
  table.forEach((row, r) => values.set(row, r * FEC_RATE_TABLE_COLUMNS));
  return { ok: true, table: { rows: table.length, columns: FEC_RATE_TABLE_COLUMNS, values, source: file } };
}

/** Parses JSON text as a rate table; `file` names the origin in error messages. */
export function parseFecRateTable(text: string, file: string): FecRateTableResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const place = jsonErrorPlace(text, (err as Error).message);
    return fail('FEC_TABLE_JSON', file, `not valid JSON (${place}); expected { "table": [[0..255 × 129], ...] } or a bare array of rows`);
  }
  return validateFecRateTable(data, file);
}

/** Reads and validates a user table from a JSON file. Never throws. */
export function loadFecRateTable(file: string): Promise<FecRateTableResult> {
  return Promise.resolve(loadFecRateTableSync(file));
}

/** `loadFecRateTable` synchronously (scenario validation, process start-up). Never throws. */
export function loadFecRateTableSync(file: string): FecRateTableResult {
  const read = readNamedFileSync(file, 'rateTable');
  if ('error' in read) return fail('FEC_TABLE_READ', file, read.error.reason);
  return parseFecRateTable(read.text, file);
}

let defaultTable: FecRateTable | undefined;

/** libwebrtc's table (50 × 129), read once from the shipped JSON. Throws only if the install is broken. */
export function defaultFecRateTable(): FecRateTable {
  if (defaultTable) return defaultTable;
  const result = parseFecRateTable(readFileSync(DEFAULT_FEC_RATE_TABLE_PATH, 'utf8'), DEFAULT_FEC_RATE_TABLE_PATH);
  if (!result.ok) throw result.error;
  defaultTable = result.table;
  return defaultTable;
}

/** Factor (1/255) at `row`, `lossColumn`; both must be in range. */
export function tableFactor(table: FecRateTable, row: number, lossColumn: number): number {
  return table.values[row * table.columns + lossColumn]!;
}
