/**
 * `glasslab report <run-dir>`: reads a run folder's records, computes the metrics, evaluates the
 * budgets, and writes results.json (validated), report.html and, when there are budgets, junit.xml
 * — each atomically, so a reader never sees half a file.
 */
import path from 'node:path';
import { evaluateBudget, parseBudgets } from '../metrics/budgets.ts';
import { computeRunMetrics, peerCongestionSeries, type RunSeries } from '../metrics/compute.ts';
import { computeLinkMetrics, type LinkSeries } from '../metrics/link.ts';
import { computeRecovery, type RecoverySeries } from '../metrics/recovery.ts';
import { computeCongestion } from '../metrics/congestion.ts';
import { computeRelay } from '../metrics/relay.ts';
import { computeRelayHop } from '../metrics/relay-hop.ts';
import { computeChromium } from '../metrics/chromium.ts';
import { peerSenderPackets } from '../metrics/peer-sender-packets.ts';
import { peerWarnings, runWarnings } from '../metrics/warnings.ts';
import { writeFileAtomic } from '../results/atomic.ts';
import { environmentSummary } from '../results/environment.ts';
import { renderJunit } from '../results/junit.ts';
import { RESULTS_SCHEMA_VERSION, validateResults, type Outcome, type Results } from '../results/schema.ts';
import type { EventRecord } from '../../src/shared/records.ts';
import { loadRun, RunFolderError, type LoadedRun } from './load-run.ts';
import type { RecordLineProblem } from './record-problems.ts';
import { renderReport } from './render.ts';

/** Options of {@link buildReport}; each overrides what the run folder says. */
export interface BuildReportOptions {
  scenario?: string;
  runId?: string;
  /** budget expressions, e.g. ["g2g.p95 <= 120ms"]; default: the scenario file's `budgets` */
  budgets?: string[];
  outcome?: Outcome;
  /** where to write the outputs (default: the run folder) */
  outDir?: string;
  /**
   * refuse (RunFolderError, nothing written) a folder whose numbers cannot be trusted: no scenario
   * file (its budgets would be dropped silently) or impossible counts; `glasslab report` sets it
   */
  refuseUnusable?: boolean;
}

/** What {@link buildReport} produced. */
export interface BuiltReport {
  results: Results;
  series: RunSeries;
  /** link charts' series; null for loopback runs */
  linkSeries: LinkSeries | null;
  /** loss recovery charts' series; null without a fate log */
  recoverySeries: RecoverySeries | null;
  resultsPath: string;
  reportPath: string;
  /** only when budgets were set */
  junitPath?: string;
  /** the record lines that could not be used, by file and line */
  lineProblems: RecordLineProblem[];
}

const OUTCOMES = new Set(['completed', 'failed', 'interrupted']);

function lastEvent(events: readonly EventRecord[], name: string): EventRecord | undefined {
  return events.filter((event) => event.name === name).sort((a, b) => a.timeMs - b.timeMs).at(-1);
}

function detailString(event: EventRecord | undefined, key: string): string | undefined {
  const value = event?.detail?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function wallClock(event: EventRecord | undefined): string | undefined {
  const text = detailString(event, 'wallClock');
  return text !== undefined && !Number.isNaN(Date.parse(text)) ? new Date(text).toISOString() : undefined;
}

function outcomeFrom(endEvent: EventRecord | undefined, truncatedFiles: readonly string[], runStatus: LoadedRun['status']): Outcome {
  const status = detailString(endEvent, 'status');
  const message = detailString(endEvent, 'message');
  if (status !== undefined && OUTCOMES.has(status)) return { status: status as Outcome['status'], ...(message ? { message } : {}) };
  // no run-end record: status.json may know more (e.g. marked interrupted after its owner died)
  if (runStatus !== undefined && runStatus.state !== 'running') return { status: runStatus.state, ...(runStatus.message ? { message: runStatus.message } : {}) };
  const truncated = truncatedFiles.length > 0 ? `; last line cut short in ${truncatedFiles.join(', ')}` : '';
  return { status: 'interrupted', message: `no run-end record in run.ndjson (the run did not finish normally)${truncated}` };
}

/** Why a loaded run's numbers cannot be trusted; empty when they can. */
function unusableReasons(runDir: string, loaded: LoadedRun, frames: Results['summary']['frames'], outcome: Outcome): Array<{ code: 'SCENARIO_MISSING' | 'IMPOSSIBLE_COUNTS'; message: string }> {
  const reasons: Array<{ code: 'SCENARIO_MISSING' | 'IMPOSSIBLE_COUNTS'; message: string }> = [];
  if (loaded.scenario.file === undefined) {
    reasons.push({ code: 'SCENARIO_MISSING', message: `${runDir}: no scenario.json (or scenario.yaml): the run's budgets, link and protection are unknown` });
  }
  // every display shows a frame that went out; more distinct displays than frames sent means the
  // sender's records are missing or cut (e.g. an empty sender.ndjson). A run that ended early may
  // lack the sender's last unflushed records (≤ 250 ms): there only "none at all" is impossible.
  const distinctDisplays = frames.displayed - frames.duplicates;
  if (distinctDisplays > frames.sent && (outcome.status === 'completed' || frames.sent === 0)) {
    reasons.push({ code: 'IMPOSSIBLE_COUNTS', message: `${runDir}: impossible counts: ${distinctDisplays} distinct frames displayed but ${frames.sent} sent (sender.ndjson holds too few frame records)` });
  }
  return reasons;
}

/** Analyses a run folder and writes results.json, report.html (and junit.xml). */
export async function buildReport(runDir: string, options: BuildReportOptions = {}): Promise<BuiltReport> {
  const loaded = await loadRun(runDir);
  const budgets = parseBudgets(options.budgets ?? loaded.scenario.budgets ?? []);
  const metrics = computeRunMetrics(loaded.records, { badLines: loaded.badLines, truncatedFiles: loaded.truncatedFiles });
  const startEvent = lastEvent(loaded.records.events, 'run-start');
  const endEvent = lastEvent(loaded.records.events, 'run-end');
  const outcome = options.outcome ?? outcomeFrom(endEvent, loaded.truncatedFiles, loaded.status);
  const unusable = options.refuseUnusable ? unusableReasons(runDir, loaded, metrics.summary.frames, outcome) : [];
  if (unusable.length > 0) throw new RunFolderError(unusable[0]!.code, unusable.map((reason) => reason.message).join('; '));
  // a Chromium sender writes no packet records: its packets as the link saw them stand in
  const peerSent = loaded.linkFates !== null && !loaded.records.packets.some((p) => p.side === 'sender' && p.dir === 'out') ? peerSenderPackets(loaded.records, loaded.linkFates) : [];
  if (peerSent.length > 0) loaded.records.packets.push(...peerSent);
  const recovery = computeRecovery({
    records: loaded.records,
    fates: loaded.linkFates,
    originMs: metrics.series.originMs,
    freezes: metrics.summary.freezes.count,
    ...(loaded.scenario.protection ? { protection: loaded.scenario.protection } : {}),
  });
  const chromium = computeChromium({ records: loaded.records, fates: loaded.linkFates, recovery: recovery?.summary ?? null });
  const relay = loaded.relayFrames === null ? undefined : computeRelay({ frames: loaded.relayFrames, events: loaded.records.events, receiverFrames: loaded.records.receiverFrames });
  const relayHop = loaded.relayHopFates === null ? undefined : computeRelayHop(loaded.relayHopFates);
  // the Chromium sender's frame records say so (the scenario record here has no sender section)
  const senderIsChromium = loaded.records.senderFrames.some((f) => f.peer === 'chromium');
  const congestion = computeCongestion({
    link: loaded.scenario.link,
    fates: loaded.linkFates,
    events: loaded.records.events,
    ...(senderIsChromium ? { senderPeer: 'chromium' as const, peerEstimates: peerCongestionSeries(loaded.records.peerStats, 0).length } : {}),
  });
  const budgetResults = budgets.map((budget) => evaluateBudget(budget, metrics.summary, recovery?.summary ?? null, congestion));
  const linkUp = lastEvent(loaded.records.events, 'link-up');
  const link = loaded.scenario.link
    ? computeLinkMetrics({
        link: loaded.scenario.link,
        backend: detailString(linkUp, 'backend') ?? null,
        fates: loaded.linkFates,
        events: loaded.records.events,
        packets: loaded.records.packets,
        originMs: metrics.series.originMs,
      })
    : null;
  const startWall = wallClock(startEvent);
  const endWall = wallClock(endEvent);

  const candidate: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    scenario: options.scenario ?? detailString(startEvent, 'scenario') ?? loaded.scenario.name ?? path.basename(path.resolve(runDir)),
    runId: options.runId ?? detailString(startEvent, 'runId') ?? path.basename(path.resolve(runDir)),
    start: { monotonicMs: metrics.span.startMs, ...(startWall ? { wallClock: startWall } : {}) },
    end: { monotonicMs: metrics.span.endMs, ...(endWall ? { wallClock: endWall } : {}) },
    outcome,
    summary: metrics.summary,
    link: link?.summary ?? null,
    recovery: recovery?.summary ?? null,
    congestion,
    budgets: budgetResults,
    budgetsPassed: budgetResults.every((result) => result.pass),
    warnings: [
      ...runWarnings(metrics.summary, link?.summary ?? null),
      ...peerWarnings(chromium, recovery !== null),
      ...(peerSent.length > 0 ? [{ code: 'SENDER_BY_PEER', message: "Chromium sent: its packets are taken from the link's fate log (kinds by the SSRCs its offer named; a dropped RED packet counts as media, since ULPFEC inside it is encrypted on the wire); its frames are the page's draws" }] : []),
    ],
    environment: environmentSummary(loaded.environment),
    ...(loaded.simulation ? { simulation: loaded.simulation } : {}),
    ...(chromium ? { chromium } : {}),
    ...(relay ? { relay } : {}),
    ...(relayHop ? { relayHop } : {}),
    generatedBy: loaded.simulation ? 'glasslab sim' : 'glasslab report',
  };
  const validated = validateResults(candidate);
  if (!validated.ok) throw validated.error;
  const results = validated.results;

  const outDir = options.outDir ?? runDir;
  const resultsPath = path.join(outDir, 'results.json');
  const reportPath = path.join(outDir, 'report.html');
  // results.json last: once it is there, the report and junit.xml beside it are complete too
  await writeFileAtomic(reportPath, renderReport(results, metrics.series, link?.series ?? null, recovery?.series ?? null));
  const built: BuiltReport = { results, series: metrics.series, linkSeries: link?.series ?? null, recoverySeries: recovery?.series ?? null, resultsPath, reportPath, lineProblems: loaded.lineProblems };
  if (budgetResults.length > 0) {
    built.junitPath = path.join(outDir, 'junit.xml');
    await writeFileAtomic(built.junitPath, renderJunit(results));
  }
  await writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + '\n');
  return built;
}
