import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { WriteFailedError } from '../../src/shared/write-error.ts';

/**
 * A run folder `runs/<YYYYMMDD-HHMMSS>-<name>/` holds everything needed to re-analyze a run without
 * re-running it. Its files, by name:
 */
export const RUN_FILES = {
  scenario: 'scenario.json',
  env: 'env.json',
  status: 'status.json',
  senderRecords: 'sender.ndjson',
  receiverRecords: 'receiver.ndjson',
  runRecords: 'run.ndjson',
  senderLog: 'sender.log',
  receiverLog: 'receiver.log',
  results: 'results.json',
  report: 'report.html',
  junit: 'junit.xml',
  /** simulated runs only: how the simulation was made (results.json's `simulation`) */
  simulation: 'simulation.json',
} as const;

/** How a run ended, as status.json says. */
export interface RunStatus {
  state: 'running' | 'completed' | 'failed' | 'interrupted';
  startedAt: string;
  endedAt?: string;
  /** what went wrong, for failed and interrupted runs */
  message?: string;
  /** the orchestrator's pid */
  pid: number;
  /**
   * its start time (/proc/<pid>/stat field 22, clock ticks since boot), so a reused pid is not
   * taken for the owner; absent in status files of older versions
   */
  pidStartTicks?: string;
}

function stamp(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Creates a new run folder under `runsRoot`; a suffix keeps two runs in one second apart. */
export async function createRunFolder(runsRoot: string, scenarioName: string, now = new Date()): Promise<{ dir: string; runId: string }> {
  const existing = new Set(
    await mkdir(runsRoot, { recursive: true })
      .then(() => readdir(runsRoot))
      .catch((error: unknown) => {
        throw new WriteFailedError(runsRoot, error);
      }),
  );
  const base = `${stamp(now)}-${scenarioName}`;
  let runId = base;
  for (let i = 2; existing.has(runId); i++) runId = `${base}-${i}`;
  const dir = path.join(runsRoot, runId);
  await mkdir(dir).catch((error: unknown) => {
    throw new WriteFailedError(dir, error);
  });
  return { dir, runId };
}
