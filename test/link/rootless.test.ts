import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeRootless } from '../../lab/topology/rootless.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const rootless = probeRootless();
const unshareArgs = ['-Urnpf', '--kill-child', process.execPath, '--import', 'tsx'];

/** Host pids of processes whose network namespace is `netns` ("net:[inode]"). */
function processesIn(netns: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === netns) pids.push(Number(entry));
    } catch {
      // gone or not ours to read
    }
  }
  return pids;
}

describe.skipIf(!rootless.available)(`rootless topology in a user namespace${rootless.available ? '' : ` (skipped: ${rootless.reason})`}`, () => {
  it('carries UDP through the userspace link between fd-held namespaces', () => {
    const r = spawnSync('unshare', [...unshareArgs, path.join(here, 'fixtures/rootless-run.ts')], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { inUserNamespace: boolean; received: number; minUs: number; p50Us: number };
    expect(out.inUserNamespace).toBe(true);
    expect(out.received).toBe(200);
    expect(out.minUs).toBeGreaterThanOrEqual(3000);
    expect(out.p50Us).toBeLessThan(4000);
  });

  it('leaves nothing behind after SIGKILL: the kernel ends the namespaces and their processes', async () => {
    const child = spawn('unshare', [...unshareArgs, path.join(here, 'fixtures/rootless-hold.ts')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ netns: string[] }>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => resolve(JSON.parse(d.toString().split('\n')[0]!)));
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    try {
      // the rcv namespace holds the sleeper
      expect(processesIn(info.netns[1]!).length).toBeGreaterThan(0);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      let left: number[] = [];
      for (let i = 0; i < 50; i++) {
        left = info.netns.flatMap(processesIn);
        if (left.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(left).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
