/**
 * Finds and removes the leftovers of lab runs whose owner died (SIGKILL, crash): processes inside
 * the lab's namespaces, the namespaces, lab links left in the root namespace, ownership records.
 * Only names matching the lab's patterns (names.ts) are touched; runs whose owner is alive are
 * spared unless `force`. Wired to `glasslab doctor --cleanup`.
 */
import { readdirSync } from 'node:fs';
import { listLinks, listNamespaces, namespacePids, tryRun } from './ip.ts';
import { LAB_LINK_PATTERN, LAB_NAMESPACE_PATTERN, stateDir } from './names.ts';
import { ownerAlive, removeOwner } from './owner.ts';

export interface CleanupReport {
  removedNamespaces: string[];
  removedLinks: string[];
  killedPids: number[];
  /** run ids left alone because their owner is alive */
  sparedRuns: string[];
  /** what could not be removed, with the reason */
  failures: string[];
}

export interface CleanupOptions {
  /** remove runs whose owner is alive too */
  force?: boolean;
  /** only this run */
  runId?: string;
}

/** Removes every leftover of the lab; returns what it did. */
export function cleanupLabLeftovers(options: CleanupOptions = {}): CleanupReport {
  const report: CleanupReport = { removedNamespaces: [], removedLinks: [], killedPids: [], sparedRuns: [], failures: [] };
  const byRun = new Map<string, { namespaces: string[]; links: string[] }>();
  const entry = (runId: string) => {
    let e = byRun.get(runId);
    if (!e) byRun.set(runId, (e = { namespaces: [], links: [] }));
    return e;
  };
  for (const ns of listNamespaces()) {
    const m = LAB_NAMESPACE_PATTERN.exec(ns);
    if (m) entry(m[1]!).namespaces.push(ns);
  }
  for (const link of listLinks()) {
    const m = LAB_LINK_PATTERN.exec(link);
    if (m) entry(m[1]!).links.push(link);
  }
  let records: string[] = [];
  try {
    records = readdirSync(stateDir()).filter((f) => /^[0-9a-f]{6}\.json$/.test(f));
  } catch {
    // no state dir: no records
  }
  for (const file of records) entry(file.slice(0, 6));

  for (const [runId, found] of byRun) {
    if (options.runId !== undefined && runId !== options.runId) continue;
    if (!options.force && ownerAlive(runId)) {
      report.sparedRuns.push(runId);
      continue;
    }
    for (const ns of found.namespaces) {
      for (const pid of namespacePids(ns)) {
        if (pid === process.pid) continue;
        try {
          process.kill(pid, 'SIGKILL');
          report.killedPids.push(pid);
        } catch (error) {
          report.failures.push(`kill ${pid} in ${ns}: ${(error as Error).message}`);
        }
      }
      if (tryRun(['ip', 'netns', 'del', ns])) report.removedNamespaces.push(ns);
      else report.failures.push(`ip netns del ${ns}`);
    }
    for (const link of found.links) {
      if (tryRun(['ip', 'link', 'del', link])) report.removedLinks.push(link);
      else report.failures.push(`ip link del ${link}`);
    }
    removeOwner(runId);
  }
  return report;
}
