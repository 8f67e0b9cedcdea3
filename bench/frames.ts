/**
 * bench/frames: the native frame pipeline, paced as in a run (render → readback → convert →
 * encode), per stage p50/p99 and sustained fps for 720p30 and 1080p60 on x264 and openh264.
 * Anchor in the same run: ffmpeg's libx264 with identical settings on a lavfi test source.
 *
 *   node --import tsx bench/frames.ts [--seconds 5]
 *
 * Prints a table and writes bench/results/frames.json.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadNative } from '../src/native/addon.ts';
import type { EncoderCodec, RawFrame } from '../src/native/types.ts';
import { writeFileAtomic } from '../lab/results/atomic.ts';
import { best, bestCpu, ffmpegVersion, measureEncodeThroughput, round } from './lib/encode-throughput.ts';

interface StageSamples {
  render: number[];
  copy: number[];
  convert: number[];
  /** convert done → frame in JS (thread-safe callback hop) */
  deliver: number[];
  /** frame in JS → encoder started (queueing behind the previous frame) */
  queue: number[];
  encode: number[];
  /** encode done → promise resolved in JS */
  settle: number[];
  /** everything besides render and encode: copy + convert + deliver + settle */
  overhead: number[];
}

interface CaseResult {
  name: string;
  codec: EncoderCodec;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  framesRendered: number;
  framesEncoded: number;
  sustainedFps: number;
  missedTicks: number;
  droppedQueueFull: number;
  stagesMs: Record<keyof StageSamples, { p50: number; p99: number }>;
}

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function runCase(codec: EncoderCodec, width: number, height: number, fps: number, seconds: number): Promise<CaseResult> {
  const native = loadNative();
  const source = new native.FrameSource({ width, height, fps, capturePath: 'readback', pixelFormat: 'i420' });
  const encoder = new native.Encoder({ codec, width, height, fps, bitrateBps: Math.round((width * height * fps) / 15), gop: 0, threads: 1 });
  const samples: StageSamples = { render: [], copy: [], convert: [], deliver: [], queue: [], encode: [], settle: [], overhead: [] };
  let encoded = 0;
  let chain = Promise.resolve();
  const started = process.hrtime.bigint();
  source.start((frame: RawFrame) => {
    const inJs = process.hrtime.bigint();
    chain = chain.then(async () => {
      const out = await encoder.encode(frame);
      const settled = process.hrtime.bigint();
      if (!out) return;
      encoded++;
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
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = source.stats();
  encoder.close();
  source.close();
  const stagesMs = Object.fromEntries(
    Object.entries(samples).map(([stage, values]) => [stage, { p50: percentile(values, 50), p99: percentile(values, 99) }]),
  ) as CaseResult['stagesMs'];
  return {
    name: `${height}p${fps} ${codec}`,
    codec,
    width,
    height,
    fps,
    seconds,
    framesRendered: stats.rendered,
    framesEncoded: encoded,
    sustainedFps: encoded / elapsedS,
    missedTicks: stats.missedTicks,
    droppedQueueFull: stats.droppedQueueFull,
    stagesMs,
  };
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');

async function main(): Promise<void> {
  const secondsArg = process.argv.indexOf('--seconds');
  const seconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 5;
  const cases: CaseResult[] = [];
  for (const [width, height, fps] of [
    [1280, 720, 30],
    [1920, 1080, 60],
  ] as const) {
    for (const codec of ['x264', 'openh264'] as const) cases.push(await runCase(codec, width, height, fps, seconds));
  }
  // Anchor, same run: unpaced encode throughput, ours vs ffmpeg's libx264 with identical settings.
  const throughput = await measureEncodeThroughput(loadNative(), { frameCount: 300, repetitions: 3, fps: 30, gop: 60 }, [
    { width: 1280, height: 720, bitrateBps: 2_500_000 },
    { width: 1920, height: 1080, bitrateBps: 5_000_000 },
  ]);
  const anchors = throughput.map((m) => ({
    size: `${m.width}x${m.height}`,
    oursX264Fps: round(best(m.runs.x264).fps),
    ffmpegX264Fps: round(best(m.runs.ffmpeg).fps),
    ratio: round(best(m.runs.x264).fps / best(m.runs.ffmpeg).fps, 3),
    cpuRatio: round(bestCpu(m.runs.x264) / bestCpu(m.runs.ffmpeg), 3),
    oursOpenh264Fps: round(best(m.runs.openh264).fps),
    identicalBitstream: m.identicalToFfmpeg,
  }));

  const stages: (keyof StageSamples)[] = ['render', 'copy', 'convert', 'deliver', 'queue', 'encode', 'settle', 'overhead'];
  console.log('case              fps(sust)  ' + stages.map((s) => `${s} p50/p99`.padEnd(18)).join(''));
  for (const c of cases) {
    console.log(
      `${c.name.padEnd(18)}${fmt(c.sustainedFps).padEnd(11)}` +
        stages.map((s) => `${fmt(c.stagesMs[s].p50)}/${fmt(c.stagesMs[s].p99)}`.padEnd(18)).join(''),
    );
  }
  console.log(`\nencode throughput (unpaced, 1 thread), ours vs ffmpeg ${ffmpegVersion()} libx264 with identical settings, same run:`);
  console.table(anchors);
  const out = { bench: 'frames', date: new Date().toISOString(), loadAverage: os.loadavg(), seconds, cases, encodeThroughput: anchors };
  await mkdir(path.resolve('bench/results'), { recursive: true });
  await writeFileAtomic(path.resolve('bench/results/frames.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('\nwrote bench/results/frames.json');
}

await main();
