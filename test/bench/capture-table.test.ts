/**
 * bench/capture.ts's pure part: rows from per-frame samples (nearest-rank p50/p99, CPU and wall
 * time per frame), the fastest case of each size and encoder, and the printed table with the
 * cases that could not run and their reasons.
 */
import { describe, expect, it } from 'vitest';
import { captureTable, emptySamples, fastestRows, measuredRow, type CaptureBenchRow, type CaptureCase, type StageSamples } from '../../bench/lib/capture-table.ts';

const base = (path: string, size = '720p', codec: string | null = null): CaptureCase => ({ path, pixelFormat: path === 'readback' ? 'i420' : 'nv12', size, width: 1280, height: 720, fps: 60, codec });

type Stage = 'render' | 'capture' | 'convert' | 'deliver' | 'import' | 'encode';
const CAPTURE_ONLY: readonly Stage[] = ['render', 'capture', 'convert', 'deliver'];
const ENCODED: readonly Stage[] = [...CAPTURE_ONLY, 'encode'];

/** Samples of `frames` frames whose total is `total(i)` ms and each of `stages` 1 ms. */
function samples(frames: number, total: (i: number) => number, stages: readonly Stage[] = CAPTURE_ONLY): StageSamples {
  const s = emptySamples();
  for (let i = 0; i < frames; i++) {
    for (const stage of stages) s[stage].push(1);
    s.total.push(total(i));
  }
  return s;
}

describe('measuredRow', () => {
  it('p50/p99 by nearest rank, CPU and wall time per frame', () => {
    // totals 1..100 ms, shuffled: p50 = 50, p99 = 99
    const row = measuredRow(base('readback'), samples(100, (i) => ((i * 37) % 100) + 1), 250_000, 2_000);
    expect(row.frames).toBe(100);
    expect(row.stagesMs.total).toEqual({ p50: 50, p99: 99 });
    expect(row.stagesMs.render).toEqual({ p50: 1, p99: 1 });
    expect(row.cpuMsPerFrame).toBe(2.5);
    expect(row.sequentialFps).toBe(50);
  });

  it('no frames: null percentiles, NaN rates', () => {
    const row = measuredRow(base('readback'), emptySamples(), 0, 0);
    expect(row.stagesMs.total).toEqual({ p50: null, p99: null });
    expect(row.cpuMsPerFrame).toBeNaN();
    expect(row.sequentialFps).toBeNaN();
  });
});

describe('fastestRows and captureTable', () => {
  const rows: CaptureBenchRow[] = [
    measuredRow(base('readback'), samples(10, () => 12), 10_000, 100),
    measuredRow(base('gpu-convert'), samples(10, () => 10), 10_000, 100),
    { ...base('zero-copy'), skipped: 'the Vulkan device llvmpipe does not offer VK_KHR_external_semaphore_fd' },
    measuredRow(base('readback', '720p', 'x264'), samples(10, () => 20, ENCODED), 10_000, 100),
    measuredRow(base('gpu-convert', '720p', 'x264'), samples(10, () => 25, ENCODED), 10_000, 100),
    { ...base('readback', '720p', 'h264_nvenc'), skipped: 'Cannot load libcuda.so.1' },
    measuredRow(base('zero-copy', '720p', 'h264_nvenc'), samples(10, () => 8, [...ENCODED, 'import']), 10_000, 100),
    measuredRow(base('readback', '4k'), samples(10, () => 90), 10_000, 100),
  ];

  it('one fastest per size and encoder (capture only counts as its own encoder), never a skipped case', () => {
    expect([...fastestRows(rows)].sort((a, b) => a - b)).toEqual([1, 3, 6, 7]);
  });

  it('prints every case: the fastest starred, skipped ones with their reason, columns aligned', () => {
    const lines = captureTable(rows).split('\n');
    expect(lines).toHaveLength(rows.length + 1);
    expect(lines[0]).toMatch(/^ path\s+size\s+encoder\s+frames\s+render\s+capture\s+convert\s+deliver\s+import\s+encode\s+total\s+cpu\/frame\s+seq fps$/);
    expect(lines[1]).toMatch(/^ readback \(i420\)\s+720p60\s+-\s+10\s+1\.00\/1\.00/);
    expect(lines[2]).toMatch(/^\*gpu-convert \(nv12\)\s+720p60\s+-\s+10\s/);
    const cells = (line: string): string[] => line.split(/\s{2,}/);
    // capture only: no import, no encode; x264: encode, no import; zero-copy with NVENC: both
    expect(cells(lines[2]!).slice(8, 11)).toEqual(['-', '-', '10.00/10.00']);
    expect(cells(lines[4]!).slice(8, 10)).toEqual(['-', '1.00/1.00']);
    expect(cells(lines[7]!).slice(8, 10)).toEqual(['1.00/1.00', '1.00/1.00']);
    expect(lines[3]).toMatch(/^ zero-copy \(nv12\)\s+720p60\s+-\s+skipped: the Vulkan device llvmpipe does not offer VK_KHR_external_semaphore_fd$/);
    expect(lines[6]).toMatch(/^ readback \(i420\)\s+720p60\s+h264_nvenc\s+skipped: Cannot load libcuda\.so\.1$/);
    // the encoder column is as wide as its longest name: "h264_nvenc" does not run into the reason
    const frameColumn = lines[0]!.indexOf('frames');
    expect(lines[6]!.indexOf('skipped')).toBe(frameColumn);
    expect(lines[4]!.indexOf('10 ')).toBe(frameColumn);
    expect(lines[7]).toMatch(/^\*zero-copy \(nv12\)\s+720p60\s+h264_nvenc\s+10\s/);
    expect(lines[8]).toMatch(/^\*readback \(i420\)\s+4k60/);
  });
});
