/**
 * Ownership records of live runs: `<stateDir>/<runid>.json` with the owner's pid and its start
 * time (from /proc, so a reused pid is not mistaken for the owner). Cleanup spares runs whose
 * owner is alive.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from './names.ts';

export interface RunOwner {
  runId: string;
  pid: number;
  /** /proc/<pid>/stat field 22, clock ticks since boot */
  startTicks: string;
}

/** Start time of a process in clock ticks since boot, undefined when it does not exist. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name; starttime is field 22 overall
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

/** Records this process as the owner of a run. */
export function writeOwner(runId: string): void {
  mkdirSync(stateDir(), { recursive: true });
  const owner: RunOwner = { runId, pid: process.pid, startTicks: processStartTicks(process.pid) ?? '' };
  writeFileSync(path.join(stateDir(), `${runId}.json`), JSON.stringify(owner));
}

/** Removes a run's ownership record (idempotent). */
export function removeOwner(runId: string): void {
  rmSync(path.join(stateDir(), `${runId}.json`), { force: true });
}

/** True when the run's recorded owner is still the same running process. */
export function ownerAlive(runId: string): boolean {
  let owner: RunOwner;
  try {
    owner = JSON.parse(readFileSync(path.join(stateDir(), `${runId}.json`), 'utf8')) as RunOwner;
  } catch {
    return false;
  }
  return owner.startTicks !== '' && processStartTicks(owner.pid) === owner.startTicks;
}
