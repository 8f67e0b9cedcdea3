/**
 * A child that cannot write its records is blamed by name: a real loopback run whose
 * sender.ndjson lies on a tiny tmpfs (a symlink made as soon as the run folder appears) fills it
 * mid-run; the sender reports the write failure over the control channel, the orchestrator
 * writes status.json "failed" blaming the sender and naming the file and the cause, and `glasslab
 * run` exits 3. Needs root (mount).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');
const rooted = process.getuid?.() === 0;

describe.skipIf(!rooted)('a child whose record file meets a full disk (needs root)', () => {
  let runsRoot: string;
  let tiny: string;
  let result: { exitCode: number | undefined; stdout: string; stderr: string };
  let runDir: string;
  let orchestratorPid: number | undefined;

  beforeAll(async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-full-'));
    tiny = await mkdtemp(path.join(os.tmpdir(), 'glasslab-tiny-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', tiny]);
    const subprocess = execa(process.execPath, [cli, '--json', 'run', path.join(root, 'scenarios/ci-360p.yaml'), '--runs', runsRoot], { reject: false, timeout: 90_000 });
    orchestratorPid = subprocess.pid;
    // the sender opens sender.ndjson only once configured, seconds after the folder appears
    const linked = (async () => {
      for (let i = 0; i < 4000; i += 1) {
        const [name] = readdirSync(runsRoot).filter((entry) => !entry.startsWith('.'));
        if (name !== undefined) {
          symlinkSync(path.join(tiny, 'sender.ndjson'), path.join(runsRoot, name, 'sender.ndjson'));
          return;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await linked;
    const done = await subprocess;
    result = { exitCode: done.exitCode, stdout: String(done.stdout), stderr: String(done.stderr) };
    runDir = path.join(runsRoot, readdirSync(runsRoot).filter((entry) => !entry.startsWith('.'))[0]!);
  }, 120_000);

  afterAll(async () => {
    if (tiny) {
      execFileSync('umount', ['-l', tiny]);
      await rm(tiny, { recursive: true, force: true });
    }
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('blames the sender in status.json with the file and the cause, and exits 3', async () => {
    expect(result.exitCode, result.stderr).toBe(3);
    const status = JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8')) as { state: string; message: string };
    expect(status.state).toBe('failed');
    expect(status.message).toBe(`sender: cannot write ${path.join(runDir, 'sender.ndjson')}: no space left on device (ENOSPC)`);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { state: string; message: string };
    expect(summary).toMatchObject({ state: 'failed', message: status.message });
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('leaves no child process and no control socket folder behind', async () => {
    const leftovers = await execa('pgrep', ['-f', `src/(sender|receiver)/main\\.[jt]s --control [^ ]*glasslab-ctl-${orchestratorPid}-`], { reject: false });
    expect(leftovers.stdout.trim()).toBe('');
    expect(readdirSync(os.tmpdir()).filter((name) => name.startsWith(`glasslab-ctl-${orchestratorPid}-`))).toEqual([]);
    expect(existsSync(path.join(runDir, 'sender.log'))).toBe(true);
  });
});

describe.skipIf(!rooted)('a whole run on a full disk (needs root)', () => {
  it('one line naming the file and the cause, the child blamed in status.json, exit 3, no results.json', async () => {
    const disk = await mkdtemp(path.join(os.tmpdir(), 'glasslab-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', disk]);
    try {
      const runsRoot = path.join(disk, 'runs');
      const done = await execa(process.execPath, [cli, 'run', path.join(root, 'scenarios/ci-360p.yaml'), '--runs', runsRoot], { reject: false, timeout: 90_000 });
      expect(done.exitCode, done.stderr).toBe(3);
      const [name] = readdirSync(runsRoot).filter((entry) => !entry.startsWith('.'));
      const runDir = path.join(runsRoot, name!);
      const lines = String(done.stderr).split('\n').filter((line) => line !== '' && !line.startsWith('[run] '));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^glasslab: cannot write ${runDir}/\\S+: no space left on device \\(ENOSPC\\)`));
      const status = JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8')) as { state: string; message: string };
      expect(status.state).toBe('failed');
      expect(status.message).toMatch(new RegExp(`^(sender|receiver|orchestrator): cannot write ${runDir}/(sender|receiver|run)\\.ndjson: no space left on device \\(ENOSPC\\)$`));
      const [blamed, file] = /^(\w+): cannot write \S+\/(\w+)\.ndjson/.exec(status.message)!.slice(1);
      expect(blamed === 'orchestrator' ? 'run' : blamed).toBe(file);
      expect(existsSync(path.join(runDir, 'results.json'))).toBe(false);
    } finally {
      execFileSync('umount', ['-l', disk]);
      await rm(disk, { recursive: true, force: true });
    }
  }, 120_000);
});
