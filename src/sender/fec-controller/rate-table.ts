/**
 * The FEC rate table: delta-frame protection factor (1/255) per effective-rate bucket and packet
 * loss (1/255, 0..128). The default is libwebrtc's kFecRateTable, shipped verbatim in
 * `data/libwebrtc/fec-rate-table.json`; users may load their own table of the same shape
 * (any number of rate buckets, 129 loss columns) to compare or tune.
 */
import { readFileSync } from 'node:fs';

/** Loss columns: packet loss 0..128 in 1/255 units (libwebrtc's kPacketLossMax = 129). */
export const FEC_RATE_TABLE_LOSS_COLUMNS = 129;

/** A validated rate table. */
export interface FecRateTable {
  /** Effective-rate buckets (libwebrtc: 50, i.e. ratePar2 + 1). */
  readonly rows: number;
  /** Always {@link FEC_RATE_TABLE_LOSS_COLUMNS}. */
  readonly columns: number;
  /** Row-major protection factors (1/255, 0..255). */
  readonly values: Uint8Array;
}

/** Why a table was refused. */
export class FecRateTableError extends Error {
  readonly code = 'bad-fec-rate-table' as const;
  constructor(message: string) {
    super(`bad-fec-rate-table: ${message}`);
    this.name = 'FecRateTableError';
  }
}

/**
 * Validates a table in the JSON shape `{ table: number[][] }` (rows × 129 values in 0..255).
 * Returns an error value, never throws.
 */
export function parseFecRateTable(json: unknown): FecRateTable | FecRateTableError {
  const table = (json as { table?: unknown } | null)?.table;
  if (!Array.isArray(table) || table.length === 0) return new FecRateTableError('no "table" rows');
  const values = new Uint8Array(table.length * FEC_RATE_TABLE_LOSS_COLUMNS);
  for (let r = 0; r < table.length; r++) {
    const row: unknown = table[r];
    if (!Array.isArray(row) || row.length !== FEC_RATE_TABLE_LOSS_COLUMNS) {
      return new FecRateTableError(`row ${r} must have ${FEC_RATE_TABLE_LOSS_COLUMNS} values`);
    }
    for (let c = 0; c < row.length; c++) {
      const value: unknown = row[c];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 255) {
        return new FecRateTableError(`row ${r} column ${c}: ${String(value)} is not an integer 0..255`);
      }
      values[r * FEC_RATE_TABLE_LOSS_COLUMNS + c] = value;
    }
  }
  return { rows: table.length, columns: FEC_RATE_TABLE_LOSS_COLUMNS, values };
}

let defaultTable: FecRateTable | undefined;

/** libwebrtc's kFecRateTable from the shipped data. */
export function defaultFecRateTable(): FecRateTable {
  if (defaultTable === undefined) {
    const url = new URL('../../../data/libwebrtc/fec-rate-table.json', import.meta.url);
    const parsed = parseFecRateTable(JSON.parse(readFileSync(url, 'utf8')));
    if (parsed instanceof FecRateTableError) throw parsed;
    defaultTable = parsed;
  }
  return defaultTable;
}

/** Table value at (rate bucket, loss), both clamped into the table. */
export function lookupFecRate(table: FecRateTable, rateIndex: number, loss255: number): number {
  const row = Math.min(Math.max(0, rateIndex), table.rows - 1);
  const column = Math.min(Math.max(0, loss255), table.columns - 1);
  return table.values[row * table.columns + column]!;
}
