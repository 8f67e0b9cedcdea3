/**
 * Where a run's control socket lives: a private folder `<tmp>/glasslab-ctl-<pid>-<start>-XXXXXX`
 * (mkdtemp, mode 0700) holding `control.sock` (mode 0600), so no other user can even reach the
 * socket. The folder's name records the orchestrator's pid and its start time (clock ticks since
 * boot, as lab/topology/owner.ts identifies live owners), so `glasslab doctor --cleanup` can tell
 * the folder of a killed run from that of a live one even after the pid was reused.
 */
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processStartTicks } from '../topology/owner.ts';

/** Prefix of every control folder the lab makes in the temp folder. */
const CONTROL_DIR_PREFIX = 'glasslab-ctl-';
const CONTROL_DIR_PATTERN = /^glasslab-ctl-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;
/** Control sockets of lab versions before the private folder: `/tmp/glasslab-<pid>-<runid>.sock`. */
const LEGACY_SOCKET_PATTERN = /^glasslab-(\d+)-.+\.sock$/;

/** A private control folder and the socket path inside it. */
export interface ControlDir {
  dir: string;
  socketPath: string;
  /** makes the socket owner-only once it exists (the folder already is) */
  restrictSocket(): void;
  /** removes the folder and the socket; idempotent */
  remove(): Promise<void>;
}

/** Creates this process's control folder in `tmpDir` (default: the system's temp folder). */
export async function createControlDir(tmpDir = os.tmpdir()): Promise<ControlDir> {
  const ticks = processStartTicks(process.pid) ?? '0';
  const dir = await mkdtemp(path.join(tmpDir, `${CONTROL_DIR_PREFIX}${process.pid}-${ticks}-`));
  const socketPath = path.join(dir, 'control.sock');
  return {
    dir,
    socketPath,
    restrictSocket: () => chmodSync(socketPath, 0o600),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** What {@link sweepControlDirs} did. */
export interface ControlSweep {
  /** folders and sockets of dead runs, removed */
  removed: string[];
  /** those of live runs, left alone */
  spared: string[];
  failures: string[];
}

function ownerIsAlive(pid: number, ticks: string | undefined): boolean {
  const now = processStartTicks(pid);
  // a legacy socket name has no start time: a live pid of that number is taken as its owner
  return now !== undefined && (ticks === undefined || now === ticks);
}

/** Removes the control folders (and legacy sockets) of runs whose orchestrator is gone. */
export function sweepControlDirs(tmpDir = os.tmpdir()): ControlSweep {
  const sweep: ControlSweep = { removed: [], spared: [], failures: [] };
  let names: string[];
  try {
    names = readdirSync(tmpDir);
  } catch (error) {
    sweep.failures.push(`read ${tmpDir}: ${(error as Error).message}`);
    return sweep;
  }
  for (const name of names) {
    const current = CONTROL_DIR_PATTERN.exec(name);
    const legacy = current ? null : LEGACY_SOCKET_PATTERN.exec(name);
    const match = current ?? legacy;
    if (!match) continue;
    const full = path.join(tmpDir, name);
    if (ownerIsAlive(Number(match[1]), current ? current[2] : undefined)) {
      sweep.spared.push(full);
      continue;
    }
    try {
      rmSync(full, { recursive: true, force: true });
      sweep.removed.push(full);
    } catch (error) {
      sweep.failures.push(`remove ${full}: ${(error as Error).message}`);
    }
  }
  return sweep;
}
