/**
 * bench/capture: the capture paths (readback, gpu-convert, zero-copy) at 720p60, 1080p60 and
 * 4K30 straight through the native FrameSource, no WebRTC: render → marker stamp + capture →
 * convert → JS, and with --encode each encoder after it. One frame at a time (captureOne, then
 * the encode awaited), so each stage's time is its own and nothing overlaps; zero-copy (GPU
 * surfaces for NVENC, no host pixels) is measured with h264_nvenc only, its import stage apart. Per case: stage
 * p50/p99 (ms), sender CPU per frame (process.cpuUsage over the measured frames ÷ frames, every
 * thread: on lavapipe the rendering too) and the sequential frame rate. Each path runs in the
 * format it produces (readback I420, gpu-convert and zero-copy NV12). A case that cannot run is
 * printed with its reason: probeCapturePaths where the addon has it, else the FrameSource
 * constructor's message; probeEncoders for the encoders.
 *
 *   node --import tsx bench/capture.ts [--quick] [--frames N] [--encode [x264,openh264,h264_nvenc]]
 *                                      [--paths readback,gpu-convert,zero-copy] [--sizes 720p,1080p,4k]
 *
 * --quick: 30 frames per case (8 at 4K) after 2 warm-up frames, under a minute here even with
 * --encode. Prints the table and writes bench/results/capture.json.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../lab/results/atomic.ts';
import { pairingReason } from '../lab/suite/availability.ts';
import { loadNative } from '../src/native/addon.ts';
import type { CapturePath, EncoderCodec, EncoderOptions, EncoderProbe, NativeAddon, NativeEncoder, NativeFrameSource, PixelFormat } from '../src/native/types.ts';
import {
  CAPTURE_BENCH_STAGE_DEFINITIONS, captureTable, emptySamples, fastestRows, measuredRow,
  type CaptureBenchRow, type CaptureCase, type StageSamples,
} from './lib/capture-table.ts';

const SIZES = [
  { size: '720p', width: 1280, height: 720, fps: 60, bitrateBps: 4_000_000 },
  { size: '1080p', width: 1920, height: 1080, fps: 60, bitrateBps: 8_000_000 },
  { size: '4k', width: 3840, height: 2160, fps: 30, bitrateBps: 16_000_000 },
] as const;
type SizeConfig = (typeof SIZES)[number];

const PATHS: readonly CapturePath[] = ['readback', 'gpu-convert', 'zero-copy'];
const ENCODERS: readonly EncoderCodec[] = ['x264', 'openh264', 'h264_nvenc'];
/** The format each path produces. */
const FORMAT_OF: Record<CapturePath, PixelFormat> = { readback: 'i420', 'gpu-convert': 'nv12', 'zero-copy': 'nv12' };
const WARMUP_FRAMES = 2;

interface Options {
  quick: boolean;
  frames: number | undefined;
  encoders: EncoderCodec[];
  paths: CapturePath[];
  sizes: SizeConfig[];
}

function parseOptions(args: readonly string[]): Options {
  const value = (name: string): string | undefined => {
    const at = args.indexOf(`--${name}`);
    const next = at >= 0 ? args[at + 1] : undefined;
    return next !== undefined && !next.startsWith('--') ? next : undefined;
  };
  const list = <T extends string>(name: string, known: readonly T[], fallback: readonly T[]): T[] => {
    const text = value(name);
    if (text === undefined) return [...fallback];
    const items = text.split(',').map((item) => item.trim().toLowerCase());
    const unknown = items.filter((item) => !known.includes(item as T));
    if (unknown.length > 0) throw new Error(`--${name}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})`);
    return items as T[];
  };
  const frames = value('frames');
  const sizeNames = list('sizes', SIZES.map((s) => s.size), SIZES.map((s) => s.size));
  return {
    quick: args.includes('--quick'),
    frames: frames === undefined ? undefined : Math.max(1, Math.floor(Number(frames))),
    encoders: args.includes('--encode') ? list('encode', ENCODERS, ENCODERS) : [],
    paths: list('paths', PATHS, PATHS),
    sizes: SIZES.filter((s) => sizeNames.includes(s.size)),
  };
}

/** Measured frames of a case: --frames, else 120 (60 at 4K), or with --quick 30 (8 at 4K). */
function framesFor(options: Options, size: SizeConfig): number {
  if (options.frames !== undefined) return options.frames;
  const big = size.width * size.height > 1920 * 1080;
  return options.quick ? (big ? 8 : 30) : big ? 60 : 120;
}

const nsToMs = (ns: bigint): number => Number(ns) / 1e6;
const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Why the path cannot run at this size, from probeCapturePaths (undefined: available or not reported). */
async function probeReason(native: Partial<NativeAddon>, path: CapturePath, size: SizeConfig): Promise<string | undefined> {
  if (typeof native.probeCapturePaths !== 'function') return undefined;
  try {
    const report = await native.probeCapturePaths({ width: size.width, height: size.height, pixelFormat: FORMAT_OF[path] });
    const found = report.paths.find((p) => p.path === path);
    return found && !found.available ? (found.reason ?? 'not available (no reason given)') : undefined;
  } catch (error) {
    return `probeCapturePaths failed: ${errorText(error)}`;
  }
}

/** The encoder's options; a zero-copy source's frames need NVENC opened on its CUDA device. */
function encoderOptions(source: NativeFrameSource, codec: EncoderCodec, size: SizeConfig): EncoderOptions {
  const options: EncoderOptions = { codec, width: size.width, height: size.height, fps: size.fps, bitrateBps: size.bitrateBps, gop: 0, threads: 1 };
  // NV12 paths feed the encoder NV12 as it is (as a run does: lab/run/child-options.ts)
  if (source.capturePath !== 'readback') options.inputFormat = 'nv12';
  if (source.cudaDevice !== null) options.cudaDevice = source.cudaDevice;
  return options;
}

/** Measures `frames` frames of `source` (after warm-up), encoding each with `encoder` when given. */
async function measure(source: NativeFrameSource, encoder: NativeEncoder | undefined, frames: number): Promise<{ samples: StageSamples; cpuMicros: number; wallMs: number }> {
  for (let i = 0; i < WARMUP_FRAMES; i++) {
    const frame = await source.captureOne(); // the first frames compile shaders lazily on lavapipe
    if (encoder) await encoder.encode(frame);
  }
  const samples = emptySamples();
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  for (let i = 0; i < frames; i++) {
    const frame = await source.captureOne();
    const inJs = process.hrtime.bigint();
    const t = frame.times;
    samples.render.push(nsToMs(t.renderDoneNs - t.renderSubmitNs));
    samples.capture.push(nsToMs(t.copyDoneNs - t.renderDoneNs));
    samples.convert.push(nsToMs(t.convertDoneNs - t.copyDoneNs));
    samples.deliver.push(nsToMs(inJs - t.convertDoneNs));
    let end = inJs;
    if (encoder) {
      const out = await encoder.encode(frame);
      if (out) {
        // zero-copy: the import (CUDA waits for the conversion, copies into NVENC's input) comes first
        const imported = out.importDoneNs ?? out.encodeStartNs;
        if (out.importDoneNs !== undefined) samples.import.push(nsToMs(out.importDoneNs - out.encodeStartNs));
        samples.encode.push(nsToMs(out.encodeDoneNs - imported));
        end = out.encodeDoneNs;
      }
    }
    samples.total.push(nsToMs(end - t.renderSubmitNs));
  }
  const wallMs = nsToMs(process.hrtime.bigint() - wallStart);
  const cpu = process.cpuUsage(cpuStart);
  return { samples, cpuMicros: cpu.user + cpu.system, wallMs };
}

/** Every case of one path at one size: capture only, then each encoder. */
async function runPathAtSize(native: NativeAddon, options: Options, encoderProbes: EncoderProbe[], capturePath: CapturePath, size: SizeConfig): Promise<CaptureBenchRow[]> {
  const base = { path: capturePath, pixelFormat: FORMAT_OF[capturePath], size: size.size, width: size.width, height: size.height, fps: size.fps };
  const cases: CaptureCase[] = [{ ...base, codec: null }, ...options.encoders.map((codec) => ({ ...base, codec }))];
  const skipAll = (reason: string): CaptureBenchRow[] => cases.map((c) => ({ ...c, skipped: reason }));
  const probed = await probeReason(native, capturePath, size);
  if (probed !== undefined) return skipAll(probed);
  let source: NativeFrameSource;
  try {
    source = new native.FrameSource({ width: size.width, height: size.height, fps: size.fps, capturePath, pixelFormat: FORMAT_OF[capturePath] });
  } catch (error) {
    return skipAll(errorText(error));
  }
  const rows: CaptureBenchRow[] = [];
  try {
    for (const c of cases) {
      const codec = c.codec as EncoderCodec | null;
      const pairing = codec === null ? undefined : pairingReason(capturePath, codec);
      const probe = codec === null ? undefined : encoderProbes.find((p) => p.codec === codec);
      // a zero-copy frame holds its GPU surface until NVENC encodes it (or the GC collects it): unencoded, the ring runs dry
      if (codec === null && capturePath === 'zero-copy') rows.push({ ...c, skipped: 'zero-copy frames stay GPU surfaces until NVENC encodes them: measured with --encode h264_nvenc' });
      else if (pairing !== undefined) rows.push({ ...c, skipped: pairing });
      else if (codec !== null && !probe?.available) rows.push({ ...c, skipped: probe?.reason ?? `probeEncoders() did not report ${codec}` });
      else {
        let encoder: NativeEncoder | undefined;
        try {
          if (codec !== null) encoder = new native.Encoder(encoderOptions(source, codec, size));
          const { samples, cpuMicros, wallMs } = await measure(source, encoder, framesFor(options, size));
          rows.push(measuredRow(c, samples, cpuMicros, wallMs));
        } catch (error) {
          rows.push({ ...c, skipped: `failed: ${errorText(error)}` });
        } finally {
          encoder?.close();
        }
      }
    }
  } finally {
    source.close();
  }
  return rows;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const native = loadNative();
  const encoderProbes = options.encoders.length > 0 ? await native.probeEncoders() : [];
  const device = (await native.listVulkanDevices())[0]?.name ?? 'none';
  const started = performance.now();
  const rows: CaptureBenchRow[] = [];
  for (const size of options.sizes) {
    for (const capturePath of options.paths) rows.push(...(await runPathAtSize(native, options, encoderProbes, capturePath, size)));
  }
  const elapsedS = (performance.now() - started) / 1000;
  const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`capture paths through the native FrameSource (no WebRTC), one frame at a time; device: ${device}; ${os.cpus().length} cores, load ${load}`);
  console.log(`ms p50/p99; cpu/frame = process CPU ms per frame (every thread); seq fps = frames per wall second, nothing overlapped; * = fastest total p50 of its size and encoder\n`);
  console.log(captureTable(rows));
  console.log(`\n${elapsedS.toFixed(1)} s${options.quick ? ' (--quick)' : ''}`);
  const fastest = fastestRows(rows);
  const out = {
    bench: 'capture', when: new Date().toISOString(), quick: options.quick, elapsedS,
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', loadAverage: os.loadavg() }, device,
    settings: { warmupFrames: WARMUP_FRAMES, formats: FORMAT_OF, gop: 0, threads: 1, sizes: options.sizes, encoders: options.encoders },
    stages: CAPTURE_BENCH_STAGE_DEFINITIONS,
    rows: rows.map((row, index) => ({ ...row, fastest: fastest.has(index) })),
  };
  const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(path.join(outDir, 'capture.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.join(outDir, 'capture.json')}`);
}

await main();
