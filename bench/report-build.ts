/**
 * How long `buildReport` takes and how big its outputs are for synthetic runs of growing length
 * (30 fps, 5 media packets per frame). Prints a table and writes bench/results/report-build.json.
 * Run: npx tsx bench/report-build.ts
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport } from '../lab/report/build.ts';
import { syntheticRun, writeSyntheticRunDir } from '../test/report/fixtures.ts';

const DURATIONS_S = [10, 60, 300, 600];

interface Row {
  durationS: number;
  frames: number;
  recordFileMiB: number;
  buildMs: number;
  resultsKiB: number;
  reportKiB: number;
}

const rows: Row[] = [];
for (const durationS of DURATIONS_S) {
  const frameCount = durationS * 30;
  const lostFrames = Array.from({ length: Math.floor(frameCount / 100) }, (_, index) => index * 100 + 37);
  const dir = await writeSyntheticRunDir(syntheticRun({ frameCount, lostFrames, unreadableFrames: [5], incompleteFrames: [], droppedFrames: [] }));
  let recordBytes = 0;
  for (const name of ['sender.ndjson', 'receiver.ndjson', 'run.ndjson']) recordBytes += (await stat(path.join(dir, name))).size;
  const started = process.hrtime.bigint();
  const built = await buildReport(dir, { budgets: ['g2g.p95 <= 120ms'] });
  const buildMs = Number(process.hrtime.bigint() - started) / 1e6;
  rows.push({
    durationS,
    frames: frameCount,
    recordFileMiB: Number((recordBytes / 1024 / 1024).toFixed(1)),
    buildMs: Math.round(buildMs),
    resultsKiB: Math.round((await stat(built.resultsPath)).size / 1024),
    reportKiB: Math.round((await stat(built.reportPath)).size / 1024),
  });
  await rm(dir, { recursive: true, force: true });
}

console.table(rows);
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
await mkdir(outDir, { recursive: true });
await writeFile(
  path.join(outDir, 'report-build.json'),
  JSON.stringify({ bench: 'report-build', node: process.version, cpus: os.cpus().length, date: new Date().toISOString(), rows }, null, 2) + '\n',
);
