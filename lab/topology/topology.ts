/**
 * A run's network topology: one namespace per endpoint (snd, rcv, optionally fwd and tgt), created with
 * `ip netns` (root). Setup and teardown are idempotent; teardown runs on normal exit, on error
 * (process 'exit'), and on SIGINT/SIGTERM (then the signal is re-raised). After SIGKILL,
 * cleanupLabLeftovers() removes what is left.
 */
import { listNamespaces, namespacePids, run, tryRun } from './ip.ts';
import { namespaceName, netnsPath, newRunId, type NamespaceRole } from './names.ts';
import { removeOwner, writeOwner } from './owner.ts';
import type { LinkTopology } from './types.ts';

export interface TopologyOptions {
  /** default: a fresh random id */
  runId?: string;
  /** also create the fwd namespace (relay hop) */
  withFwd?: boolean;
  /** also create the tgt namespace (the relay targets' endpoints, behind the target hop's link) */
  withTargets?: boolean;
  /** install exit/SIGINT/SIGTERM teardown handlers; default true */
  handleSignals?: boolean;
}

/** Something to undo before the namespaces go (a data plane, a tc qdisc). */
export type TeardownStep = () => void;

export class LabTopology implements LinkTopology {
  readonly runId: string;
  readonly roles: NamespaceRole[];
  private readonly steps: TeardownStep[] = [];
  private torn = false;
  private readonly onExit = () => this.teardown();
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.teardown();
    process.kill(process.pid, signal);
  };

  private constructor(runId: string, roles: NamespaceRole[]) {
    this.runId = runId;
    this.roles = roles;
  }

  /** Creates the namespaces (lo up in each); tears down what it made if a step fails. */
  static create(options: TopologyOptions = {}): LabTopology {
    const runId = options.runId ?? newRunId();
    if (!/^[0-9a-f]{6}$/.test(runId)) throw new Error(`runId must be 6 lowercase hex digits, got "${runId}"`);
    const roles: NamespaceRole[] = [...(options.withFwd ? (['snd', 'fwd', 'rcv'] as const) : (['snd', 'rcv'] as const)), ...(options.withTargets ? (['tgt'] as const) : [])];
    const topology = new LabTopology(runId, roles);
    writeOwner(runId);
    if (options.handleSignals !== false) {
      process.once('exit', topology.onExit);
      process.once('SIGINT', topology.onSignal);
      process.once('SIGTERM', topology.onSignal);
    }
    try {
      const existing = new Set(listNamespaces());
      for (const role of roles) {
        const ns = topology.namespace(role);
        if (!existing.has(ns)) run(['ip', 'netns', 'add', ns]); // idempotent for a given run id
        run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      }
    } catch (error) {
      topology.teardown();
      throw error;
    }
    return topology;
  }

  /** Namespace name of a role. */
  namespace(role: NamespaceRole): string {
    return namespaceName(this.runId, role);
  }

  /** /run/netns path of a role's namespace. */
  netnsPath(role: NamespaceRole): string {
    return netnsPath(this.namespace(role));
  }

  /** `ip link set dev X netns <name>` */
  netnsTarget(role: NamespaceRole): string {
    return this.namespace(role);
  }

  /** `ip -n <name> <args>` */
  ipIn(role: NamespaceRole, args: string[]): string[] {
    return ['ip', '-n', this.namespace(role), ...args];
  }

  /** Registers an undo step; steps run in reverse order before the namespaces are deleted. */
  onTeardown(step: TeardownStep): void {
    this.steps.push(step);
  }

  /** Removes everything the run created; safe to call more than once. */
  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    for (const step of this.steps.reverse()) {
      try {
        step();
      } catch {
        // keep tearing down
      }
    }
    for (const role of this.roles) {
      const ns = this.namespace(role);
      for (const pid of namespacePids(ns)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      tryRun(['ip', 'netns', 'del', ns]);
    }
    removeOwner(this.runId);
  }
}
