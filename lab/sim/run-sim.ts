/**
 * `glasslab sim` for one scenario: a virtual-time session (lab/sim/session-options.ts) written as
 * a run folder of the same shape a real run writes (scenario.json, status.json, env.json,
 * sender/receiver/run/link NDJSON) plus simulation.json, then analysed by the same buildReport
 * (results.json marked `simulation`, report.html with its banner). A failure leaves its partial
 * records and a status.json that says failed and why.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRunFolder, RUN_FILES, type RunStatus } from '../run/run-folder.ts';
import { runningStatus, writeRunStatus } from '../run/run-status.ts';
import { writeFileAtomic } from '../results/atomic.ts';
import { buildReport } from '../report/build.ts';
import type { Results, Simulation } from '../results/schema.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import { hostEnvironment } from '../results/environment.ts';
import { LINK_FILES } from '../run/run-link.ts';
import { NdjsonWriter } from '../../src/shared/ndjson.ts';
import type { EventRecord, LabRecord } from '../../src/shared/records.ts';
import { ModelFrames, RecordedFrames, type FrameTraceSource, type TraceFrame } from '../../src/sim/frame-trace.ts';
import { runVirtualSession } from '../../src/sim/virtual-session.ts';
import { diffRateTables, defaultFecRateTable } from '../../src/sender/fec-controller/index.ts';
import { rateTableOf, sendProtectionPlan } from '../run/child-options.ts';
import { virtualSessionOptions, type SimulatedRunInput } from './session-options.ts';

/** x264 at the lab's settings: an IDR is about 6 delta frames (measured 4–8× at 360p–720p) */
const MODEL_KEYFRAME_RATIO = 6;
/** capture → encoded of x264 at 360p on this machine, ms (bench/g2g: encode p50 ≈ 6–9 ms) */
const MODEL_ENCODE_LATENCY_MS = 8;

export interface SimOptions {
  runsRoot: string;
  /** frames recorded from a real run; default: the rate model */
  trace?: { frames: readonly TraceFrame[]; path: string; keyframes: 'trace' | 'on-request' };
  decodeMs?: number;
  /** replaces the native link model (the replay cross-check) */
  links?: SimulatedRunInput['links'];
  /** what `links` is, for simulation.json */
  linkDescription?: string;
  /** the media stream (the replay: the recorded run's) */
  media?: SimulatedRunInput['media'];
}

export interface SimulatedRun {
  runDir: string;
  runId: string;
  status: RunStatus;
  results: Results;
  reportPath: string;
  budgetsBroken: string[];
  simulation: Simulation;
}

/** The frames of a simulated run. */
export function frameSourceOf(scenario: ResolvedScenario, trace: SimOptions['trace']): FrameTraceSource {
  if (trace) return new RecordedFrames(trace.frames, trace.keyframes, trace.path);
  return new ModelFrames({
    bitrateBps: scenario.encoder.bitrateBps, fps: scenario.fps, gop: scenario.encoder.gop, keyframeRatio: MODEL_KEYFRAME_RATIO,
    spread: 0.25, encodeLatencyMs: MODEL_ENCODE_LATENCY_MS, frames: Math.ceil((scenario.durationMs * scenario.fps) / 1000), seed: scenario.seed,
  });
}

/** Simulates one scenario into a new run folder and analyses it. */
export async function runSimulation(scenario: ResolvedScenario, options: SimOptions): Promise<SimulatedRun> {
  const { dir: runDir, runId } = await createRunFolder(options.runsRoot, scenario.name);
  const status = runningStatus();
  await writeFileAtomic(path.join(runDir, RUN_FILES.scenario), `${JSON.stringify(scenario, null, 2)}\n`);
  await writeRunStatus(runDir, status);
  const sender = new NdjsonWriter<LabRecord>(path.join(runDir, RUN_FILES.senderRecords));
  const receiver = new NdjsonWriter<LabRecord>(path.join(runDir, RUN_FILES.receiverRecords));
  const events = new NdjsonWriter<EventRecord>(path.join(runDir, RUN_FILES.runRecords));
  const fates: WriteStream = createWriteStream(path.join(runDir, LINK_FILES.fates));
  let fateError: Error | undefined;
  fates.on('error', (error) => { fateError = error; });
  // the virtual clock starts where a real run's monotonic clock would be: the records' times are
  // only compared with each other
  const startMs = 1000;
  const event = (timeMs: number, name: string, detail?: Record<string, string | number | boolean | null>): void =>
    events.write({ type: 'event', side: 'orchestrator', timeMs, name, ...(detail ? { detail } : {}) });
  const frames = frameSourceOf(scenario, options.trace);
  const linkDescription = options.linkDescription ?? (scenario.link === 'none' ? 'an ideal link (the scenario has none: loopback)' : 'the native link model (the userspace link\'s own C++), with the scenario\'s parameters and timeline');
  let simulation: Simulation | undefined;
  try {
    event(startMs - 1, 'run-start', { scenario: scenario.name, runId, wallClock: status.startedAt, simulated: true });
    if (scenario.link !== 'none') event(startMs - 1, 'link-up', { backend: 'simulated', reason: linkDescription, topology: 'none' });
    event(startMs, 'media-start');
    writeRateTableEvent(scenario, (record) => sender.write(record), startMs);
    await writeFileAtomic(path.join(runDir, RUN_FILES.env), `${JSON.stringify({
      ...hostEnvironment(),
      link: { backend: 'simulated', note: linkDescription },
      skipped: [{ what: 'frame source, encoder, decoder, transport', why: 'simulated in virtual time (glasslab sim)' }],
    }, null, 2)}\n`);
    const wallStart = performance.now();
    const result = runVirtualSession(virtualSessionOptions(scenario, {
      frames, startMs, sender, receiver,
      linkFates: (text) => { fates.write(text); },
      ...(options.decodeMs !== undefined ? { decodeMs: options.decodeMs } : {}),
      ...(options.links ? { links: options.links } : {}),
      ...(options.media ? { media: options.media } : {}),
    }));
    const wallMs = performance.now() - wallStart;
    for (const [role, counters] of [['sender', result.sender], ['receiver', result.receiver]] as const) {
      event(startMs + result.virtualMs, 'child-stopped', { role, ...counters });
    }
    simulation = {
      frames: frames.description, link: linkDescription, decodeMs: options.decodeMs ?? 2,
      virtualMs: result.virtualMs, wallMs, speedup: wallMs > 0 ? result.virtualMs / wallMs : 0,
    };
    await writeFileAtomic(path.join(runDir, RUN_FILES.simulation), `${JSON.stringify(simulation, null, 2)}\n`);
    status.state = 'completed';
    status.endedAt = new Date().toISOString();
    event(startMs + result.virtualMs, 'run-end', { status: 'completed', message: null, wallClock: status.endedAt });
  } catch (error) {
    status.state = 'failed';
    status.endedAt = new Date().toISOString();
    status.message = `simulation: ${(error as Error).message}`;
    event(startMs, 'run-end', { status: 'failed', message: status.message, wallClock: status.endedAt });
  } finally {
    sender.close();
    receiver.close();
    events.close();
    await new Promise<void>((resolve) => fates.end(resolve));
    if (fateError && status.state === 'completed') {
      status.state = 'failed';
      status.message = `writing ${LINK_FILES.fates}: ${fateError.message}`;
    }
    await writeRunStatus(runDir, status);
  }
  const built = await buildReport(runDir);
  const results = built.results;
  return {
    runDir, runId, status, results, reportPath: built.reportPath,
    budgetsBroken: results.budgets.filter((b) => !b.pass).map((b) => b.expression),
    simulation: simulation ?? { frames: frames.description, link: linkDescription, decodeMs: options.decodeMs ?? 2, virtualMs: 0, wallMs: 0, speedup: 0 },
  };
}

/** The sender's `fec-rate-table` event, as the sender process writes it (the report names the table). */
function writeRateTableEvent(scenario: ResolvedScenario, write: (record: LabRecord) => void, timeMs: number): void {
  const plan = sendProtectionPlan(scenario);
  const p = scenario.protection;
  if (!plan || !p || (plan.mode !== 'fec' && plan.mode !== 'hybrid') || plan.rateTableName === undefined) return;
  const diff = diffRateTables(rateTableOf(p.rateTable), defaultFecRateTable());
  write({ type: 'event', side: 'sender', timeMs, name: 'fec-rate-table', detail: { ...diff, source: plan.rateTableName } });
}
