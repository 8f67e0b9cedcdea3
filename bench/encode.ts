/**
 * Encode throughput: our addon (x264 through libavcodec, openh264) against the ffmpeg CLI with
 * identical libx264 settings and thread count (bench/lib/encode-throughput.ts). Runs interleaved
 * repetitions (the host is shared), reports the best of each, prints a table and writes
 * bench/results/encode.json. Usage: npx tsx bench/encode.ts [--frames 300] [--reps 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/native/addon.ts';
import { best, bestCpu, ffmpegVersion, measureEncodeThroughput, pairedMedian, round, x264Params } from './lib/encode-throughput.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const settings = { frameCount: option('frames', 300), repetitions: option('reps', 3), fps: 30, gop: 60 };
const sizes = [
  { width: 1280, height: 720, bitrateBps: 2_500_000 },
  { width: 1920, height: 1080, bitrateBps: 5_000_000 },
];

async function main(): Promise<void> {
  const version = ffmpegVersion();
  const rows: Array<Record<string, string | number | null>> = [];
  const identical: Record<string, boolean> = {};
  for (const m of await measureEncodeThroughput(loadNative(), settings, sizes)) {
    const size = `${m.width}x${m.height}`;
    const ours = best(m.runs.x264);
    const theirs = best(m.runs.ffmpeg);
    const cisco = best(m.runs.openh264);
    identical[size] = m.identicalToFfmpeg;
    rows.push(
      { size, encoder: 'addon x264 (libavcodec)', fps: round(ours.fps), encodeMs: round(ours.encodeMs!), openMs: round(ours.openMs!), kbps: round(ours.kbps), vsFfmpeg: round(ours.fps / theirs.fps, 3), pairedVsFfmpeg: round(pairedMedian(m.runs.x264, m.runs.ffmpeg), 3), cpuFps: round(bestCpu(m.runs.x264)), cpuVsFfmpeg: round(bestCpu(m.runs.x264) / bestCpu(m.runs.ffmpeg), 3), allFps: m.runs.x264.map((r) => round(r.fps)).join(' ') },
      { size, encoder: `ffmpeg ${version} libx264`, fps: round(theirs.fps), encodeMs: null, openMs: null, kbps: round(theirs.kbps), vsFfmpeg: 1, pairedVsFfmpeg: 1, cpuFps: round(bestCpu(m.runs.ffmpeg)), cpuVsFfmpeg: 1, allFps: m.runs.ffmpeg.map((r) => round(r.fps)).join(' ') },
      { size, encoder: 'addon openh264', fps: round(cisco.fps), encodeMs: round(cisco.encodeMs!), openMs: round(cisco.openMs!), kbps: round(cisco.kbps), vsFfmpeg: null, pairedVsFfmpeg: null, cpuFps: round(bestCpu(m.runs.openh264)), cpuVsFfmpeg: null, allFps: m.runs.openh264.map((r) => round(r.fps)).join(' ') },
    );
  }
  console.table(rows);
  console.log(`addon x264 output identical to ffmpeg's: ${JSON.stringify(identical)}`);
  const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(outDir, { recursive: true });
  const report = {
    when: new Date().toISOString(),
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg() },
    settings: { frames: settings.frameCount, repetitions: settings.repetitions, fps: settings.fps, gop: settings.gop, threads: 1, x264: `preset ultrafast, tune zerolatency, bf 0, VBV 1 frame, maxrate = bitrate, x264-params ${x264Params}` },
    input: 'ffmpeg lavfi testsrc2 rendered to raw I420 once; both sides read it frame by frame from the page cache',
    measure: 'fps = frames / wall seconds (addon: encode loop incl. file read and JS; ffmpeg: -benchmark rtime of the whole run); cpuFps = frames / CPU seconds (addon: process.cpuUsage over the loop; ffmpeg: utime + stime); best of the repetitions; pairedVsFfmpeg = median over repetitions of addon fps / ffmpeg fps run back to back',
    x264BitstreamIdenticalToFfmpeg: identical,
    rows,
  };
  writeFileSync(path.join(outDir, 'encode.json'), JSON.stringify(report, null, 2));
  console.log(`wrote ${path.join(outDir, 'encode.json')}`);
}

await main();
