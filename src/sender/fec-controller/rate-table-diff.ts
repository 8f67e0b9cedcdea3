/**
 * How a rate table differs from a reference (libwebrtc's, by default): the run records this so
 * its report says plainly when the FEC factors came from a tuned table, and by how much.
 */
import type { FecRateTable } from './rate-table.ts';

/** Cell-by-cell comparison over the rows both tables have; factors in 1/255. */
export interface RateTableDiff {
  /** where the table came from */
  source: string;
  rows: number;
  referenceRows: number;
  /** cells compared (common rows × 129) */
  comparedCells: number;
  /** compared cells whose factor differs */
  differingCells: number;
  /** largest |table − reference| over the compared cells, 1/255 */
  maxAbsDiff: number;
  /** mean (table − reference) over the compared cells, 1/255: > 0 = more protection */
  meanDiff: number;
}

/** Compares `table` with `reference` cell by cell (rows beyond the shorter table are not compared). */
export function diffRateTables(table: FecRateTable, reference: FecRateTable): RateTableDiff {
  const rows = Math.min(table.rows, reference.rows);
  const cells = rows * table.columns;
  let differing = 0;
  let maxAbs = 0;
  let sum = 0;
  for (let i = 0; i < cells; i++) {
    const d = table.values[i]! - reference.values[i]!;
    if (d !== 0) differing++;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    sum += d;
  }
  return { source: table.source, rows: table.rows, referenceRows: reference.rows, comparedCells: cells, differingCells: differing, maxAbsDiff: maxAbs, meanDiff: cells === 0 ? 0 : sum / cells };
}
