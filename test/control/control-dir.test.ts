/**
 * Control folders of killed runs are found by name (pid + start time) and removed; those of live
 * runs are spared, also when a dead run's pid now belongs to another process.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createControlDir, sweepControlDirs } from '../../lab/run/control-dir.ts';
import { processStartTicks } from '../../lab/topology/owner.ts';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'glasslab-sweep-test-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A pid no process has (above the kernel's pid_max default of 2^22). */
const DEAD_PID = 2 ** 22 + 7;

describe('sweepControlDirs', () => {
  it('removes dead runs\' folders and legacy sockets, spares live ones', async () => {
    const live = await createControlDir(tmp);
    await writeFile(live.socketPath, '');
    const ticks = processStartTicks(process.pid)!;
    const dead = path.join(tmp, `glasslab-ctl-${DEAD_PID}-12345-abcDEF`);
    const reused = path.join(tmp, `glasslab-ctl-${process.pid}-${Number(ticks) + 1}-xyz123`);
    for (const dir of [dead, reused]) {
      await mkdir(dir);
      await writeFile(path.join(dir, 'control.sock'), '');
    }
    const legacyDead = path.join(tmp, `glasslab-${DEAD_PID}-20261202-x.sock`);
    const legacyLive = path.join(tmp, `glasslab-${process.pid}-20261202-y.sock`);
    const unrelated = path.join(tmp, 'glasslab-run-abc');
    for (const file of [legacyDead, legacyLive]) await writeFile(file, '');
    await mkdir(unrelated);

    const sweep = sweepControlDirs(tmp);
    expect(sweep.removed.sort()).toEqual([dead, legacyDead, reused].sort());
    expect(sweep.spared.sort()).toEqual([live.dir, legacyLive].sort());
    expect(sweep.failures).toEqual([]);
    expect(existsSync(live.socketPath)).toBe(true);
    expect(existsSync(dead) || existsSync(reused) || existsSync(legacyDead)).toBe(false);
    expect(existsSync(unrelated)).toBe(true);
    await live.remove();
    expect(existsSync(live.dir)).toBe(false);
  });
});
