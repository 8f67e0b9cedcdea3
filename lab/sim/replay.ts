/**
 * The replay cross-check: a real run's frame sizes and keyframes (sender.ndjson) and its link
 * fate log (link.ndjson) replayed through the virtual-time pipelines (the same SendPipeline and
 * ReceivePipeline the processes ran) with the same fates, into a new simulated run folder; then
 * the wire-truth classification of every dropped media packet (fec / rtx / too late / never, by
 * the same computeRecovery) compared packet by packet with the real run's.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadRun, RunFolderError, type LoadedRun } from '../report/load-run.ts';
import { computeRecovery, type RecoveryOutcome } from '../metrics/recovery.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import { ReplayLink, type ReplayCounts } from '../../src/sim/replay-link.ts';
import { runSimulation, type SimulatedRun } from './run-sim.ts';
import { loadFrameTrace } from './trace.ts';
import { simulatedMedia } from './session-options.ts';

/** One dropped media packet whose outcome differs between the real run and the replay. */
export interface OutcomeDifference {
  seq: number;
  real: RecoveryOutcome | 'not dropped';
  replay: RecoveryOutcome | 'not dropped';
}

export interface ReplayComparison {
  /** the simulated run folder */
  replay: SimulatedRun;
  /** dropped media packets of the real run, by outcome */
  real: Record<RecoveryOutcome, number>;
  /** of the replay */
  replayed: Record<RecoveryOutcome, number>;
  /** dropped media packets classified alike / differently */
  agree: number;
  differences: OutcomeDifference[];
  /** frames whose media packet count differs between the two (their packetization differed) */
  packetCountMismatches: number;
  link: { up: ReplayCounts; down: ReplayCounts };
}

const zeroCounts = (): Record<RecoveryOutcome, number> => ({ fec: 0, rtx: 0, tooLate: 0, never: 0 });

/** Outcome of each dropped media packet of a loaded run folder, by seq. */
function outcomesOf(runDir: string, loaded: LoadedRun): { bySeq: Map<number, RecoveryOutcome>; packetsByFrame: Map<number, number> } {
  const recovery = computeRecovery({ records: loaded.records, fates: loaded.linkFates, originMs: 0, freezes: 0, ...(loaded.scenario.protection ? { protection: loaded.scenario.protection } : {}) });
  if (!recovery) throw new RunFolderError('RUN_DIR_EMPTY', `${runDir}: no link fate log (link.ndjson): nothing to cross-check`);
  const bySeq = new Map<number, RecoveryOutcome>();
  for (const d of recovery.dropped) bySeq.set(d.packet.seq, d.outcome);
  const packetsByFrame = new Map<number, number>();
  for (const f of loaded.records.senderFrames) if (f.packets !== undefined) packetsByFrame.set(f.frameId, f.packets);
  return { bySeq, packetsByFrame };
}

/** The resolved scenario a run folder recorded (scenario.json as the orchestrator wrote it). */
async function recordedScenario(runDir: string): Promise<ResolvedScenario> {
  const file = path.join(runDir, 'scenario.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new RunFolderError('SCENARIO_MISSING', `${file}: missing: a replay needs the run's resolved scenario`);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RunFolderError('SCENARIO_UNREADABLE', `${file}: not JSON`);
  }
  const v = value as Partial<ResolvedScenario> | null;
  if (v?.schemaVersion !== 1 || typeof v.name !== 'string' || typeof v.seed !== 'number' || typeof v.fps !== 'number' || v.link === undefined) {
    throw new RunFolderError('SCENARIO_UNREADABLE', `${file}: not a resolved scenario (schemaVersion 1 with name, seed, fps, link)`);
  }
  return value as ResolvedScenario;
}

/** Replays the run in `runDir` into a new simulated run under `runsRoot` and compares the two. */
export async function replayRun(runDir: string, runsRoot: string): Promise<ReplayComparison> {
  const scenario = await recordedScenario(runDir);
  const loaded = await loadRun(runDir);
  if (!loaded.linkFates) throw new RunFolderError('RUN_DIR_EMPTY', `${runDir}: no link fate log (link.ndjson): nothing to replay`);
  const trace = await loadFrameTrace(runDir);
  const media = loaded.records.packets.find((p) => p.side === 'sender' && p.dir === 'out' && p.kind === 'media');
  // the blocks first: an FEC packet is named by its block (the seqs are unique within a run)
  const senderRecords = [...loaded.records.fecBlocks, ...loaded.records.packets.filter((p) => p.side === 'sender' && p.dir === 'out')];
  const up = new ReplayLink(loaded.linkFates, senderRecords, 'up');
  const down = new ReplayLink(loaded.linkFates, senderRecords, 'down');
  const replay = await runSimulation(scenario, {
    runsRoot,
    trace: { ...trace, keyframes: 'trace' },
    links: { up, down },
    linkDescription: `the fate log of ${path.resolve(runDir)} replayed packet by packet`,
    media: simulatedMedia(scenario.seed, media ? { ssrc: media.ssrc, payloadType: media.pt } : undefined),
  });
  const real = outcomesOf(runDir, loaded);
  const replayed = outcomesOf(replay.runDir, await loadRun(replay.runDir));
  const result: ReplayComparison = {
    replay, real: zeroCounts(), replayed: zeroCounts(), agree: 0, differences: [], packetCountMismatches: 0,
    link: { up: up.counts, down: down.counts },
  };
  for (const outcome of real.bySeq.values()) result.real[outcome]++;
  for (const outcome of replayed.bySeq.values()) result.replayed[outcome]++;
  for (const seq of new Set([...real.bySeq.keys(), ...replayed.bySeq.keys()])) {
    const a = real.bySeq.get(seq) ?? 'not dropped';
    const b = replayed.bySeq.get(seq) ?? 'not dropped';
    if (a === b) result.agree++;
    else result.differences.push({ seq, real: a, replay: b });
  }
  for (const [frameId, packets] of real.packetsByFrame) if (replayed.packetsByFrame.get(frameId) !== packets) result.packetCountMismatches++;
  return result;
}
