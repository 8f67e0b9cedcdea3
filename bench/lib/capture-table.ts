/**
 * The rows of bench/capture.ts and the table it prints: per capture path, size and encoder
 * (none = capture only), per-stage p50/p99 (ms), sender CPU per frame and sequential frame
 * rate, or the reason the case could not run. The fastest case of each size and encoder
 * (lowest total p50) is marked. Pure: no I/O, no clock.
 */
import { percentile } from '../../lab/metrics/stats.ts';

/** Stages of one frame, ms, in order. */
export const CAPTURE_BENCH_STAGES = ['render', 'capture', 'convert', 'deliver', 'import', 'encode', 'total'] as const;
export type CaptureBenchStage = (typeof CAPTURE_BENCH_STAGES)[number];

/** What each stage measures. */
export const CAPTURE_BENCH_STAGE_DEFINITIONS: Record<CaptureBenchStage, string> = {
  render: 'renderDone − renderSubmit (scene render on the Vulkan device)',
  capture: 'copyDone − renderDone (readback: marker stamp + image to host memory; gpu-convert/zero-copy: stamp + RGBA→NV12 on the device)',
  convert: 'convertDone − copyDone (readback: libyuv RGBA→I420; gpu-convert: NV12 planes into the frame buffer)',
  deliver: 'captureOne() resolved in JS − convertDone (worker → JS hop)',
  import: 'zero-copy only: importDone − encodeStart (CUDA waits for the conversion and copies the surface into NVENC\'s input)',
  encode: 'encodeDone − encodeStart, or − importDone for zero-copy (the encoder call on its worker, NV12 → I420 split included)',
  total: 'the last stage end − renderSubmit',
};

/** One case: a capture path at a size, with an encoder or capture only. */
export interface CaptureCase {
  path: string;
  pixelFormat: string;
  /** "720p" */
  size: string;
  width: number;
  height: number;
  fps: number;
  /** null: capture only */
  codec: string | null;
}

/** Per-frame samples of a measured case, ms. */
export type StageSamples = Record<CaptureBenchStage, number[]>;

/** p50 / p99 of a stage, ms; null when not measured. */
export interface StagePercentiles {
  p50: number | null;
  p99: number | null;
}

/** A case that ran. */
export interface MeasuredRow extends CaptureCase {
  frames: number;
  stagesMs: Record<CaptureBenchStage, StagePercentiles>;
  /** process CPU (user + system, every thread) over the measured frames ÷ frames, ms */
  cpuMsPerFrame: number;
  /** frames ÷ wall seconds of the measured loop (one frame at a time, nothing overlapped) */
  sequentialFps: number;
}

/** A case that could not run, with why. */
export interface SkippedRow extends CaptureCase {
  skipped: string;
}

export type CaptureBenchRow = MeasuredRow | SkippedRow;

export const isSkipped = (row: CaptureBenchRow): row is SkippedRow => 'skipped' in row;

/** Empty samples for every stage. */
export function emptySamples(): StageSamples {
  return { render: [], capture: [], convert: [], deliver: [], import: [], encode: [], total: [] };
}

/** The row of a measured case: percentiles of its samples, CPU (µs, as process.cpuUsage) and wall time per frame. */
export function measuredRow(c: CaptureCase, samples: StageSamples, cpuMicros: number, wallMs: number): MeasuredRow {
  const frames = samples.total.length;
  const stagesMs = Object.fromEntries(CAPTURE_BENCH_STAGES.map((stage) => [stage, { p50: percentile(samples[stage], 50), p99: percentile(samples[stage], 99) }])) as MeasuredRow['stagesMs'];
  return { ...c, frames, stagesMs, cpuMsPerFrame: frames > 0 ? cpuMicros / 1000 / frames : NaN, sequentialFps: wallMs > 0 ? (frames * 1000) / wallMs : NaN };
}

/** Key of the rows compared for "fastest": same size, same encoder (or capture only). */
const groupKey = (row: CaptureCase): string => `${row.size}/${row.codec ?? '-'}`;

/** For each size and encoder, the measured row with the lowest total p50 (its index in `rows`). */
export function fastestRows(rows: readonly CaptureBenchRow[]): Set<number> {
  const best = new Map<string, { index: number; p50: number }>();
  rows.forEach((row, index) => {
    if (isSkipped(row)) return;
    const p50 = row.stagesMs.total.p50;
    if (p50 === null) return;
    const key = groupKey(row);
    const current = best.get(key);
    if (current === undefined || p50 < current.p50) best.set(key, { index, p50 });
  });
  return new Set([...best.values()].map((entry) => entry.index));
}

const ms = (value: number | null): string => (value === null || !Number.isFinite(value) ? '-' : value.toFixed(2));
/** "p50/p99"; "-" for a stage the case does not have (encode without an encoder, import but for zero-copy). */
const pair = (value: StagePercentiles): string => (value.p50 === null ? '-' : `${ms(value.p50)}/${ms(value.p99)}`);

/** The printed table: one line per row, skipped rows with their reason; `*` marks the fastest of a size and encoder. */
export function captureTable(rows: readonly CaptureBenchRow[]): string {
  const fastest = fastestRows(rows);
  const header = ['path', 'size', 'encoder', 'frames', ...CAPTURE_BENCH_STAGES, 'cpu/frame', 'seq fps'];
  const lines: string[][] = rows.map((row, index) => {
    const lead = [`${fastest.has(index) ? '*' : ' '}${row.path} (${row.pixelFormat})`, `${row.size}${row.fps}`, row.codec ?? '-'];
    if (isSkipped(row)) return [...lead, `skipped: ${row.skipped}`];
    return [...lead, String(row.frames), ...CAPTURE_BENCH_STAGES.map((stage) => pair(row.stagesMs[stage])), ms(row.cpuMsPerFrame), row.sequentialFps.toFixed(1)];
  });
  // column widths over every row's cells but a skipped row's reason, which runs on past them
  const widths = header.map((title, column) => Math.max(title.length + 1, ...lines.filter((line) => line.length === header.length || column < line.length - 1).map((line) => line[column]!.length)) + 2);
  const format = (line: string[]): string =>
    line
      .map((cell, column) => (line.length === header.length || column < line.length - 1 ? cell.padEnd(widths[column]!) : cell))
      .join('')
      .trimEnd();
  return [format([` ${header[0]}`, ...header.slice(1)]), ...lines.map(format)].join('\n');
}
