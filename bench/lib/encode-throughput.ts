/**
 * Encode throughput of the addon's encoders against the ffmpeg CLI with identical libx264 settings
 * and thread count, on the same input (ffmpeg's testsrc2 rendered once to a raw I420 file, read
 * frame by frame by both sides so neither pays for generation). Used by bench/encode.ts and
 * bench/frames.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EncoderCodec, NativeAddon, RawFrame } from '../../src/native/types.ts';

/** What is measured: frame count per run, frame rate and GOP given to both encoders. */
export interface ThroughputSettings {
  frameCount: number;
  repetitions: number;
  fps: number;
  gop: number;
}

/** The x264 settings enc_lavc.cc applies at threads = 1 (kept identical here for ffmpeg). */
export const x264Params = 'repeat-headers=1:annexb=1:scenecut=0:rc-lookahead=0:bframes=0:sliced-threads=0';

/** One measured run: frames encoded per second of wall time and output bitrate. */
export interface Run {
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

function renderInput(s: ThroughputSettings, dir: string, width: number, height: number): string {
  const file = path.join(dir, `testsrc2-${width}x${height}.yuv`);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i',
    `testsrc2=size=${width}x${height}:rate=${s.fps}`, '-frames:v', String(s.frameCount), '-pix_fmt', 'yuv420p',
    '-f', 'rawvideo', file]);
  return file;
}

async function runAddon(s: ThroughputSettings, addon: NativeAddon, codec: EncoderCodec, file: string, width: number, height: number, bitrateBps: number): Promise<Run> {
  const { frameCount, fps, gop } = s;
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

function ffmpegArgs(s: ThroughputSettings, file: string, width: number, height: number, bitrateBps: number, outFile: string): string[] {
  const { frameCount, fps, gop } = s;
  return ['-hide_banner', '-nostats', '-benchmark', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(fps), '-i', file,
    '-frames:v', String(frameCount), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
    '-bf', '0', '-threads', '1', '-g', String(gop), '-forced-idr', '1',
    '-b:v', String(bitrateBps), '-maxrate', String(bitrateBps), '-bufsize', String(Math.round(bitrateBps / fps)),
    '-x264-params', x264Params, '-f', 'h264', outFile];
}

/** Runs ffmpeg and takes its "bench: ... rtime=S" line (wall seconds of the whole run). */
function runFfmpeg(s: ThroughputSettings, file: string, width: number, height: number, bitrateBps: number, dir: string): Run {
  const { frameCount, fps } = s;
  const outFile = path.join(dir, 'ffmpeg-out.h264');
  const result = spawnSync('ffmpeg', ffmpegArgs(s, file, width, height, bitrateBps, outFile), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg failed (${result.status}): ${result.stderr}`);
  const match = /utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(result.stderr);
  if (!match) throw new Error(`no -benchmark line in ffmpeg output:\n${result.stderr}`);
  const cpuSeconds = Number(match[1]) + Number(match[2]);
  const output = readFileSync(outFile);
  return { fps: frameCount / Number(match[3]), cpuFps: frameCount / cpuSeconds, kbps: (output.length * 8 * fps) / frameCount / 1000, sha256: createHash('sha256').update(output).digest('hex') };
}

export const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.fps > a.fps ? b : a));
export const bestCpu = (runs: Run[]): number => Math.max(...runs.map((r) => r.cpuFps));
/** Median over repetitions of ours/ffmpeg measured back to back: steadier than best-of on a busy host. */
export function pairedMedian(ours: Run[], theirs: Run[]): number {
  const ratios = ours.map((run, i) => run.fps / theirs[i]!.fps).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}


/** One size's measurement: every repetition of ours (x264, openh264) and ffmpeg's, back to back. */
export interface SizeMeasurement {
  width: number;
  height: number;
  bitrateBps: number;
  runs: Record<'x264' | 'openh264' | 'ffmpeg', Run[]>;
  /** the addon's x264 stream equals ffmpeg's byte for byte (same settings ⇒ same bits) */
  identicalToFfmpeg: boolean;
}

/** Measures each size: interleaved repetitions of addon x264, ffmpeg libx264 and addon openh264. */
export async function measureEncodeThroughput(
  addon: NativeAddon,
  settings: ThroughputSettings,
  sizes: readonly { width: number; height: number; bitrateBps: number }[],
): Promise<SizeMeasurement[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glasslab-bench-'));
  const out: SizeMeasurement[] = [];
  try {
    for (const { width, height, bitrateBps } of sizes) {
      const file = renderInput(settings, dir, width, height);
      const runs: SizeMeasurement['runs'] = { x264: [], openh264: [], ffmpeg: [] };
      for (let rep = 0; rep < settings.repetitions; rep++) {
        runs.x264.push(await runAddon(settings, addon, 'x264', file, width, height, bitrateBps));
        runs.ffmpeg.push(runFfmpeg(settings, file, width, height, bitrateBps, dir));
        runs.openh264.push(await runAddon(settings, addon, 'openh264', file, width, height, bitrateBps));
      }
      rmSync(file);
      const theirs = best(runs.ffmpeg);
      out.push({ width, height, bitrateBps, runs, identicalToFfmpeg: runs.x264.every((r) => r.sha256 === theirs.sha256) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** The ffmpeg version string ("5.1.9-0+deb12u1"). */
export function ffmpegVersion(): string {
  return /ffmpeg version (\S+)/.exec(spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
}
