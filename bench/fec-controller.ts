/**
 * bench/fec-controller: cost of one FEC controller update and of one computeProtection call
 * (µs per call, median of 5 rounds), over a rotating set of inputs so branches vary.
 *
 *   node --import tsx bench/fec-controller.ts [--calls 200000]
 *
 * Prints a table and writes bench/results/fec-controller.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultFecController } from '../src/sender/fec-controller/controller.ts';
import { computeProtection, type ProtectionInput } from '../src/sender/fec-controller/protection.ts';
import { resolveProtectionOptions } from '../src/sender/fec-controller/protection-options.ts';

const argIndex = process.argv.indexOf('--calls');
const calls = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 200_000;
const rounds = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeRounds(run: () => number): { usPerCall: number; sink: number } {
  const samples: number[] = [];
  let sink = 0;
  run(); // warm-up
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    sink += run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3 / calls);
  }
  return { usPerCall: median(samples), sink };
}

const options = resolveProtectionOptions();
const inputs: ProtectionInput[] = [];
for (const method of ['fec', 'nack-fec'] as const)
  for (const targetBitrateBps of [150e3, 600e3, 1.5e6, 4e6])
    for (const [width, height] of [[640, 360], [1280, 720], [1920, 1080]] as const)
      for (const lossFraction255 of [0, 5, 26, 77])
        inputs.push({ method, targetBitrateBps, frameRateFps: 30, width, height, lossFraction255, rttMs: 60, packetsPerDeltaFrame: 3, packetsPerKeyFrame: 15 });

const protection = timeRounds(() => {
  let s = 0;
  for (let i = 0; i < calls; i++) s += computeProtection(inputs[i % inputs.length]!, options).deltaFactor;
  return s;
});

const controller = new DefaultFecController({ method: 'nack-fec', encoding: { width: 1280, height: 720 } });
let nowMs = 0;
const update = timeRounds(() => {
  let s = 0;
  for (let i = 0; i < calls; i++) {
    nowMs += 33;
    const out = controller.update({ nowMs, targetBitrateBps: 500e3 + (i % 40) * 100e3, lossFraction255: (i * 7) % 90, rttMs: 10 + (i % 30) * 10, frameRateFps: 30, sentRates: { videoBps: 1e6, nackBps: 2e4, fecBps: 1e5 } });
    s += out.delta.fecRate;
  }
  return s;
});

const rows = [
  { case: 'computeProtection', usPerCall: protection.usPerCall, callsPerSecond: 1e6 / protection.usPerCall },
  { case: 'DefaultFecController.update', usPerCall: update.usPerCall, callsPerSecond: 1e6 / update.usPerCall },
];
console.log(`calls per round: ${calls}, rounds: ${rounds} (median), node ${process.version}`);
console.table(rows.map((r) => ({ case: r.case, 'µs/call': r.usPerCall.toFixed(3), 'calls/s': Math.round(r.callsPerSecond).toLocaleString('en') })));
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'results');
await mkdir(outDir, { recursive: true });
await writeFile(path.join(outDir, 'fec-controller.json'), `${JSON.stringify({ bench: 'fec-controller', node: process.version, calls, rounds, results: rows, sink: protection.sink + update.sink }, null, 2)}\n`);
