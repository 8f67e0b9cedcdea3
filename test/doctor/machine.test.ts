/**
 * Integration: runs the real doctor on this machine and checks that what it says matches
 * independent evidence (kernel config, PATH, device nodes, the tools' own output).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runDoctor } from '../../lab/doctor/run.ts';
import type { CheckResult, DoctorReport } from '../../lab/doctor/types.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** y / m / n for a kernel config option from /proc/config.gz or /boot/config-*; undefined if unknowable. */
function kernelConfig(option: string): 'y' | 'm' | 'n' | undefined {
  let text: string | undefined;
  try {
    text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8');
  } catch {
    try {
      text = readFileSync(`/boot/config-${release()}`, 'utf8');
    } catch {
      return undefined;
    }
  }
  const set = new RegExp(`^${option}=([ym])$`, 'm').exec(text);
  if (set) return set[1] as 'y' | 'm';
  return new RegExp(`^# ${option} is not set$`, 'm').test(text) ? 'n' : undefined;
}

/** Whether a qdisc's kernel code is present: the config says built in / not set, or modinfo finds the module. */
function qdiscInKernel(option: string, moduleName: string): boolean | undefined {
  const config = kernelConfig(option);
  if (config === 'y' || config === 'n') return config === 'y';
  const modinfo = spawnSync('modinfo', [moduleName]);
  if (modinfo.error) return undefined; // no modinfo: nothing independent to compare with
  return modinfo.status === 0;
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

let report: DoctorReport;
let elapsedMs = 0;
const byName = (name: string): CheckResult => {
  const check = report.checks.find((c) => c.name === name);
  if (!check) throw new Error(`no check named ${name}`);
  return check;
};

beforeAll(async () => {
  const started = performance.now();
  report = await runDoctor();
  elapsedMs = performance.now() - started;
  console.log(`doctor probes took ${elapsedMs.toFixed(0)} ms`);
});

describe('doctor tells the truth about this machine', () => {
  for (const [name, option, moduleName] of [
    ['netem', 'CONFIG_NET_SCH_NETEM', 'sch_netem'],
    ['tbf', 'CONFIG_NET_SCH_TBF', 'sch_tbf'],
    ['htb', 'CONFIG_NET_SCH_HTB', 'sch_htb'],
  ] as const) {
    const present = qdiscInKernel(option, moduleName);
    // skipped only where neither /proc/config.gz nor /boot/config-* says how the kernel was built
    it.skipIf(present === undefined)(`${name} qdisc agrees with the kernel configuration (skipped when the kernel config is unreadable)`, () => {
      expect(byName(name).status).toBe(present ? 'ok' : 'missing');
      if (!present) expect(byName(name).detail).toContain(moduleName);
    });
  }

  const tunConfig = kernelConfig('CONFIG_TUN');
  it.skipIf(tunConfig === undefined)('tun agrees with CONFIG_TUN and /dev/net/tun (skipped when the kernel config is unreadable)', () => {
    const config = tunConfig;
    const node = existsSync('/dev/net/tun') && statSync('/dev/net/tun').isCharacterDevice();
    let openable = false;
    try {
      accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
      openable = true;
    } catch {
      // not openable: doctor must say missing
    }
    expect(byName('tun').status).toBe(config !== 'n' && node && openable ? 'ok' : 'missing');
  });

  it('userns agrees with /proc/sys/user/max_user_namespaces', () => {
    const max = Number(readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim());
    const userns = byName('userns');
    expect(userns.data).toMatchObject({ maxUserNamespaces: max });
    if (max === 0) expect(userns.status).toBe('missing');
    if (max > 0 && process.getuid?.() === 0) expect(userns.status).toBe('ok');
  });

  it('netns works as root and leaves no glasslab-doctor namespace behind', () => {
    if (process.getuid?.() === 0) expect(byName('netns').status).toBe('ok');
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    expect(list).not.toContain(`glasslab-doctor-${process.pid}`);
  });

  it('link-backend is ok exactly when netem or tun is', () => {
    const either = byName('netem').status === 'ok' || byName('tun').status === 'ok';
    expect(byName('link-backend').status).toBe(either ? 'ok' : 'missing');
  });

  it('tools: presence matches PATH, ffmpeg version and encoders match ffmpeg itself', () => {
    for (const [name, tool] of [['nftables', 'nft'], ['tc', 'tc'], ['ip', 'ip'], ['iperf3', 'iperf3'], ['ffmpeg', 'ffmpeg']] as const) {
      expect(byName(name).status === 'ok', name).toBe(onPath(tool));
    }
    expect(byName('chromium').status === 'ok').toBe(existsSync('/usr/bin/chromium'));
  });

  // The setup script installs ffmpeg, so it is on PATH wherever the tests run after setup.
  it.skipIf(!onPath('ffmpeg'))('ffmpeg: the version and encoders doctor reports match ffmpeg itself (skipped: ffmpeg not on PATH)', () => {
    const version = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout.split(' ')[2];
    const encoders = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).stdout;
    expect(byName('ffmpeg').data).toEqual({
      version,
      encoders: {
        libx264: / libx264 /.test(encoders),
        libopenh264: / libopenh264 /.test(encoders),
        h264_nvenc: / h264_nvenc /.test(encoders),
        hevc_nvenc: / hevc_nvenc /.test(encoders),
      },
    });
  });

  it('nvidia: missing (saying what is skipped) unless nvidia-smi lists a GPU, then ok with its GPUs', () => {
    const smi = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' });
    const listed = smi.status === 0 && smi.stdout.trim().length > 0;
    if (listed) expect(byName('nvidia')).toMatchObject({ status: 'ok', data: { gpus: expect.any(Array) } });
    else expect(byName('nvidia')).toMatchObject({ status: 'missing', detail: expect.stringContaining('zero-copy and NVENC') });
  });

  it('native checks are ok with data or an error with a reason (native modules may not be built yet)', () => {
    for (const name of ['addon', 'vulkan', 'encoder:x264', 'decoder:h264']) {
      const check = byName(name);
      expect(['ok', 'missing', 'error']).toContain(check.status);
      expect(check.detail.length).toBeGreaterThan(0);
    }
    const vulkan = byName('vulkan');
    if (vulkan.status === 'ok') expect(vulkan.data).toMatchObject({ chosenIndex: expect.any(Number), devices: expect.any(Array) });
  });
});

const checkSchema = z.object({
  name: z.string().min(1),
  area: z.enum(['native', 'vulkan', 'codecs', 'kernel', 'tools', 'nvidia']),
  status: z.enum(['ok', 'missing', 'skipped', 'error']),
  required: z.boolean(),
  detail: z.string(),
  more: z.array(z.string()).optional(),
  data: z.unknown().optional(),
});
const reportSchema = z.strictObject({ version: z.literal(1), ok: z.boolean(), checks: z.array(checkSchema).min(1) });

describe('bin/glasslab.js doctor', () => {
  it('--json prints one valid report and exits 0 or 3 to match it', () => {
    const run = spawnSync(process.execPath, ['bin/glasslab.js', 'doctor', '--json'], { cwd: repoRoot, encoding: 'utf8' });
    const parsed = reportSchema.parse(JSON.parse(run.stdout));
    expect(run.status).toBe(parsed.ok ? 0 : 3);
    expect(parsed.ok).toBe(parsed.checks.every((c) => !c.required || c.status === 'ok'));
    const names = parsed.checks.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const required of ['vulkan', 'encoder:x264', 'decoder:h264', 'netns', 'link-backend', 'ffmpeg']) {
      expect(parsed.checks.find((c) => c.name === required)?.required, required).toBe(true);
    }
  });
});
