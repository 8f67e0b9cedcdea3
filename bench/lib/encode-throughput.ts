/**
 * Encode throughput measurement shared by bench/encode.ts and bench/frames.ts: our addon's
 * encoder against the ffmpeg CLI with identical libx264 settings and thread count, on the same
 * input (ffmpeg's testsrc2 rendered once to a raw I420 file, read frame by frame by both sides so
 * neither pays for generation). Unpaced: frames go in as fast as the encoder takes them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EncoderCodec, NativeAddon, RawFrame } from '../../src/native/types.ts';

/** What is encoded: the same for the addon and for ffmpeg. */
export interface EncodeSettings {
  width: number;
  height: number;
  /** frame rate the rate control assumes, frames per second */
  fps: number;
  /** bits per second (maxrate = bitrate, VBV one frame, as the addon's default) */
  bitrateBps: number;
  /** keyframe interval in frames; 0 = first frame only (x264 keyint 1 << 30, as enc_lavc.cc) */
  gop: number;
  /** frames in the input file and encoded per run */
  frameCount: number;
}

/** One measured run. */
export interface EncodeRun {
  /** frames encoded per second of wall time */
  fps: number;
  /** frames per CPU second (user + system of the whole process): robust to a busy host */
  cpuFps: number;
  /** output bitrate, kilobits per second at the settings' fps */
  kbps: number;
  /** mean encoder call time per frame, ms (addon only: encodeDoneNs − encodeStartNs) */
  encodeMs?: number;
  /** sha256 of the whole Annex-B output */
  sha256: string;
  /** time the Encoder constructor took (codec open on the calling thread), ms (addon only) */
  openMs?: number;
}

/** The x264 settings enc_lavc.cc applies at threads = 1 (kept identical here for ffmpeg). */
export const x264Params = 'repeat-headers=1:annexb=1:scenecut=0:rc-lookahead=0:bframes=0:sliced-threads=0';

/** Human-readable summary of the shared x264 settings. */
export const x264SettingsText = `preset ultrafast, tune zerolatency, bf 0, threads 1, VBV 1 frame, maxrate = bitrate, x264-params ${x264Params}`;

/** Renders ffmpeg's testsrc2 into `dir` as raw I420 (frameCount frames); returns the file path. */
export function renderTestInput(dir: string, s: EncodeSettings): string {
  const file = path.join(dir, `testsrc2-${s.width}x${s.height}-${s.fps}.yuv`);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i',
    `testsrc2=size=${s.width}x${s.height}:rate=${s.fps}`, '-frames:v', String(s.frameCount), '-pix_fmt', 'yuv420p',
    '-f', 'rawvideo', file]);
  return file;
}

/** The ffmpeg version string, e.g. "5.1.6-0+deb12u1", or "unknown". */
export function ffmpegVersion(): string {
  return /ffmpeg version (\S+)/.exec(spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
}

/** Encodes the raw file with the addon (threads 1), one frame after the other. */
export async function measureAddonEncode(addon: NativeAddon, codec: EncoderCodec, file: string, s: EncodeSettings): Promise<EncodeRun> {
  const { width, height } = s;
  const ySize = width * height;
  const frameBytes = ySize * 1.5;
  const data = Buffer.alloc(frameBytes);
  const fd = openSync(file, 'r');
  const openStart = process.hrtime.bigint();
  const encoder = new addon.Encoder({ codec, width, height, fps: s.fps, bitrateBps: s.bitrateBps, gop: s.gop, threads: 1 });
  const openMs = Number(process.hrtime.bigint() - openStart) / 1e6;
  let bytes = 0;
  let encodeNs = 0n;
  const hash = createHash('sha256');
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  try {
    for (let i = 0; i < s.frameCount; i++) {
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
  } finally {
    encoder.close();
    closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    fps: s.frameCount / seconds, cpuFps: s.frameCount / cpuSeconds, kbps: (bytes * 8 * s.fps) / s.frameCount / 1000,
    encodeMs: Number(encodeNs) / 1e6 / s.frameCount, openMs, sha256: hash.digest('hex'),
  };
}

function ffmpegArgs(file: string, s: EncodeSettings, outFile: string): string[] {
  const keyint = s.gop > 0 ? s.gop : 1 << 30;
  return ['-hide_banner', '-nostats', '-benchmark', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${s.width}x${s.height}`, '-r', String(s.fps), '-i', file,
    '-frames:v', String(s.frameCount), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency',
    '-bf', '0', '-threads', '1', '-g', String(keyint), '-forced-idr', '1',
    '-b:v', String(s.bitrateBps), '-maxrate', String(s.bitrateBps), '-bufsize', String(Math.round(s.bitrateBps / s.fps)),
    '-x264-params', x264Params, '-f', 'h264', outFile];
}

/** Encodes the raw file with the ffmpeg CLI and takes its "bench: ... rtime=S" line (wall seconds of the whole run). */
export function measureFfmpegEncode(file: string, s: EncodeSettings, dir: string): EncodeRun {
  const outFile = path.join(dir, 'ffmpeg-out.h264');
  const result = spawnSync('ffmpeg', ffmpegArgs(file, s, outFile), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ffmpeg failed (${result.status}): ${result.stderr}`);
  const match = /utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(result.stderr);
  if (!match) throw new Error(`no -benchmark line in ffmpeg output:\n${result.stderr}`);
  const cpuSeconds = Number(match[1]) + Number(match[2]);
  const output = readFileSync(outFile);
  return {
    fps: s.frameCount / Number(match[3]), cpuFps: s.frameCount / cpuSeconds, kbps: (output.length * 8 * s.fps) / s.frameCount / 1000,
    sha256: createHash('sha256').update(output).digest('hex'),
  };
}

/** The run with the highest wall-clock fps. */
export const bestRun = (runs: EncodeRun[]): EncodeRun => runs.reduce((a, b) => (b.fps > a.fps ? b : a));

/** The highest frames per CPU second over the runs. */
export const bestCpuFps = (runs: EncodeRun[]): number => Math.max(...runs.map((r) => r.cpuFps));

/** Median over repetitions of ours/theirs fps measured back to back: steadier than best-of on a busy host. */
export function pairedMedianRatio(ours: EncodeRun[], theirs: EncodeRun[]): number {
  const ratios = ours.map((run, i) => run.fps / theirs[i]!.fps).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

/** Addon x264, ffmpeg libx264 and addon openh264 runs of one input, interleaved repetitions. */
export interface ThroughputComparison {
  x264: EncodeRun[];
  ffmpeg: EncodeRun[];
  openh264: EncodeRun[];
}

/** Renders the input into `dir`, runs the three encoders `repetitions` times interleaved, deletes the input. */
export async function compareEncodeThroughput(addon: NativeAddon, s: EncodeSettings, repetitions: number, dir: string): Promise<ThroughputComparison> {
  const file = renderTestInput(dir, s);
  const runs: ThroughputComparison = { x264: [], ffmpeg: [], openh264: [] };
  try {
    for (let rep = 0; rep < repetitions; rep++) {
      runs.x264.push(await measureAddonEncode(addon, 'x264', file, s));
      runs.ffmpeg.push(measureFfmpegEncode(file, s, dir));
      runs.openh264.push(await measureAddonEncode(addon, 'openh264', file, s));
    }
  } finally {
    rmSync(file, { force: true });
  }
  return runs;
}
