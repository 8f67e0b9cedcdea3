/**
 * status.json of a run folder: how the run ended, or `running` while its orchestrator lives. An
 * orchestrator killed with SIGKILL (or stopped by a full disk) leaves `running` behind; whoever
 * reads the folder later (`glasslab report`, `glasslab doctor --cleanup`) checks the owner (pid
 * and its start time, so a reused pid does not pass for the owner) and marks such a run
 * `interrupted`, saying how it was found.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../results/atomic.ts';
import { WriteFailedError } from '../../src/shared/write-error.ts';
import { processStartTicks } from '../topology/owner.ts';
import { RUN_FILES, type RunStatus } from './run-folder.ts';

const STATES = new Set<RunStatus['state']>(['running', 'completed', 'failed', 'interrupted']);

/** The status of a run starting now in this process. */
export function runningStatus(now = new Date()): RunStatus {
  const ticks = processStartTicks(process.pid);
  return { state: 'running', startedAt: now.toISOString(), pid: process.pid, ...(ticks !== undefined ? { pidStartTicks: ticks } : {}) };
}

/** Errors after which the disk has no room for the atomic write's temp file. */
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Writes status.json atomically (throws WriteFailedError). On a full disk, where the temp file of
 * the atomic write finds no room, it rewrites the existing file in place instead: status.json is
 * far below one block, so the rewrite needs no new space, and a status saying "failed: disk full"
 * beats one left saying "running".
 */
export async function writeRunStatus(runDir: string, status: RunStatus): Promise<void> {
  const statusPath = path.join(runDir, RUN_FILES.status);
  const text = `${JSON.stringify(status, null, 2)}\n`;
  try {
    await writeFileAtomic(statusPath, text);
  } catch (error) {
    if (!(error instanceof WriteFailedError) || !NO_ROOM.has(error.errno ?? '')) throw error;
    try {
      const handle = await open(statusPath, 'r+');
      try {
        const bytes = Buffer.from(text, 'utf8');
        await handle.write(bytes, 0, bytes.length, 0);
        await handle.truncate(bytes.length);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      throw error;
    }
  }
}

/** Reads status.json; undefined when it is missing or not a status. */
export async function readRunStatus(runDir: string): Promise<RunStatus | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path.join(runDir, RUN_FILES.status), 'utf8'));
  } catch {
    return undefined;
  }
  const status = value as Partial<RunStatus> | null;
  if (status === null || typeof status !== 'object' || !STATES.has(status.state as RunStatus['state']) || typeof status.pid !== 'number') return undefined;
  return status as RunStatus;
}

/** True while the process that wrote a `running` status is the same process still running. */
export function statusOwnerAlive(status: RunStatus): boolean {
  const ticks = processStartTicks(status.pid);
  if (ticks === undefined) return false;
  // an older status without the start time: a live pid of that number counts as the owner
  return status.pidStartTicks === undefined || status.pidStartTicks === ticks;
}

/** A run found `running` with its owner gone, now marked interrupted. */
export interface StaleRun {
  runDir: string;
  status: RunStatus;
}

/**
 * Marks the run interrupted when status.json says `running` and its owner is gone; `foundBy`
 * names the finder ("glasslab report"). Returns the new status, or undefined when nothing changed.
 */
export async function markStaleRun(runDir: string, foundBy: string, now = new Date()): Promise<RunStatus | undefined> {
  const status = await readRunStatus(runDir);
  if (status?.state !== 'running' || statusOwnerAlive(status)) return undefined;
  const reused = processStartTicks(status.pid) !== undefined ? ' (that pid now belongs to another process)' : '';
  const marked: RunStatus = {
    ...status,
    state: 'interrupted',
    message: `owner pid ${status.pid} is gone${reused}; found by ${foundBy} at ${now.toISOString()}`,
  };
  await writeRunStatus(runDir, marked);
  return marked;
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => path.join(dir, entry.name));
}

/**
 * Marks every stale run under `runsRoot`: its run folders and those of its suite folders (one
 * level deeper). A missing `runsRoot` has none.
 */
export async function markStaleRuns(runsRoot: string, foundBy: string, now = new Date()): Promise<StaleRun[]> {
  const stale: StaleRun[] = [];
  for (const dir of await subfolders(runsRoot)) {
    for (const runDir of [dir, ...(await subfolders(dir))]) {
      const status = await markStaleRun(runDir, foundBy, now);
      if (status) stale.push({ runDir, status });
    }
  }
  return stale;
}
