import { type CommandOutcome, describeFailure } from './exec.ts';
import type { KernelProbeEnv } from './kernel.ts';
import { runInThrowawayNetns, unshareArgs } from './throwaway-netns.ts';
import { type CheckResult, makeCheck } from './types.ts';

/** Facts behind the netns check. */
export interface NetnsCheckData {
  unshare: boolean;
  /** `ip netns add/delete` worked; absent when not tried (not root) */
  ipNetns?: boolean;
}

/**
 * Network namespaces (required): `unshare -n true` (rootless: `unshare -Urn true`), and as root
 * also `ip netns add glasslab-doctor-<pid>`, deleted again in all cases.
 */
export async function probeNetns(env: KernelProbeEnv): Promise<CheckResult<NetnsCheckData>> {
  const base = { name: 'netns', area: 'kernel', required: true } as const;
  const how = `unshare ${unshareArgs(env.mode).join(' ')}`;
  const created = await runInThrowawayNetns(env.exec, [], env.mode);
  if (created.kind !== 'ok') {
    return makeCheck(base, 'missing', `cannot create a network namespace: ${created.message}`, { data: { unshare: false } });
  }
  if (env.mode !== 'root') {
    const detail = `${how} works (rootless: namespaces held by fd; ip netns needs root)`;
    return makeCheck(base, 'ok', detail, { data: { unshare: true } });
  }
  const name = `glasslab-doctor-${env.pid}`;
  let added: CommandOutcome;
  try {
    added = await env.exec('ip', ['netns', 'add', name]);
  } finally {
    await env.exec('ip', ['netns', 'delete', name]);
  }
  if (added.kind === 'exited' && added.exitCode === 0) {
    return makeCheck(base, 'ok', `${how} and ip netns add/delete work`, { data: { unshare: true, ipNetns: true } });
  }
  const why = describeFailure(`ip netns add ${name}`, added);
  return makeCheck(base, 'ok', `${how} works; ip netns does not (${why})`, { data: { unshare: true, ipNetns: false } });
}

/** Facts behind the userns check. */
export interface UsernsCheckData {
  maxUserNamespaces?: number;
  /** kernel.unprivileged_userns_clone where the kernel has it (Debian) */
  unprivilegedClone?: number;
}

/** User namespaces (optional: rootless mode): /proc limits and `unshare -Ur true`. */
export async function probeUserns(env: KernelProbeEnv): Promise<CheckResult<UsernsCheckData>> {
  const base = { name: 'userns', area: 'kernel', required: false } as const;
  const data: UsernsCheckData = {};
  const max = await readNumber(env, '/proc/sys/user/max_user_namespaces');
  if (max !== undefined) data.maxUserNamespaces = max;
  const clone = await readNumber(env, '/proc/sys/kernel/unprivileged_userns_clone');
  if (clone !== undefined) data.unprivilegedClone = clone;
  if (max === 0) return makeCheck(base, 'missing', 'user namespaces disabled (user.max_user_namespaces = 0)', { data });
  const outcome = await env.exec('unshare', ['-Ur', 'true']);
  if (outcome.kind !== 'exited' || outcome.exitCode !== 0) {
    const status = outcome.kind === 'exited' ? 'missing' : 'error';
    return makeCheck(base, status, describeFailure('unshare -Ur true', outcome), { data });
  }
  const parts = ['unshare -Ur works'];
  if (max !== undefined) parts.push(`max_user_namespaces ${max}`);
  if (clone === 0) parts.push('unprivileged users cannot (kernel.unprivileged_userns_clone = 0)');
  return makeCheck(base, 'ok', parts.join('; '), { data });
}

async function readNumber(env: KernelProbeEnv, path: string): Promise<number | undefined> {
  const text = await env.readText(path);
  if (text === undefined) return undefined;
  const value = Number.parseInt(text.trim(), 10);
  return Number.isFinite(value) ? value : undefined;
}
