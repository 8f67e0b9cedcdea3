/**
 * `glasslab doctor --cleanup` in full: the leftovers of killed runs in the kernel (namespaces,
 * links, processes: lab/topology/cleanup.ts), their control-socket folders in the temp folder
 * (lab/run/control-dir.ts), and the status.json of their run folders under `--runs`, which a
 * killed orchestrator left saying "running" (lab/run/run-status.ts marks them interrupted).
 * Live runs are spared in each.
 */
import os from 'node:os';
import { sweepControlDirs } from '../run/control-dir.ts';
import { markStaleRuns } from '../run/run-status.ts';
import { cleanupLabLeftovers, type CleanupReport } from '../topology/cleanup.ts';

/** What a full cleanup did; the kernel part is {@link CleanupReport}. */
export interface FullCleanupReport extends CleanupReport {
  /** control folders (or legacy sockets) of dead runs, removed */
  removedControlDirs: string[];
  /** run folders found "running" with their owner gone, now interrupted */
  interruptedRuns: string[];
}

/** Where to look, and the kernel cleanup (replaceable in tests). */
export interface FullCleanupOptions {
  /** folder holding run folders (and suite folders), as `glasslab run --runs` */
  runsRoot: string;
  /** folder holding control folders (default: the system temp folder) */
  tmpDir?: string;
  kernelCleanup?: () => CleanupReport;
  now?: Date;
}

/** Runs every part; never throws for one part's failure (it lands in `failures`). */
export async function cleanupEverything(options: FullCleanupOptions): Promise<FullCleanupReport> {
  const kernel = (options.kernelCleanup ?? cleanupLabLeftovers)();
  const sockets = sweepControlDirs(options.tmpDir ?? os.tmpdir());
  const failures = [...kernel.failures, ...sockets.failures];
  let interruptedRuns: string[] = [];
  try {
    interruptedRuns = (await markStaleRuns(options.runsRoot, 'glasslab doctor --cleanup', options.now)).map((run) => run.runDir);
  } catch (error) {
    failures.push(`mark stale runs in ${options.runsRoot}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { ...kernel, failures, removedControlDirs: sockets.removed, interruptedRuns };
}
