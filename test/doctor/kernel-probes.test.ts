import { describe, expect, it } from 'vitest';
import { type CommandOutcome, type CommandRunner, execaRunner } from '../../lab/doctor/exec.ts';
import { type KernelProbeEnv, deriveLinkBackend, probeNftables, probeQdisc, probeTun } from '../../lab/doctor/kernel.ts';
import { probeNetns, probeUserns } from '../../lab/doctor/namespaces.ts';
import { runInThrowawayNetns } from '../../lab/doctor/throwaway-netns.ts';
import { type CheckResult, makeCheck } from '../../lab/doctor/types.ts';

type Call = { file: string; args: string[] };

/** A runner that records calls and answers from a script keyed by the command. */
function scripted(answer: (call: Call) => CommandOutcome): { exec: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const exec: CommandRunner = async (file, args) => {
    const call = { file, args };
    calls.push(call);
    return answer(call);
  };
  return { exec, calls };
}

const exited = (exitCode: number, stdout = '', stderr = ''): CommandOutcome => ({ kind: 'exited', exitCode, stdout, stderr });

function env(exec: CommandRunner, overrides: Partial<KernelProbeEnv> = {}): KernelProbeEnv {
  return { exec, mode: 'root', readText: async () => undefined, pid: 4242, ...overrides };
}

/** Runs the would-be namespace script with plain sh, so the step/exit-code plumbing is real. */
const shInsteadOfUnshare: CommandRunner = async (file, args, options) => {
  expect(file).toBe('unshare');
  return execaRunner('sh', args.slice(args.indexOf('--') + 2), options);
};

describe('throwaway namespace script', () => {
  it('reports the first failing step with only its own output', async () => {
    const steps = [
      { label: 'a', command: 'echo chatter' },
      { label: 'b', command: 'echo "Error: Specified qdisc kind is unknown." >&2; false' },
      { label: 'c', command: 'echo never' },
    ];
    const outcome = await runInThrowawayNetns(shInsteadOfUnshare, steps, 'root');
    expect(outcome).toEqual({ kind: 'step-failed', label: 'b', message: 'Error: Specified qdisc kind is unknown.' });
    expect(await runInThrowawayNetns(shInsteadOfUnshare, steps.slice(0, 1), 'root')).toEqual({ kind: 'ok' });
  });

  it('an unshare failure (not a step) is netns-failed', async () => {
    const { exec } = scripted(() => exited(1, '', 'unshare: unshare failed: Operation not permitted'));
    const outcome = await runInThrowawayNetns(exec, [{ label: 'a', command: 'true' }], 'rootless');
    expect(outcome).toMatchObject({ kind: 'netns-failed' });
    if (outcome.kind === 'netns-failed') expect(outcome.message).toContain('Operation not permitted');
  });
});

describe('qdisc probes', () => {
  it('uses unshare -n as root and unshare -Urn rootless, never a host interface', async () => {
    for (const [mode, flag] of [['root', '-n'], ['rootless', '-Urn']] as const) {
      const { exec, calls } = scripted(() => exited(0));
      expect((await probeQdisc(env(exec, { mode }), 'netem')).status).toBe('ok');
      expect(calls).toHaveLength(1);
      expect(calls[0]?.file).toBe('unshare');
      expect(calls[0]?.args[0]).toBe(flag);
      const script = calls[0]?.args.at(-1) ?? '';
      expect(script).toContain('tc qdisc add dev lo root netem');
      expect(script).not.toMatch(/dev (?!lo\b)\w+/);
    }
  });

  it('an unknown qdisc kind is missing and names the kernel module', async () => {
    const { exec } = scripted(() => exited(103, 'Error: Specified qdisc kind is unknown.\n'));
    const check = await probeQdisc(env(exec), 'netem');
    expect(check).toMatchObject({ name: 'netem', status: 'missing', required: false });
    expect(check.detail).toContain('sch_netem');
    expect(check.detail).toContain('userspace link');
  });

  it('absent tc is missing; a namespace that cannot be made is an error', async () => {
    const noTc = await probeQdisc(env(scripted(() => exited(101)).exec), 'tbf');
    expect(noTc).toMatchObject({ status: 'missing', detail: expect.stringContaining('tc not installed') });
    const noUnshare = await probeQdisc(env(scripted(() => ({ kind: 'not-found', file: 'unshare' })).exec), 'htb');
    expect(noUnshare).toMatchObject({ status: 'error', detail: expect.stringContaining('unshare not found') });
  });
});

describe('tun, netns, userns, nft', () => {
  it('tun: missing device node and failing tuntap are told apart', async () => {
    expect((await probeTun(env(scripted(() => exited(101)).exec))).detail).toContain('/dev/net/tun is absent');
    const failed = await probeTun(env(scripted(() => exited(102, 'ioctl(TUNSETIFF): Operation not permitted')).exec));
    expect(failed).toMatchObject({ status: 'missing', detail: expect.stringContaining('TUNSETIFF') });
    const rootless = await probeTun(env(scripted(() => exited(102, 'open: Permission denied')).exec, { mode: 'rootless' }));
    expect(rootless.detail).toContain('rootless TUN needs it mode 0666');
  });

  it('netns as root adds and always deletes glasslab-doctor-<pid>', async () => {
    const { exec, calls } = scripted((call) => (call.args[1] === 'add' ? exited(1, '', 'mount --make-shared failed') : exited(0)));
    const check = await probeNetns(env(exec));
    expect(check).toMatchObject({ status: 'ok', data: { unshare: true, ipNetns: false } });
    expect(calls.map((c) => `${c.file} ${c.args.slice(0, 3).join(' ')}`)).toEqual([
      expect.stringMatching(/^unshare -n/),
      'ip netns add glasslab-doctor-4242',
      'ip netns delete glasslab-doctor-4242',
    ]);
  });

  it('netns rootless does not touch ip netns; failure to unshare is missing', async () => {
    const { exec, calls } = scripted(() => exited(0));
    expect((await probeNetns(env(exec, { mode: 'rootless' }))).status).toBe('ok');
    expect(calls.map((c) => c.file)).toEqual(['unshare']);
    const denied = await probeNetns(env(scripted(() => exited(1, '', 'unshare failed: Operation not permitted')).exec));
    expect(denied).toMatchObject({ status: 'missing', required: true });
  });

  it('userns: max_user_namespaces = 0 is missing without running unshare', async () => {
    const { exec, calls } = scripted(() => exited(0));
    const check = await probeUserns(env(exec, { readText: async (p) => (p.endsWith('max_user_namespaces') ? '0\n' : undefined) }));
    expect(check).toMatchObject({ status: 'missing', data: { maxUserNamespaces: 0 } });
    expect(calls).toHaveLength(0);
    const allowed = await probeUserns(env(exec, { readText: async (p) => (p.endsWith('max_user_namespaces') ? '96364\n' : '0\n') }));
    expect(allowed).toMatchObject({ status: 'ok', data: { maxUserNamespaces: 96364, unprivilegedClone: 0 } });
    expect(allowed.detail).toContain('unprivileged users cannot');
  });

  it('nft: version when present, missing when not', async () => {
    expect(await probeNftables(env(scripted(() => exited(0, 'nftables v1.0.6 (Lester Gooch #5)\n')).exec))).toMatchObject({
      status: 'ok',
      detail: 'nftables v1.0.6 (Lester Gooch #5)',
    });
    expect((await probeNftables(env(scripted(() => ({ kind: 'not-found', file: 'nft' })).exec))).status).toBe('missing');
    const denied = await probeNftables(env(scripted(() => ({ kind: 'not-found', file: 'nft', code: 'EACCES' })).exec));
    expect(denied).toMatchObject({ status: 'missing', detail: expect.stringContaining('not executable by this user') });
  });
});

describe('link backend', () => {
  const check = (name: string, ok: boolean): CheckResult =>
    makeCheck({ name, area: 'kernel', required: false }, ok ? 'ok' : 'missing', '');
  it('is ok when netem or TUN works and missing when neither does', () => {
    for (const netem of [true, false]) {
      for (const tun of [true, false]) {
        const result = deriveLinkBackend(check('netem', netem), check('tun', tun));
        expect(result.required).toBe(true);
        expect(result.status).toBe(netem || tun ? 'ok' : 'missing');
        expect(result.data?.backends).toEqual([...(netem ? ['netem'] : []), ...(tun ? ['userspace'] : [])]);
      }
    }
  });
});
