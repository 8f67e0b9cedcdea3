/**
 * `glasslab doctor --cleanup`: removes a dead run's namespaces and says what it removed; spares
 * live runs; prints "nothing" when nothing is left.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCleanupReport } from '../../lab/cli/commands/doctor.ts';
import { main } from '../../lab/cli/main.ts';
import { listNamespaces, run, tryRun } from '../../lab/topology/ip.ts';
import { newRunId, stateDir } from '../../lab/topology/names.ts';
import { removeOwner, writeOwner } from '../../lab/topology/owner.ts';
import { describePrivileged, rootNamespaces } from '../helpers/privileges.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

describe('formatCleanupReport', () => {
  it('names each thing removed or spared, or says nothing was left', () => {
    expect(formatCleanupReport({ removedNamespaces: [], removedLinks: [], killedPids: [], sparedRuns: [], failures: [] })).toBe('cleanup: nothing of the lab was left\n');
    const text = formatCleanupReport({ removedNamespaces: ['gl-abcdef-snd'], removedLinks: ['glabcdefs'], killedPids: [42], sparedRuns: ['012345'], failures: ['ip netns del x'] });
    expect(text.split('\n')).toEqual([
      'cleanup:',
      '  killed process 42',
      '  removed namespace gl-abcdef-snd',
      '  removed link glabcdefs',
      '  spared run 012345 (its owner is alive)',
      '  FAILED: ip netns del x',
      '',
    ]);
  });
});

// Records go to the real state dir: with another one, every live run on the machine (their
// records are in the real one) would look ownerless to this cleanup.
describePrivileged(rootNamespaces())('glasslab doctor --cleanup (needs root)', () => {
  it('removes the namespaces of a run whose owner died and spares a live one', async () => {
    const dead = newRunId();
    const live = newRunId();
    for (const id of [dead, live]) run(['ip', 'netns', 'add', `gl-${id}-snd`]);
    try {
      mkdirSync(stateDir(), { recursive: true });
      writeFileSync(path.join(stateDir(), `${dead}.json`), JSON.stringify({ runId: dead, pid: 2 ** 22 + 1, startTicks: '1' }));
      writeOwner(live);
      const { io, out } = capture();
      expect(await main(['node', 'glasslab', 'doctor', '--cleanup'], io)).toBe(0);
      expect(out.join('')).toContain(`removed namespace gl-${dead}-snd`);
      expect(out.join('')).toContain(`spared run ${live}`);
      expect(listNamespaces()).not.toContain(`gl-${dead}-snd`);
      expect(listNamespaces()).toContain(`gl-${live}-snd`);
      expect(existsSync(path.join(stateDir(), `${dead}.json`))).toBe(false);
    } finally {
      for (const id of [dead, live]) tryRun(['ip', 'netns', 'del', `gl-${id}-snd`]);
      removeOwner(live);
      removeOwner(dead);
    }
  });
});
