/**
 * Fixtures for suite tests: real run folders (synthetic records analysed by buildReport, so each
 * has results.json and report.html) and results.json documents with a recovery section, all
 * validated against the results schema.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildReport } from '../../lab/report/build.ts';
import { validateResults, type RecoverySummary, type Results } from '../../lab/results/schema.ts';
import { createRunFolder } from '../../lab/run/run-folder.ts';
import type { LabRecord } from '../../src/shared/records.ts';
import { syntheticRun } from '../report/fixtures.ts';

const emptyDistribution = { count: 0, min: null, mean: null, p50: null, p95: null, p99: null, max: null };
const distribution = (p50: number): RecoverySummary['nackToRtxMs'] => ({ count: 10, min: p50 / 2, mean: p50, p50, p95: p50 * 2, p99: p50 * 2, max: p50 * 2 });

/** What a fixture's recovery section says; ratios follow from the counts. */
export interface RecoveryNumbers {
  mode: 'none' | 'nack' | 'fec' | 'hybrid';
  sent: number;
  fec: number;
  rtx: number;
  tooLate: number;
  never: number;
  /** FEC bytes / media bytes */
  fecOverhead: number | null;
  nackToRtxP50Ms: number | null;
  keyframeRequests: number;
}

/** A recovery section consistent with the numbers (dropped = fec + rtx + tooLate + never). */
export function fixtureRecovery(n: RecoveryNumbers): RecoverySummary {
  const dropped = n.fec + n.rtx + n.tooLate + n.never;
  const of = (value: number): number | null => (dropped === 0 ? null : value / dropped);
  const withFec = n.mode === 'fec' || n.mode === 'hybrid';
  const totals = { dropped, fec: n.fec, rtx: n.rtx, tooLate: n.tooLate, never: n.never };
  return {
    mode: n.mode,
    fecScheme: withFec ? 'flexfec' : null,
    maskType: withFec ? 'random' : null,
    rateTable: withFec ? { source: 'libwebrtc', rows: 50, comparedCells: 6450, differingCells: 0, maxAbsDiff: 0, meanDiff: 0 } : null,
    mediaPacketsSent: n.sent,
    totals,
    fecRecoveryRatio: of(n.fec),
    rtxRecoveryRatio: of(n.rtx),
    tooLateRatio: of(n.tooLate),
    neverRatio: of(n.never),
    residualLoss: (n.never + n.tooLate) / n.sent,
    fecOverhead: n.fecOverhead,
    rtxOverhead: n.rtx > 0 ? 0.04 : 0,
    fecRecoverable: withFec ? n.fec : null,
    fecPacketsSent: withFec ? Math.round(n.sent * (n.fecOverhead ?? 0)) : 0,
    fecPacketsDropped: 0,
    nacksSent: n.rtx,
    nackedSeqsSent: n.rtx,
    nacksReceived: n.rtx,
    rtxSent: n.rtx,
    rtxDropped: 0,
    rtxRefused: {},
    spuriousRtx: 0,
    nackGivenUp: 0,
    lossToRtxMs: n.nackToRtxP50Ms === null ? emptyDistribution : distribution(n.nackToRtxP50Ms + 5),
    nackToRtxMs: n.nackToRtxP50Ms === null ? emptyDistribution : distribution(n.nackToRtxP50Ms),
    keyframeRequests: n.keyframeRequests,
    freezes: 1,
    g2gByPath: { clean: distribution(40), fec: distribution(45), rtx: n.rtx > 0 ? distribution(90) : emptyDistribution },
    overTime: { binMs: 1000, startS: [0, 1], bins: [totals, { dropped: 0, fec: 0, rtx: 0, tooLate: 0, never: 0 }] },
  };
}

const ndjson = (records: LabRecord[]): string => records.map((record) => JSON.stringify(record)).join('\n') + '\n';

/**
 * A run folder under `runsRoot` named like a real run's, with synthetic records analysed by
 * buildReport (results.json, report.html, junit.xml); `recovery` (when given) is written into its
 * results.json, which is validated. Returns the folder and its results.
 */
export async function fixtureRunFolder(runsRoot: string, name: string, options: { seed?: number; budgets?: string[]; recovery?: RecoveryNumbers | null } = {}): Promise<{ runDir: string; results: Results }> {
  const { dir } = await createRunFolder(runsRoot, name);
  const run = syntheticRun({ seed: options.seed ?? 7 });
  for (const record of run.run) {
    if (record.type === 'event' && record.name === 'run-start') record.detail = { ...record.detail, scenario: name, runId: path.basename(dir) };
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'sender.ndjson'), ndjson(run.sender));
  await writeFile(path.join(dir, 'receiver.ndjson'), ndjson(run.receiver));
  await writeFile(path.join(dir, 'run.ndjson'), ndjson(run.run));
  await writeFile(path.join(dir, 'scenario.yaml'), `name: ${name}\nbudgets: ${JSON.stringify(options.budgets ?? [])}\n`);
  const { results } = await buildReport(dir);
  const withRecovery = { ...results, recovery: options.recovery ? fixtureRecovery(options.recovery) : null };
  const validated = validateResults(withRecovery);
  if (!validated.ok) throw validated.error;
  await writeFile(path.join(dir, 'results.json'), JSON.stringify(validated.results, null, 2) + '\n');
  return { runDir: dir, results: validated.results };
}
