/**
 * Encode throughput: our addon (x264 through libavcodec, openh264) against the ffmpeg CLI with
 * identical libx264 settings and thread count, on the same input (ffmpeg's testsrc2 rendered
 * once to a raw I420 file, read frame by frame by both sides so neither pays for generation).
 * Runs interleaved repetitions (the host is shared), reports the best of each, prints a table and
 * writes bench/results/encode.json. Usage: npx tsx bench/encode.ts [--frames 300] [--reps 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/native/addon.ts';
import type { EncoderCodec, NativeAddon, RawFrame } from '../src/native/types.ts';

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
/** The x264 settings enc_lavc.cc applies at threads = 1 (kept identical here for ffmpeg). */
const x264Params = 'repeat-headers=1:annexb=1:scenecut=0:rc-lookahead=0:bframes=0:sliced-threads=0';

/** One measured run: frames encoded per second of wall time and output bitrate. */
interface Run {
  fps: number;
  /** frames per CPU second (user + system of the whole process): robust to a busy host */
  cpuFps: number;
  kbps: number;
  /** mean encoder call time per frame, ms (addon only: encodeDoneNs − encodeStartNs) */
  encodeMs?: number;
  /** sha256 of the whole Annex-B output */
  sha256: string;
  /** time the Encoder constructor took (codec open on the calling thread), ms (addon only) */
  openMs?: number;
}

function renderInput(dir: string, width: number, height: number): string {
  const file = path.join(dir, `testsrc2-${width}x${height}.yuv`);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i',
    `testsrc2=size=${width}x${height}:rate=${fps}`, '-frames:v', String(frameCount), '-pix_fmt', 'yuv420p',
    '-f', 'rawvideo', file]);
  return file;
}

async function runAddon(addon: NativeAddon, codec: EncoderCodec, file: string, width: number, height: number, bitrateBps: number): Promise<Run> {
  const ySize = width * height;
  const frameBytes = ySize * 1.5;
  const data = Buffer.alloc(frameBytes);
  const fd = openSync(file, 'r');
  const openStart = process.hrtime.bigint();
  const encoder = new addon.Encoder({ codec, width, height, fps, bitrateBps, gop, threads: 1 });
  const openMs = Number(process.hrtime.bigint() - openStart) / 1e6;
  let bytes = 0;
  let encodeNs = 0n;
  const hash = createHash('sha256');
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < frameCount; i++) {
    readSync(fd, data, 0, frameBytes, i * frameBytes);
    const frame: RawFrame = {
      id: i, width, height, format: 'i420', data,
      strides: [width, width / 2, width / 2], planeOffsets: [0, ySize, ySize * 1.25],
      captureTimeNs: 0n, times: { renderSubmitNs: 0n, renderDoneNs: 0n, copyDoneNs: 0n, convertDoneNs: 0n },
    };
    const out = await encoder.encode(frame);
    if (out) {
      bytes += out.data.length;
      hash.update(out.data);
      encodeNs += out.encodeDoneNs - out.encodeStartNs;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  encoder.close();
  closeSync(fd);
  return { fps: frameCount / seconds, cpuFps: frameCount / cpuSeconds, kbps: (bytes * 8 * fps) / frameCount / 1000, encodeMs: Number(encodeNs) / 1e6 / frameCount, openMs, sha256: hash.digest('hex') };
}

function ffmpegArgs(file: string, width: number, height: number, bitrateBps: number, outFile: string): string[] {
  return ['-hide_banner', '-nostats', '-benchmark', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(fps), '-i', file,
    '-frames:v', String(frameCount), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
    '-bf', '0', '-threads', '1', '-g', String(gop), '-forced-idr', '1',
    '-b:v', String(bitrateBps), '-maxrate', String(bitrateBps), '-bufsize', String(Math.round(bitrateBps / fps)),
    '-x264-params', x264Params, '-f', 'h264', outFile];
}

/** Runs ffmpeg and takes its "bench: ... rtime=S" line (wall seconds of the whole run). */
function runFfmpeg(file: string, width: number, height: number, bitrateBps: number, dir: string): Run {
  const outFile = path.join(dir, 'ffmpeg-out.h264');
  const result = spawnSync('ffmpeg', ffmpegArgs(file, width, height, bitrateBps, outFile), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg failed (${result.status}): ${result.stderr}`);
  const match = /utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(result.stderr);
  if (!match) throw new Error(`no -benchmark line in ffmpeg output:\n${result.stderr}`);
  const cpuSeconds = Number(match[1]) + Number(match[2]);
  const output = readFileSync(outFile);
  return { fps: frameCount / Number(match[3]), cpuFps: frameCount / cpuSeconds, kbps: (output.length * 8 * fps) / frameCount / 1000, sha256: createHash('sha256').update(output).digest('hex') };
}

const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.fps > a.fps ? b : a));
const bestCpu = (runs: Run[]): number => Math.max(...runs.map((r) => r.cpuFps));
/** Median over repetitions of ours/ffmpeg measured back to back: steadier than best-of on a busy host. */
function pairedMedian(ours: Run[], theirs: Run[]): number {
  const ratios = ours.map((run, i) => run.fps / theirs[i]!.fps).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

async function main(): Promise<void> {
  const addon = loadNative();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glasslab-bench-'));
  const ffmpegVersion = /ffmpeg version (\S+)/.exec(spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
  const rows: Array<Record<string, string | number | null>> = [];
  const identical: Record<string, boolean> = {};
  try {
    for (const { width, height, bitrateBps } of sizes) {
      const file = renderInput(dir, width, height);
      const runs: Record<'x264' | 'openh264' | 'ffmpeg', Run[]> = { x264: [], openh264: [], ffmpeg: [] };
      for (let rep = 0; rep < repetitions; rep++) {
        runs.x264.push(await runAddon(addon, 'x264', file, width, height, bitrateBps));
        runs.ffmpeg.push(runFfmpeg(file, width, height, bitrateBps, dir));
        runs.openh264.push(await runAddon(addon, 'openh264', file, width, height, bitrateBps));
      }
      rmSync(file);
      const ours = best(runs.x264);
      const theirs = best(runs.ffmpeg);
      const cisco = best(runs.openh264);
      const ratio = ours.fps / theirs.fps;
      // same settings => the same bits: the addon's x264 stream must equal ffmpeg's byte for byte
      identical[`${width}x${height}`] = runs.x264.every((r) => r.sha256 === theirs.sha256);
      rows.push(
        { size: `${width}x${height}`, encoder: 'addon x264 (libavcodec)', fps: round(ours.fps), encodeMs: round(ours.encodeMs!), openMs: round(ours.openMs!), kbps: round(ours.kbps), vsFfmpeg: round(ratio, 3), pairedVsFfmpeg: round(pairedMedian(runs.x264, runs.ffmpeg), 3), cpuFps: round(bestCpu(runs.x264)), cpuVsFfmpeg: round(bestCpu(runs.x264) / bestCpu(runs.ffmpeg), 3), allFps: runs.x264.map((r) => round(r.fps)).join(' ') },
        { size: `${width}x${height}`, encoder: `ffmpeg ${ffmpegVersion} libx264`, fps: round(theirs.fps), encodeMs: null, openMs: null, kbps: round(theirs.kbps), vsFfmpeg: 1, pairedVsFfmpeg: 1, cpuFps: round(bestCpu(runs.ffmpeg)), cpuVsFfmpeg: 1, allFps: runs.ffmpeg.map((r) => round(r.fps)).join(' ') },
        { size: `${width}x${height}`, encoder: 'addon openh264', fps: round(cisco.fps), encodeMs: round(cisco.encodeMs!), openMs: round(cisco.openMs!), kbps: round(cisco.kbps), vsFfmpeg: null, pairedVsFfmpeg: null, cpuFps: round(bestCpu(runs.openh264)), cpuVsFfmpeg: null, allFps: runs.openh264.map((r) => round(r.fps)).join(' ') },
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
    settings: { frames: frameCount, repetitions, fps, gop, threads: 1, x264: `preset ultrafast, tune zerolatency, bf 0, VBV 1 frame, maxrate = bitrate, x264-params ${x264Params}` },
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
