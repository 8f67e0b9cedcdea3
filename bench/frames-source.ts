/**
 * Frame source stage times: render (submit -> fence), capture copy (render fence -> copy fence,
 * includes the marker stamp), convert (-> YUV planes in host memory), per capture path and size,
 * p50/p99 in ms over captureOne() frames. Also the cost of copying a frame into a new Buffer,
 * which is what the addon avoids by handing its malloc'd planes to JS as an external Buffer.
 * Usage: npx tsx bench/frames-source.ts [frames=120] [paths=readback,gpu-convert]
 * Writes bench/results/frames-source.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/native/addon.ts';
import type { CapturePath } from '../src/native/types.ts';

const native = loadNative();
const frames = Number(process.argv[2] ?? 120);
const paths = (process.argv[3] ?? 'readback,gpu-convert').split(',') as CapturePath[];
const sizes: Array<[number, number]> = [
  [1280, 720],
  [1920, 1080],
];

/** p-th percentile (0..100) of values in ms, nearest rank. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Row {
  path: CapturePath;
  width: number;
  height: number;
  frames: number;
  stagesMs: Record<string, { p50: number; p99: number }>;
  cpuMsPerFrame: number;
}

const rows: Row[] = [];
for (const capturePath of paths) {
  for (const [width, height] of sizes) {
    let source;
    try {
      source = new native.FrameSource({ width, height, fps: 30, capturePath, pixelFormat: 'nv12' });
    } catch (error) {
      console.log(`${capturePath} ${width}x${height}: skipped (${(error as Error).message})`);
      continue;
    }
    await source.captureOne(); // first frame compiles shaders lazily on lavapipe
    const stages: Record<string, number[]> = { render: [], copy: [], convert: [], total: [], bufferCopy: [] };
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < frames; i++) {
      const f = await source.captureOne();
      const t = f.times;
      stages.render!.push(Number(t.renderDoneNs - t.renderSubmitNs) / 1e6);
      stages.copy!.push(Number(t.copyDoneNs - t.renderDoneNs) / 1e6);
      stages.convert!.push(Number(t.convertDoneNs - t.copyDoneNs) / 1e6);
      stages.total!.push(Number(t.convertDoneNs - t.renderSubmitNs) / 1e6);
      const c0 = process.hrtime.bigint();
      Buffer.from(f.data);
      stages.bufferCopy!.push(Number(process.hrtime.bigint() - c0) / 1e6);
    }
    const cpu = process.cpuUsage(cpuStart);
    source.close();
    const stagesMs: Row['stagesMs'] = {};
    for (const [name, values] of Object.entries(stages)) {
      stagesMs[name] = { p50: percentile(values, 50), p99: percentile(values, 99) };
    }
    // Process CPU time per frame (all threads: lavapipe's, libyuv, JS): less sensitive than
    // wall time to other processes competing for the cores.
    const cpuMsPerFrame = (cpu.user + cpu.system) / 1000 / frames;
    rows.push({ path: capturePath, width, height, frames, stagesMs, cpuMsPerFrame });
  }
}

const fmt = (v: { p50: number; p99: number } | undefined) => (v ? `${v.p50.toFixed(2)} / ${v.p99.toFixed(2)}` : '-');
const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`device: ${(await native.listVulkanDevices())[0]?.name ?? 'none'}; ${os.cpus().length} cores, load ${load}`);
console.log(`ms p50 / p99 over ${frames} frames`);
console.log('path         size       render          copy            convert         total           Buffer copy     cpu/frame');
for (const r of rows) {
  const s = r.stagesMs;
  console.log(
    [
      r.path.padEnd(12),
      `${r.width}x${r.height}`.padEnd(10),
      ...[s.render, s.copy, s.convert, s.total, s.bufferCopy].map((v) => fmt(v).padEnd(15)),
      r.cpuMsPerFrame.toFixed(2),
    ].join(' '),
  );
}
const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results/frames-source.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), loadAverage: os.loadavg(), rows }, null, 2));
console.log(`wrote ${out}`);
