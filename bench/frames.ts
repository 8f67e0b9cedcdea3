/**
 * bench/frames: the native frame pipeline paced as in a run (render → marker stamp + readback →
 * convert → deliver to JS → encode), per-stage p50/p99 in ms and sustained fps for 720p30 and
 * 1080p60 on x264 and openh264. Anchor in the same run, per resolution and with the same encoder
 * settings: ffmpeg's libx264 CLI and our addon encoding unpaced (encode fps), side by side
 * (bench/lib/encode-throughput.ts, shared with bench/encode.ts).
 *
 *   node --import tsx bench/frames.ts [--seconds 5] [--anchor-frames 300] [--reps 2]
 *
 * Prints tables and writes bench/results/frames.json.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../lab/results/atomic.ts';
import { loadNative } from '../src/native/addon.ts';
import type { EncoderCodec, NativeAddon, RawFrame } from '../src/native/types.ts';
import { bestRun, compareEncodeThroughput, ffmpegVersion, x264SettingsText, type EncodeSettings } from './lib/encode-throughput.ts';

/** Per-frame stage durations, ms. */
interface StageSamples {
  /** render submit → render fence observed */
  render: number[];
  /** render done → marker stamped and pixels read back (fence observed) */
  copy: number[];
  /** readback → I420 planes (libyuv) */
  convert: number[];
  /** convert done → frame in the JS callback (thread-safe function hop) */
  deliver: number[];
  /** frame in JS → encoder started (waiting behind the previous frame; backpressure, not overhead) */
  queue: number[];
  /** encoder call on its worker */
  encode: number[];
  /** encode done → promise resolved in JS */
  settle: number[];
  /** what the pipeline adds besides render, encode and queueing: copy + convert + deliver + settle */
  overhead: number[];
}
type Stage = keyof StageSamples;
const stages: Stage[] = ['render', 'copy', 'convert', 'deliver', 'queue', 'encode', 'settle', 'overhead'];

/** One paced case's result. */
interface CaseResult {
  name: string;
  codec: EncoderCodec;
  width: number;
  height: number;
  fps: number;
  bitrateBps: number;
  seconds: number;
  framesRendered: number;
  framesEncoded: number;
  /** frames encoded per wall second from start() to the last encode settled */
  sustainedFps: number;
  missedTicks: number;
  droppedQueueFull: number;
  /** output bitrate, kilobits per second */
  kbps: number;
  stagesMs: Record<Stage, { p50: number; p99: number }>;
}

/** Unpaced encode throughput of one resolution: ours vs ffmpeg with the same settings. */
interface Anchor {
  size: string;
  settings: EncodeSettings;
  ffmpegX264Fps: number;
  oursX264Fps: number;
  oursOpenh264Fps: number;
  /** ours x264 fps / ffmpeg fps, best runs */
  x264VsFfmpeg: number;
  allFps: { ffmpeg: number[]; x264: number[]; openh264: number[] };
}

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/** p-th percentile (0..100), nearest rank; NaN for no values. */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Encoder bitrate of a case: 1/15 bit per pixel per frame (1.8 Mbit/s at 720p30, 8.3 Mbit/s at 1080p60). */
const caseBitrate = (width: number, height: number, fps: number): number => Math.round((width * height * fps) / 15);

async function runCase(native: NativeAddon, codec: EncoderCodec, width: number, height: number, fps: number, seconds: number): Promise<CaseResult> {
  const bitrateBps = caseBitrate(width, height, fps);
  const source = new native.FrameSource({ width, height, fps, capturePath: 'readback', pixelFormat: 'i420' });
  const encoder = new native.Encoder({ codec, width, height, fps, bitrateBps, gop: 0, threads: 1 });
  const samples: StageSamples = { render: [], copy: [], convert: [], deliver: [], queue: [], encode: [], settle: [], overhead: [] };
  let encoded = 0;
  let bytes = 0;
  let chain = Promise.resolve();
  const started = process.hrtime.bigint();
  let lastSettled = started;
  source.start((frame: RawFrame) => {
    const inJs = process.hrtime.bigint();
    const pending = encoder.encode(frame); // queued on the encoder in call order
    chain = chain.then(async () => {
      const out = await pending;
      const settled = process.hrtime.bigint();
      lastSettled = settled;
      if (!out) return;
      encoded++;
      bytes += out.data.length;
      const t = frame.times;
      const copy = nsToMs(t.copyDoneNs - t.renderDoneNs);
      const convert = nsToMs(t.convertDoneNs - t.copyDoneNs);
      const deliver = nsToMs(inJs - t.convertDoneNs);
      const settle = nsToMs(settled - out.encodeDoneNs);
      samples.render.push(nsToMs(t.renderDoneNs - t.renderSubmitNs));
      samples.copy.push(copy);
      samples.convert.push(convert);
      samples.deliver.push(deliver);
      samples.queue.push(nsToMs(out.encodeStartNs - inJs));
      samples.encode.push(nsToMs(out.encodeDoneNs - out.encodeStartNs));
      samples.settle.push(settle);
      samples.overhead.push(copy + convert + deliver + settle);
    });
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await source.stop();
  await chain;
  const elapsedS = Number(lastSettled - started) / 1e9;
  const stats = source.stats();
  encoder.close();
  source.close();
  const stagesMs = Object.fromEntries(
    stages.map((stage) => [stage, { p50: percentile(samples[stage], 50), p99: percentile(samples[stage], 99) }]),
  ) as CaseResult['stagesMs'];
  return {
    name: `${height}p${fps} ${codec}`, codec, width, height, fps, bitrateBps, seconds,
    framesRendered: stats.rendered, framesEncoded: encoded, sustainedFps: encoded / elapsedS,
    missedTicks: stats.missedTicks, droppedQueueFull: stats.droppedQueueFull,
    kbps: (bytes * 8) / elapsedS / 1000, stagesMs,
  };
}

async function measureAnchor(native: NativeAddon, settings: EncodeSettings, repetitions: number, dir: string): Promise<Anchor> {
  const runs = await compareEncodeThroughput(native, settings, repetitions, dir);
  const [ours, theirs, cisco] = [bestRun(runs.x264), bestRun(runs.ffmpeg), bestRun(runs.openh264)];
  return {
    size: `${settings.width}x${settings.height}@${settings.fps}`, settings,
    ffmpegX264Fps: theirs.fps, oursX264Fps: ours.fps, oursOpenh264Fps: cisco.fps, x264VsFfmpeg: ours.fps / theirs.fps,
    allFps: { ffmpeg: runs.ffmpeg.map((r) => r.fps), x264: runs.x264.map((r) => r.fps), openh264: runs.openh264.map((r) => r.fps) },
  };
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function printTables(cases: CaseResult[], anchors: Anchor[]): void {
  console.log('paced pipeline, ms p50/p99 (overhead = copy + convert + deliver + settle)');
  console.log('case             fps   sust    drop/miss ' + stages.map((s) => s.padEnd(13)).join(''));
  for (const c of cases) {
    console.log(
      `${c.name.padEnd(17)}${String(c.fps).padEnd(6)}${fmt(c.sustainedFps, 1).padEnd(8)}${`${c.droppedQueueFull}/${c.missedTicks}`.padEnd(10)}` +
        stages.map((s) => `${fmt(c.stagesMs[s].p50)}/${fmt(c.stagesMs[s].p99)}`.padEnd(13)).join(''),
    );
  }
  console.log('\nencode throughput, unpaced, same settings (testsrc2 input, threads 1, gop 0), fps:');
  console.log('size            ffmpeg x264  ours x264  ours/ffmpeg  ours openh264');
  for (const a of anchors) {
    console.log(`${a.size.padEnd(16)}${fmt(a.ffmpegX264Fps, 1).padEnd(13)}${fmt(a.oursX264Fps, 1).padEnd(11)}${fmt(a.x264VsFfmpeg, 3).padEnd(13)}${fmt(a.oursOpenh264Fps, 1)}`);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number): number => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const seconds = option('seconds', 5);
  const anchorFrames = option('anchor-frames', 300);
  const repetitions = option('reps', 2);
  const native = loadNative();
  const configs = [
    [1280, 720, 30],
    [1920, 1080, 60],
  ] as const;
  const cases: CaseResult[] = [];
  const anchors: Anchor[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-frames-'));
  try {
    for (const [width, height, fps] of configs) {
      for (const codec of ['x264', 'openh264'] as const) cases.push(await runCase(native, codec, width, height, fps, seconds));
      const settings: EncodeSettings = { width, height, fps, bitrateBps: caseBitrate(width, height, fps), gop: 0, frameCount: anchorFrames };
      anchors.push(await measureAnchor(native, settings, repetitions, dir));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  printTables(cases, anchors);
  const at720 = cases.filter((c) => c.height === 720);
  const targets = {
    /** ours within 10 % of ffmpeg's libx264 with identical settings */
    x264WithinTenPercentOfFfmpeg: anchors.every((a) => a.x264VsFfmpeg >= 0.9),
    /** pipeline overhead p50 ≤ 2 ms at 720p */
    overheadP50AtMost2MsAt720p: at720.every((c) => c.stagesMs.overhead.p50 <= 2),
  };
  console.log(`\ntargets: ${JSON.stringify(targets)}`);
  const out = {
    bench: 'frames', when: new Date().toISOString(), seconds,
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg() },
    settings: { capturePath: 'readback', pixelFormat: 'i420', gop: 0, threads: 1, bitrate: 'width*height*fps/15 bit/s', x264: x264SettingsText, ffmpeg: ffmpegVersion() },
    cases, anchors, targets,
  };
  const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(path.join(outDir, 'frames.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.join(outDir, 'frames.json')}`);
}

await main();
