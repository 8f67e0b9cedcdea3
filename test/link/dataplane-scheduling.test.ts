// The userspace link's data-plane threads report the scheduling they got, and the backend says
// it: SCHED_FIFO as asked (root here), normal when none is asked. A run records it in env.json.
import { afterEach, expect, it } from 'vitest';
import { LabTopology } from '../../lab/topology/topology.ts';
import { startLinkBackend } from '../../lab/impairment/backend.ts';
import { resolveLink } from '../../lab/scenario/link-resolve.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

describePrivileged(rootLink())('data-plane scheduling (needs root and /dev/net/tun)', () => {
  let topology: LabTopology | undefined;
  afterEach(() => {
    topology?.teardown();
    topology = undefined;
  });

  const start = async (realtimePriority: number) => {
    topology = LabTopology.create({ handleSignals: false });
    const resolved = resolveLink({ backend: 'userspace', delay: '5ms' }, [], process.cwd());
    if ('error' in resolved) throw resolved.error;
    const started = await startLinkBackend(topology, resolved.link, { seed: 1, realtimePriority });
    const scheduling = started.scheduling;
    await started.stop();
    return scheduling;
  };

  it('SCHED_FIFO at the priority asked for, on both direction threads', async () => {
    expect(await start(50)).toEqual({ requested: 50, granted: true, text: 'SCHED_FIFO 50' });
  });

  it('normal scheduling when none is asked for, and says so', async () => {
    expect(await start(0)).toMatchObject({ requested: 0, granted: false, text: expect.stringContaining('normal') });
  });
});
