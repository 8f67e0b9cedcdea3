import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { doctorExitCode, registerDoctorCommand } from '../../lab/cli/commands/doctor.ts';
import { type CliContext, ExitCode } from '../../lab/cli/context.ts';
import { main } from '../../lab/cli/main.ts';
import type { CommandRunner } from '../../lab/doctor/exec.ts';
import { formatDoctorReport, summaryLine } from '../../lab/doctor/format.ts';
import { requiredChecksPass, summarize } from '../../lab/doctor/run.ts';
import { type CheckResult, type CheckStatus, checkAreas } from '../../lab/doctor/types.ts';

const checkArb = fc.record({
  name: fc.string({ minLength: 1, maxLength: 10 }),
  area: fc.constantFrom(...checkAreas),
  status: fc.constantFrom<CheckStatus>('ok', 'missing', 'skipped', 'error'),
  required: fc.boolean(),
  detail: fc.string({ maxLength: 20 }),
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

describe('aggregation', () => {
  it('exit 3 exactly when a required check is not ok; counts add up', () => {
    fc.assert(
      fc.property(fc.array(checkArb, { maxLength: 25 }), (checks) => {
        const requiredBroken = checks.some((c) => c.required && c.status !== 'ok');
        const ok = requiredChecksPass(checks);
        expect(ok).toBe(!requiredBroken);
        expect(doctorExitCode({ version: 1, ok, checks })).toBe(requiredBroken ? 3 : 0);
        const s = summarize(checks);
        expect(s.ok + s.missing + s.skipped).toBe(checks.length);
        expect(s.missingRequired).toBe(checks.filter((c) => c.required && (c.status === 'missing' || c.status === 'error')).length);
      }),
    );
  });

  it('the table groups by area, marks each row and ends with the summary line', () => {
    const checks: CheckResult[] = [
      { name: 'ffmpeg', area: 'tools', status: 'ok', required: true, detail: '5.1' },
      { name: 'netem', area: 'kernel', status: 'missing', required: false, detail: 'kernel lacks sch_netem' },
      { name: 'vulkan', area: 'vulkan', status: 'error', required: true, detail: 'addon not built', more: ['#0 llvmpipe'] },
      { name: 'nvidia', area: 'nvidia', status: 'skipped', required: false, detail: 'n/a' },
    ];
    const lines = formatDoctorReport({ version: 1, ok: false, checks }).trimEnd().split('\n');
    expect(lines).toEqual([
      'vulkan',
      expect.stringMatching(/^ {2}✗ vulkan +error +required +addon not built$/),
      expect.stringMatching(/^ +#0 llvmpipe$/),
      'kernel',
      expect.stringMatching(/^ {2}✗ netem +missing +optional +kernel lacks sch_netem$/),
      'tools',
      expect.stringMatching(/^ {2}✓ ffmpeg +ok +required +5\.1$/),
      'nvidia',
      expect.stringMatching(/^ {2}– nvidia +skipped +optional +n\/a$/),
      'doctor: 1 ok, 2 missing (1 required), 1 skipped',
    ]);
    // Detail columns line up, and extra lines start where details start.
    const detailColumn = (line: string, detail: string) => line.indexOf(detail);
    expect(detailColumn(lines[1] as string, 'addon')).toBe(detailColumn(lines[6] as string, '5.1'));
    expect(detailColumn(lines[2] as string, '#0')).toBe(detailColumn(lines[1] as string, 'addon'));
    expect(summaryLine(checks.slice(0, 1))).toBe('doctor: 1 ok, 0 missing (0 required)');
  });
});

describe('CLI parsing', () => {
  it('an unknown flag exits 2 naming the flag', async () => {
    const { io, out, err } = capture();
    expect(await main(['node', 'glasslab', 'doctor', '--frobnicate'], io)).toBe(ExitCode.badInput);
    expect(err.join('')).toContain("unknown option '--frobnicate'");
    expect(out.join('')).toBe('');
  });

  it('an unknown command exits 2 naming it; excess arguments and no command exit 2', async () => {
    const unknown = capture();
    expect(await main(['node', 'glasslab', 'docter'], unknown.io)).toBe(2);
    expect(unknown.err.join('')).toContain("unknown command 'docter'");
    expect(unknown.err.join('')).toContain('doctor'); // the suggestion
    expect(await main(['node', 'glasslab', 'doctor', 'extra'], capture().io)).toBe(2);
    expect(await main(['node', 'glasslab'], capture().io)).toBe(2);
  });

  it('--version prints package.json version and --help lists doctor, both exit 0', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const version = capture();
    expect(await main(['node', 'glasslab', '--version'], version.io)).toBe(0);
    expect(version.out.join('').trim()).toBe(pkg.version);
    const help = capture();
    expect(await main(['node', 'glasslab', '--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/doctor/);
    expect(help.out.join('')).toMatch(/--json/);
  });
});

describe('doctor command with a faked machine', () => {
  /** Every command succeeds, printing a version-like line. */
  const allGood: CommandRunner = async (file) => ({
    kind: 'exited',
    exitCode: 0,
    stdout: file === 'ffmpeg' ? 'ffmpeg version 6.0 x\n V....D libx264  libx264 H.264\n' : `${file} 1.0\n`,
    stderr: '',
  });

  async function runDoctorCli(argv: string[], x264Available: boolean) {
    const { io, out } = capture();
    const context: CliContext = { io, exitCode: ExitCode.ok };
    const program = new Command('glasslab').option('--json').exitOverride();
    registerDoctorCommand(program, context, {
      exec: allGood,
      kernel: { exec: allGood, mode: 'root', readText: async () => '1', pid: 1 },
      pathExists: async () => true,
      vulkanOverride: undefined,
      loadAddon: () => ({
        modules: ['vulkan', 'codec'],
        listVulkanDevices: async () => [
          { index: 0, name: 'llvmpipe', type: 'cpu', vendorId: 0x10005, deviceId: 0, driverName: 'llvmpipe', driverInfo: '', apiVersion: '1.3.0', externalMemoryFd: false, externalSemaphoreFd: false, timelineSemaphore: true, deviceUuid: '6d657361-3232-2e33-2e36-000000000000' },
        ],
        probeEncoders: async () => [
          { codec: 'x264', available: x264Available, ...(x264Available ? {} : { reason: 'libx264 not linked' }) },
          { codec: 'openh264', available: false, reason: 'absent' },
          { codec: 'h264_nvenc', available: false, reason: 'no GPU' },
          { codec: 'hevc_nvenc', available: false, reason: 'no GPU' },
        ],
        Decoder: class {
          async decode() {
            return [];
          }
          close() {}
        },
      }),
    });
    await program.parseAsync(argv, { from: 'user' });
    return { exitCode: context.exitCode, stdout: out.join('') };
  }

  it('--json prints one report object; exit 0 when required checks pass, 3 when x264 is missing', async () => {
    const good = await runDoctorCli(['--json', 'doctor'], true);
    const report = JSON.parse(good.stdout) as { version: number; ok: boolean; checks: CheckResult[] };
    expect(report.version).toBe(1);
    expect(report.ok).toBe(true);
    expect(good.exitCode).toBe(0);
    expect(report.checks.find((c) => c.name === 'vulkan')?.data).toMatchObject({ chosenIndex: 0 });
    const bad = await runDoctorCli(['doctor', '--json'], false);
    expect((JSON.parse(bad.stdout) as { ok: boolean }).ok).toBe(false);
    expect(bad.exitCode).toBe(3);
  });

  it('without --json prints the table', async () => {
    const { stdout, exitCode } = await runDoctorCli(['doctor'], false);
    expect(exitCode).toBe(3);
    expect(stdout).toMatch(/✗ encoder:x264 +missing +required +libx264 not linked/);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^doctor: \d+ ok, \d+ missing \(1 required\)$/);
  });
});
