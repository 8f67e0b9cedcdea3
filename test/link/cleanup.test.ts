import { expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupLabLeftovers } from '../../lab/topology/cleanup.ts';
import { listLinks, listNamespaces, run, tryRun } from '../../lab/topology/ip.ts';
import { LabTopology } from '../../lab/topology/topology.ts';
import { stateDir } from '../../lab/topology/names.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/** Running (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describePrivileged(rootLink())('cleanup after SIGKILL (needs root)', () => {
  it('removes every leftover of a killed run by its prefix, and nothing else', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/hold-topology.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ runId: string; sleeper: number }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    // a namespace that is not the lab's, and a live run of this process: both must survive
    const bystander = `glx-bystander-${process.pid}`;
    run(['ip', 'netns', 'add', bystander]);
    const live = LabTopology.create({ handleSignals: false });
    try {
      expect(listNamespaces().filter((n) => n.includes(info.runId)).length).toBe(2);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // SIGKILL ran no teardown: namespaces, the process inside and the ownership record remain
      expect(listNamespaces().filter((n) => n.includes(info.runId)).length).toBe(2);
      expect(alive(info.sleeper)).toBe(true);

      const report = cleanupLabLeftovers();
      expect(report.failures).toEqual([]);
      expect(report.removedNamespaces.sort()).toEqual([`gl-${info.runId}-rcv`, `gl-${info.runId}-snd`]);
      expect(report.killedPids).toContain(info.sleeper);
      expect(report.sparedRuns).toContain(live.runId);
      await new Promise((r) => setTimeout(r, 100));
      expect(alive(info.sleeper)).toBe(false);
      expect(listNamespaces().filter((n) => n.includes(info.runId))).toEqual([]);
      expect(listLinks().filter((n) => n.includes(info.runId))).toEqual([]);
      expect(existsSync(path.join(stateDir(), `${info.runId}.json`))).toBe(false);
      expect(listNamespaces()).toContain(bystander);
      expect(listNamespaces()).toContain(live.namespace('snd'));
      // idempotent: a second pass finds nothing of that run
      expect(cleanupLabLeftovers({ runId: info.runId }).removedNamespaces).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      live.teardown();
      tryRun(['ip', 'netns', 'del', bystander]);
      cleanupLabLeftovers({ runId: info.runId });
    }
    expect(listNamespaces().filter((n) => n.includes(live.runId))).toEqual([]);
  });

  it('SIGTERM runs the teardown', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/hold-topology.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ runId: string; sleeper: number }>((resolve) => {
      child.stdout.on('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]!)));
    });
    try {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      expect(listNamespaces().filter((n) => n.includes(info.runId))).toEqual([]);
      expect(alive(info.sleeper)).toBe(false);
    } finally {
      cleanupLabLeftovers({ runId: info.runId });
    }
  });
});
