/**
 * kill -9 of the orchestrator mid-run leaves status.json "running" and its control-socket folder
 * behind. `glasslab report` marks the run interrupted (owner gone, how it was found) and exits 3;
 * `glasslab doctor --cleanup` removes the control folder. Its children end on their own once the
 * channel closes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../lab/cli/commands/report.ts';
import { cleanupEverything } from '../../lab/doctor/cleanup.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');
const noKernel = () => ({ removedNamespaces: [], removedLinks: [], killedPids: [], sparedRuns: [], failures: [] });

describe('a run whose orchestrator was killed with SIGKILL', () => {
  let runsRoot: string | undefined;
  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('is marked interrupted by report (exit 3) and its control folder removed by doctor --cleanup', async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-kill-'));
    const subprocess = execa(process.execPath, [cli, 'run', path.join(root, 'scenarios/ci-360p.yaml'), '--runs', runsRoot], { reject: false, timeout: 90_000 });
    const pid = subprocess.pid!;
    let stderr = '';
    await new Promise<void>((resolve) => {
      subprocess.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes(': running')) resolve();
      });
      void subprocess.then(() => resolve());
    });
    process.kill(pid, 'SIGKILL');
    await subprocess;
    const runDir = path.join(runsRoot, readdirSync(runsRoot)[0]!);
    expect((JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8')) as { state: string }).state).toBe('running');
    const controlDirs = readdirSync(os.tmpdir()).filter((name) => name.startsWith(`glasslab-ctl-${pid}-`));
    expect(controlDirs).toHaveLength(1);

    const err: string[] = [];
    expect(await runReportCommand(runDir, {}, { out: () => undefined, err: (t) => void err.push(t) })).toBe(3);
    const status = JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8')) as { state: string; message: string };
    expect(status.state).toBe('interrupted');
    expect(status.message).toMatch(new RegExp(`^owner pid ${pid} is gone; found by glasslab report at `));
    expect(existsSync(path.join(runDir, 'results.json'))).toBe(true);

    const cleaned = await cleanupEverything({ runsRoot, kernelCleanup: noKernel });
    expect(cleaned.removedControlDirs).toContain(path.join(os.tmpdir(), controlDirs[0]!));
    expect(existsSync(path.join(os.tmpdir(), controlDirs[0]!))).toBe(false);
    // the children noticed the closed channel and are gone
    await new Promise((r) => setTimeout(r, 1000));
    const leftovers = await execa('pgrep', ['-f', `main\\.[jt]s --control [^ ]*glasslab-ctl-${pid}-`], { reject: false });
    expect(leftovers.stdout.trim()).toBe('');
  }, 120_000);
});
