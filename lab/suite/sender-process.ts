/**
 * The sender process's own summary of a run: the `child-stopped` event the orchestrator writes
 * to run.ndjson from the sender's `stopped` message (src/sender/main.ts): process CPU time
 * (src/control/process-cpu.ts) and the frame source's counters. bench/g2g-child-cpu.ts reads the
 * same event.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseNdjson } from '../../src/shared/ndjson.ts';
import { sortRecords } from '../metrics/run-records.ts';
import { RUN_FILES } from '../run/run-folder.ts';
import type { EventRecord } from '../../src/shared/records.ts';

/** The sender's summary; each field null when the event lacks it. */
export interface SenderProcess {
  /** CPU time (user + system, all threads) from media start to stop, ms */
  cpuRunningMs: number | null;
  framesSent: number | null;
  /** frames the source rendered */
  rendered: number | null;
  /** frames the source dropped because JS did not take them in time */
  droppedQueueFull: number | null;
  /** render ticks missed because rendering took longer than a frame interval */
  missedTicks: number | null;
}

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The sender's summary from a run's events; null when no sender child-stopped event is there. */
export function senderProcessFromEvents(events: readonly EventRecord[]): SenderProcess | null {
  const detail = events.find((event) => event.name === 'child-stopped' && event.detail?.role === 'sender')?.detail;
  if (detail === undefined) return null;
  return {
    cpuRunningMs: numberOrNull(detail.cpuRunningMs),
    framesSent: numberOrNull(detail.framesSent),
    rendered: numberOrNull(detail.rendered),
    droppedQueueFull: numberOrNull(detail.droppedQueueFull),
    missedTicks: numberOrNull(detail.missedTicks),
  };
}

/** Reads run.ndjson of `runDir`; null when it is missing, unreadable or has no sender summary. */
export async function readSenderProcess(runDir: string): Promise<SenderProcess | null> {
  let text: string;
  try {
    text = await readFile(path.join(runDir, RUN_FILES.runRecords), 'utf8');
  } catch {
    return null;
  }
  return senderProcessFromEvents(sortRecords(parseNdjson(text).records).events);
}
