/**
 * CPU time of a process and all its descendants (Chromium's browser, renderer, GPU and utility
 * processes), from /proc/<pid>/stat: utime + stime of each live process, in USER_HZ ticks (100 per
 * second on Linux, whatever the kernel's HZ). Processes that exited between two readings take
 * their time with them; Chromium's stay up for the whole run.
 */
import { readdirSync, readFileSync } from 'node:fs';

const USER_HZ = 100;

interface ProcStat {
  ppid: number;
  cpuMs: number;
}

/** Fields after the command name (which may hold spaces and parentheses): state is field 3, ppid 4, utime 14, stime 15. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (![ppid, utime, stime].every(Number.isFinite)) return undefined;
  return { ppid, cpuMs: ((utime + stime) * 1000) / USER_HZ };
}

/** Sum of user + system CPU of `rootPid` and its descendants, ms; 0 when it is gone. */
export function processTreeCpuMs(rootPid: number, procRoot = '/proc'): number {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseProcStat(readFileSync(`${procRoot}/${entry}/stat`, 'utf8'));
      if (stat) stats.set(Number(entry), stat);
    } catch {
      // the process exited while we looked
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  let total = 0;
  const stack = [rootPid];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += stats.get(pid)?.cpuMs ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}
