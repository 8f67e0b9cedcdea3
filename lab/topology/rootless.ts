/**
 * Rootless topology: inside a user namespace (run the lab under `unshare -Urnpf --kill-child`)
 * `ip netns add` fails, so snd and rcv are network namespaces held by file descriptors of this
 * process (native holdNewNetns), reached as /proc/<pid>/fd/<fd> by `ip link set ... netns`,
 * nsenter and setns. Nothing is named on the host: when this process ends the fds close and,
 * with the PID namespace of `unshare -p`, the kernel kills every process of the lab, so no
 * leftovers can outlive it (cleanupLabLeftovers has nothing to find).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadLinkNative } from '../../src/link/native.ts';
import { run, tryRun } from './ip.ts';
import { newRunId, type NamespaceRole } from './names.ts';
import type { LinkTopology } from './types.ts';

/** True when this process runs in a user namespace other than the initial one. */
export function inUserNamespace(): boolean {
  try {
    const map = readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\s+/);
    return !(map[0] === '0' && map[1] === '0' && map[2] === '4294967295');
  } catch {
    return false;
  }
}

/** Whether `unshare -Urn` can make a TUN device here (the rootless precondition), and why not. */
export function probeRootless(): { available: boolean; reason?: string } {
  const r = spawnSync('unshare', ['-Urn', 'ip', 'tuntap', 'add', 'dev', 'glprobe', 'mode', 'tun'], { encoding: 'utf8' });
  return r.status === 0 ? { available: true } : { available: false, reason: (r.stderr || `exit ${r.status}`).trim() };
}

export class RootlessTopology implements LinkTopology {
  readonly runId: string;
  private readonly fds = new Map<NamespaceRole, number>();
  private readonly steps: Array<() => void> = [];
  private readonly hostPid: string;
  private torn = false;

  private constructor(runId: string) {
    this.runId = runId;
    // our pid as /proc sees it (differs from process.pid inside a new PID namespace)
    this.hostPid = readlinkSync('/proc/self');
  }

  /** Creates snd and rcv (lo up); must run as uid 0 of a user namespace. */
  static create(options: { runId?: string; withFwd?: boolean } = {}): RootlessTopology {
    if (!inUserNamespace()) throw new Error('RootlessTopology must run inside a user namespace (start the lab under `unshare -Urnpf --kill-child`)');
    const topology = new RootlessTopology(options.runId ?? newRunId());
    const native = loadLinkNative();
    try {
      for (const role of (options.withFwd ? ['snd', 'fwd', 'rcv'] : ['snd', 'rcv']) as NamespaceRole[]) {
        topology.fds.set(role, native.holdNewNetns());
        run(topology.ipIn(role, ['link', 'set', 'lo', 'up']));
      }
    } catch (error) {
      topology.teardown();
      throw error;
    }
    return topology;
  }

  namespace(role: NamespaceRole): string {
    return `gl-${this.runId}-${role} (fd ${this.fds.get(role)})`;
  }

  netnsPath(role: NamespaceRole): string {
    const fd = this.fds.get(role);
    if (fd === undefined) throw new Error(`no ${role} namespace in this topology`);
    return `/proc/${this.hostPid}/fd/${fd}`;
  }

  netnsTarget(role: NamespaceRole): string {
    return this.netnsPath(role);
  }

  ipIn(role: NamespaceRole, args: string[]): string[] {
    return ['nsenter', `--net=${this.netnsPath(role)}`, 'ip', ...args];
  }

  onTeardown(step: () => void): void {
    this.steps.push(step);
  }

  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    for (const step of this.steps.reverse()) {
      try {
        step();
      } catch {
        // keep going
      }
    }
    const native = loadLinkNative();
    for (const [role, fd] of this.fds) {
      // processes still inside would keep the namespace: there are none we did not start
      tryRun(this.ipIn(role, ['link', 'set', 'lo', 'down']));
      native.releaseNetns(fd);
    }
    this.fds.clear();
  }
}
