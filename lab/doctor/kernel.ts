import { readFile } from 'node:fs/promises';
import { type CommandRunner, describeFailure, execaRunner } from './exec.ts';
import { type NetnsMode, type NetnsStep, currentNetnsMode, runInThrowawayNetns, unshareArgs } from './throwaway-netns.ts';
import { type CheckResult, firstLine, makeCheck } from './types.ts';

/** What kernel probes touch, injectable so tests can script a machine. */
export interface KernelProbeEnv {
  exec: CommandRunner;
  /** root enters namespaces with `unshare -n`, others with `unshare -Urn` */
  mode: NetnsMode;
  /** Text of a file, or undefined when it cannot be read. */
  readText: (path: string) => Promise<string | undefined>;
  /** used to name the `ip netns` probe namespace glasslab-doctor-<pid> */
  pid: number;
}

/** The real machine. */
export function defaultKernelProbeEnv(): KernelProbeEnv {
  return {
    exec: execaRunner,
    mode: currentNetnsMode(),
    readText: async (path) => readFile(path, 'utf8').catch(() => undefined),
    pid: process.pid,
  };
}

const ipPresent: NetnsStep = { label: 'ip', command: 'command -v ip' };
const tcPresent: NetnsStep = { label: 'tc', command: 'command -v tc' };
const loUp: NetnsStep = { label: 'lo', command: 'ip link set lo up' };

/** How a qdisc probe is set up: the qdisc's kernel module and the tc command that adds it on lo. */
interface QdiscSpec {
  name: 'netem' | 'tbf' | 'htb';
  kernelModule: string;
  add: string;
  /** what the lab loses without it */
  without: string;
}

const qdiscSpecs: Record<QdiscSpec['name'], QdiscSpec> = {
  netem: {
    name: 'netem',
    kernelModule: 'sch_netem',
    add: 'tc qdisc add dev lo root netem delay 1ms',
    without: 'the userspace link backend replaces it',
  },
  tbf: {
    name: 'tbf',
    kernelModule: 'sch_tbf',
    add: 'tc qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 50ms',
    without: 'kernel rate limiting unavailable',
  },
  htb: {
    name: 'htb',
    kernelModule: 'sch_htb',
    add: 'tc qdisc add dev lo root handle 1: htb default 10 && tc class add dev lo parent 1: classid 1:10 htb rate 1mbit',
    without: 'kernel rate limiting unavailable',
  },
};

function where(mode: NetnsMode): string {
  return `in a throwaway netns (unshare ${unshareArgs(mode).join(' ')})`;
}

/** Adds the qdisc on lo inside a throwaway namespace. Optional: the userspace link can stand in. */
export async function probeQdisc(env: KernelProbeEnv, which: QdiscSpec['name']): Promise<CheckResult> {
  const spec = qdiscSpecs[which];
  const base = { name: spec.name, area: 'kernel', required: false } as const;
  const steps = [ipPresent, tcPresent, loUp, { label: 'qdisc', command: spec.add }];
  const outcome = await runInThrowawayNetns(env.exec, steps, env.mode);
  switch (outcome.kind) {
    case 'ok':
      return makeCheck(base, 'ok', `tc accepts the ${spec.name} qdisc ${where(env.mode)}`);
    case 'netns-failed':
      return makeCheck(base, 'error', `cannot create a throwaway network namespace: ${outcome.message}`);
    case 'step-failed':
      if (outcome.label === 'ip' || outcome.label === 'tc') {
        return makeCheck(base, 'missing', `${outcome.label} not installed (iproute2); ${spec.without}`);
      }
      if (outcome.label === 'lo') return makeCheck(base, 'error', `cannot bring lo up ${where(env.mode)}: ${outcome.message}`);
      if (/unknown/i.test(outcome.message)) {
        return makeCheck(base, 'missing', `kernel lacks ${spec.kernelModule} (tc: "${outcome.message}"); ${spec.without}`);
      }
      return makeCheck(base, 'missing', `tc cannot add a ${spec.name} qdisc: ${outcome.message}; ${spec.without}`);
  }
}

/** Creates a TUN device inside a throwaway namespace (what the userspace link backend needs). */
export async function probeTun(env: KernelProbeEnv): Promise<CheckResult> {
  const base = { name: 'tun', area: 'kernel', required: false } as const;
  const steps: NetnsStep[] = [
    ipPresent,
    { label: 'node', command: 'test -c /dev/net/tun' },
    { label: 'tuntap', command: 'ip tuntap add dev gltest0 mode tun && ip link set gltest0 up' },
  ];
  const outcome = await runInThrowawayNetns(env.exec, steps, env.mode);
  switch (outcome.kind) {
    case 'ok':
      return makeCheck(base, 'ok', `TUN device created ${where(env.mode)}`);
    case 'netns-failed':
      return makeCheck(base, 'error', `cannot create a throwaway network namespace: ${outcome.message}`);
    case 'step-failed':
      if (outcome.label === 'ip') return makeCheck(base, 'missing', 'ip not installed (iproute2)');
      if (outcome.label === 'node') return makeCheck(base, 'missing', '/dev/net/tun is absent (kernel without CONFIG_TUN?)');
      if (/permission denied/i.test(outcome.message)) {
        const hint = 'this user cannot open /dev/net/tun (rootless TUN needs it mode 0666)';
        return makeCheck(base, 'missing', `cannot create a TUN device: ${outcome.message}; ${hint}`);
      }
      return makeCheck(base, 'missing', `cannot create a TUN device: ${outcome.message}`);
  }
}

/**
 * Whether some link backend can run: kernel netem, or the userspace link over TUN. Required;
 * derived from the netem and tun checks.
 */
export function deriveLinkBackend(netem: CheckResult, tun: CheckResult): CheckResult<{ backends: string[] }> {
  const base = { name: 'link-backend', area: 'kernel', required: true } as const;
  const backends = [netem.status === 'ok' ? 'netem' : undefined, tun.status === 'ok' ? 'userspace' : undefined].filter(
    (b): b is string => b !== undefined,
  );
  const data = { backends };
  if (backends.length === 2) return makeCheck(base, 'ok', 'netem (kernel) and userspace (TUN) both available', { data });
  if (backends[0] === 'userspace') return makeCheck(base, 'ok', 'userspace (TUN) only: netem is missing', { data });
  if (backends[0] === 'netem') return makeCheck(base, 'ok', 'netem only: TUN is missing, no userspace link', { data });
  return makeCheck(base, 'missing', 'no link backend: neither netem nor TUN works', { data });
}

/** `nft` is installed (optional: firewalling inside namespaces). */
export async function probeNftables(env: KernelProbeEnv): Promise<CheckResult> {
  const base = { name: 'nftables', area: 'kernel', required: false } as const;
  const outcome = await env.exec('nft', ['--version']);
  if (outcome.kind === 'exited' && outcome.exitCode === 0) return makeCheck(base, 'ok', firstLine(outcome.stdout));
  if (outcome.kind === 'not-found') {
    return makeCheck(base, 'missing', `${describeFailure('nft', outcome)} (Debian package nftables)`);
  }
  return makeCheck(base, 'error', describeFailure('nft --version', outcome));
}
