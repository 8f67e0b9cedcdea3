/**
 * A run whose status.json says "running" while its owner is gone (kill -9 of the orchestrator, a
 * full disk) is marked interrupted, with how it was found, by `glasslab report` and by
 * `glasslab doctor --cleanup --runs <dir>`; a live owner's run is left alone, and a reused pid
 * (same number, other start time) does not pass for the owner.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../lab/cli/commands/report.ts';
import { main } from '../../lab/cli/main.ts';
import { cleanupEverything } from '../../lab/doctor/cleanup.ts';
import { processStartTicks } from '../../lab/topology/owner.ts';
import { syntheticRun, writeSyntheticRunDir } from './fixtures.ts';

const DEAD_PID = 2 ** 22 + 11;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A run folder killed mid-run: records without run-end, status.json "running" for `pid`. */
async function killedRun(pid: number, pidStartTicks?: string): Promise<string> {
  const run = syntheticRun({ frameCount: 30 });
  run.run = run.run.filter((record) => !(record.type === 'event' && record.name === 'run-end'));
  const status = { state: 'running', startedAt: '2026-12-02T10:00:00.000Z', pid, ...(pidStartTicks !== undefined ? { pidStartTicks } : {}) };
  const dir = await writeSyntheticRunDir(run, { 'scenario.json': JSON.stringify({ name: 'killed' }), 'status.json': JSON.stringify(status) });
  dirs.push(dir);
  return dir;
}

const readStatus = async (dir: string): Promise<{ state: string; message?: string }> => JSON.parse(await readFile(path.join(dir, 'status.json'), 'utf8')) as { state: string; message?: string };

function capture() {
  const err: string[] = [];
  return { err, io: { out: () => undefined, err: (text: string) => void err.push(text) } };
}

describe('stale "running" status', () => {
  it('glasslab report marks a dead owner\'s run interrupted, says how it was found, and exits 3', async () => {
    const dir = await killedRun(DEAD_PID, '12345');
    const { io, err } = capture();
    expect(await runReportCommand(dir, {}, io)).toBe(3);
    const status = await readStatus(dir);
    expect(status.state).toBe('interrupted');
    expect(status.message).toMatch(new RegExp(`^owner pid ${DEAD_PID} is gone; found by glasslab report at \\d{4}-\\d\\d-\\d\\dT`));
    const results = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as { outcome: { status: string; message: string } };
    expect(results.outcome).toEqual({ status: 'interrupted', message: status.message });
    expect(err.join('\n')).toContain('marked interrupted');
  });

  it('a reused pid (alive, other start time) is not the owner; a live owner is spared', async () => {
    const ticks = processStartTicks(process.pid)!;
    const reused = await killedRun(process.pid, String(Number(ticks) + 1));
    const live = await killedRun(process.pid, ticks);
    expect(await runReportCommand(reused, {}, capture().io)).toBe(3);
    expect((await readStatus(reused)).message).toMatch(new RegExp(`^owner pid ${process.pid} is gone \\(that pid now belongs to another process\\)`));
    expect(await runReportCommand(live, {}, capture().io)).toBe(3);
    expect((await readStatus(live)).state).toBe('running');
  });

  it('doctor --cleanup marks the runs under --runs (and in suite folders), sparing live ones', async () => {
    const root = path.join(path.dirname(await killedRun(DEAD_PID)), `glasslab-runs-${process.pid}-${Date.now()}`);
    dirs.push(root);
    const deadRun = path.join(root, '20261202-100000-dead');
    const suiteRun = path.join(root, 'suite-x', '20261202-100001-in-suite');
    const liveRun = path.join(root, '20261202-100002-live');
    const write = async (dir: string, status: object): Promise<void> => {
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'status.json'), JSON.stringify(status));
    };
    await write(deadRun, { state: 'running', startedAt: 'x', pid: DEAD_PID, pidStartTicks: '5' });
    await write(suiteRun, { state: 'running', startedAt: 'x', pid: DEAD_PID });
    await write(liveRun, { state: 'running', startedAt: 'x', pid: process.pid, pidStartTicks: processStartTicks(process.pid) });
    const noKernel = () => ({ removedNamespaces: [], removedLinks: [], killedPids: [], sparedRuns: [], failures: [] });
    const report = await cleanupEverything({ runsRoot: root, tmpDir: root, kernelCleanup: noKernel });
    expect(report.interruptedRuns.sort()).toEqual([deadRun, suiteRun].sort());
    expect((await readStatus(deadRun)).message).toMatch(new RegExp(`^owner pid ${DEAD_PID} is gone; found by glasslab doctor --cleanup at `));
    expect((await readStatus(suiteRun)).state).toBe('interrupted');
    expect((await readStatus(liveRun)).state).toBe('running');
    expect((await cleanupEverything({ runsRoot: path.join(root, 'none'), tmpDir: root, kernelCleanup: noKernel })).failures).toEqual([]);
  });

  it('doctor documents --runs in its help', async () => {
    const out: string[] = [];
    const code = await main(['node', 'glasslab', 'doctor', '--help'], { stdout: (t) => void out.push(t), stderr: () => undefined });
    expect(code).toBe(0);
    expect(out.join('').replace(/\s+/g, ' ')).toMatch(/--runs <dir> .*\(default: "runs"\)/);
  });
});
