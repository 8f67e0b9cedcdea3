/**
 * Speed of the virtual-time simulator (`glasslab sim`): a 360p30 scenario, x264 at 400 kbit/s,
 * hybrid protection (NACK/RTX + FlexFEC, bursty masks) at 10 % random media loss and 50 ms each
 * way, 30 s simulated, through the same code `glasslab sim` runs. Three rows, measured side by
 * side in one run (best of `REPEATS` each, after a warm-up): the session alone with records
 * discarded (pipelines, link model, driver), the session writing its records as NDJSON, and the
 * whole `glasslab sim` run (folder, records, analysis, report). Speed = simulated time / wall time.
 * Run: node --import tsx bench/sim.ts   (prints a table, writes bench/results/sim.json)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseScenarioText } from '../lab/scenario/load.ts';
import { virtualSessionOptions } from '../lab/sim/session-options.ts';
import { frameSourceOf, runSimulation } from '../lab/sim/run-sim.ts';
import { runVirtualSession } from '../src/sim/virtual-session.ts';
import { NdjsonWriter } from '../src/shared/ndjson.ts';
import type { LabRecord } from '../src/shared/records.ts';

const REPEATS = 3;
const scenario = parseScenarioText(
  `name: sim-bench-360p-hybrid\nduration: 30s\nresolution: 640x360\nfps: 30\nseed: 7\nencoder: { codec: x264, bitrate: 400kbps }\n` +
    `protection: { mode: hybrid, mask: bursty }\nlink: { backend: userspace, delay: 50ms, rate: 20mbit, queue: { packets: 100 }, up: { loss: { model: random, p: 10% } } }\n`,
  'bench.yaml', 7,
);

interface Row { what: string; wallMs: number; simulatedMs: number; speedup: number; records: number }

function sessionOnly(dir: string | undefined): Row {
  let records = 0;
  const writers: NdjsonWriter<LabRecord>[] = [];
  const sink = (name: string): { write: (r: LabRecord) => void } => {
    if (!dir) return { write: () => { records++; } };
    const w = new NdjsonWriter<LabRecord>(path.join(dir, name));
    writers.push(w);
    return { write: (r) => { records++; w.write(r); } };
  };
  const sender = sink('sender.ndjson');
  const receiver = sink('receiver.ndjson');
  const start = performance.now();
  const result = runVirtualSession(virtualSessionOptions(scenario, { frames: frameSourceOf(scenario, undefined), startMs: 1000, sender, receiver, linkFates: () => {} }));
  for (const w of writers) w.close();
  const wallMs = performance.now() - start;
  return { what: dir ? 'session, records to NDJSON' : 'session, records discarded', wallMs, simulatedMs: result.virtualMs, speedup: result.virtualMs / wallMs, records };
}

async function wholeRun(root: string): Promise<Row> {
  const start = performance.now();
  const run = await runSimulation(scenario, { runsRoot: root });
  const wallMs = performance.now() - start;
  return { what: 'glasslab sim (folder, analysis, report)', wallMs, simulatedMs: run.simulation.virtualMs, speedup: run.simulation.virtualMs / wallMs, records: 0 };
}

const best = (rows: Row[]): Row => rows.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'glasslab-bench-sim-'));
try {
  sessionOnly(undefined); // warm-up
  const rows: Row[][] = [[], [], []];
  for (let i = 0; i < REPEATS; i++) {
    rows[0]!.push(sessionOnly(undefined));
    const dir = mkdtempSync(path.join(tmp, 'records-'));
    rows[1]!.push(sessionOnly(dir));
    rows[2]!.push(await wholeRun(path.join(tmp, 'runs')));
  }
  const table = rows.map(best);
  console.log(`simulator speed: ${scenario.name}, ${scenario.durationMs / 1000} s simulated, best of ${REPEATS}`);
  console.log(`${'what'.padEnd(42)} ${'wall ms'.padStart(9)} ${'× real time'.padStart(12)}`);
  for (const r of table) console.log(`${r.what.padEnd(42)} ${r.wallMs.toFixed(0).padStart(9)} ${r.speedup.toFixed(0).padStart(12)}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/sim.json', `${JSON.stringify({ scenario: scenario.name, simulatedS: scenario.durationMs / 1000, repeats: REPEATS, rows: table, machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}` }, null, 2)}\n`);
  console.log('wrote bench/results/sim.json');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
