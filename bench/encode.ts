/**
 * Encode throughput: our addon (x264 through libavcodec, openh264) against the ffmpeg CLI with
 * identical libx264 settings and thread count, on the same input (measuring code:
 * bench/lib/encode-throughput.ts). Runs interleaved repetitions (the host is shared), reports the
 * best of each, prints a table and writes bench/results/encode.json.
 * Usage: npx tsx bench/encode.ts [--frames 300] [--reps 3]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/native/addon.ts';
import {
  bestCpuFps, bestRun, compareEncodeThroughput, ffmpegVersion, pairedMedianRatio, x264SettingsText,
  type EncodeSettings,
} from './lib/encode-throughput.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const frameCount = option('frames', 300);
const repetitions = option('reps', 3);
const fps = 30;
const gop = 60;
const sizes = [
  { width: 1280, height: 720, bitrateBps: 2_500_000 },
  { width: 1920, height: 1080, bitrateBps: 5_000_000 },
];

async function main(): Promise<void> {
  const addon = loadNative();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glasslab-bench-'));
  const version = ffmpegVersion();
  const rows: Array<Record<string, string | number | null>> = [];
  const identical: Record<string, boolean> = {};
  try {
    for (const { width, height, bitrateBps } of sizes) {
      const settings: EncodeSettings = { width, height, fps, bitrateBps, gop, frameCount };
      const runs = await compareEncodeThroughput(addon, settings, repetitions, dir);
      const ours = bestRun(runs.x264);
      const theirs = bestRun(runs.ffmpeg);
      const cisco = bestRun(runs.openh264);
      // same settings => the same bits: the addon's x264 stream must equal ffmpeg's byte for byte
      identical[`${width}x${height}`] = runs.x264.every((r) => r.sha256 === theirs.sha256);
      rows.push(
        { size: `${width}x${height}`, encoder: 'addon x264 (libavcodec)', fps: round(ours.fps), encodeMs: round(ours.encodeMs!), openMs: round(ours.openMs!), kbps: round(ours.kbps), vsFfmpeg: round(ours.fps / theirs.fps, 3), pairedVsFfmpeg: round(pairedMedianRatio(runs.x264, runs.ffmpeg), 3), cpuFps: round(bestCpuFps(runs.x264)), cpuVsFfmpeg: round(bestCpuFps(runs.x264) / bestCpuFps(runs.ffmpeg), 3), allFps: runs.x264.map((r) => round(r.fps)).join(' ') },
        { size: `${width}x${height}`, encoder: `ffmpeg ${version} libx264`, fps: round(theirs.fps), encodeMs: null, openMs: null, kbps: round(theirs.kbps), vsFfmpeg: 1, pairedVsFfmpeg: 1, cpuFps: round(bestCpuFps(runs.ffmpeg)), cpuVsFfmpeg: 1, allFps: runs.ffmpeg.map((r) => round(r.fps)).join(' ') },
        { size: `${width}x${height}`, encoder: 'addon openh264', fps: round(cisco.fps), encodeMs: round(cisco.encodeMs!), openMs: round(cisco.openMs!), kbps: round(cisco.kbps), vsFfmpeg: null, pairedVsFfmpeg: null, cpuFps: round(bestCpuFps(runs.openh264)), cpuVsFfmpeg: null, allFps: runs.openh264.map((r) => round(r.fps)).join(' ') },
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(rows);
  console.log(`addon x264 output identical to ffmpeg's: ${JSON.stringify(identical)}`);
  const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(outDir, { recursive: true });
  const report = {
    when: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg() },
    settings: { frames: frameCount, repetitions, fps, gop, threads: 1, x264: x264SettingsText },
    input: 'ffmpeg lavfi testsrc2 rendered to raw I420 once; both sides read it frame by frame from the page cache',
    measure: 'fps = frames / wall seconds (addon: encode loop incl. file read and JS; ffmpeg: -benchmark rtime of the whole run); cpuFps = frames / CPU seconds (addon: process.cpuUsage over the loop; ffmpeg: utime + stime); best of the repetitions; pairedVsFfmpeg = median over repetitions of addon fps / ffmpeg fps run back to back',
    x264BitstreamIdenticalToFfmpeg: identical,
    rows,
  };
  writeFileSync(path.join(outDir, 'encode.json'), JSON.stringify(report, null, 2));
  console.log(`wrote ${path.join(outDir, 'encode.json')}`);
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

await main();
