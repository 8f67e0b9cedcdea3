/**
 * The replay cross-check on a recorded real run (test/fixtures/sim/replay-hybrid-360p: hybrid
 * NACK/RTX + FlexFEC at 10 % random media loss): its frame sizes, keyframes and capture times and
 * its link fate log go through the virtual-time pipelines; every frame packetizes into the same
 * number of packets, the same media packets are dropped, and the wire-truth outcome (fec / rtx /
 * too late / never) of each agrees with the real run's but for FEC-vs-RTX races the real run's
 * timing decided differently (an RR that turned FEC on reached the real sender a frame later).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replayRun } from '../../lab/sim/replay.ts';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/sim/replay-hybrid-360p');
const runsRoot = mkdtempSync(path.join(os.tmpdir(), 'glasslab-replay-'));
afterAll(() => rmSync(runsRoot, { recursive: true, force: true }));

describe('replay cross-check', () => {
  it('gives the recorded run\'s wire-truth classification packet by packet', async () => {
    const r = await replayRun(FIXTURE, runsRoot);
    expect(r.packetCountMismatches).toBe(0);
    expect(r.real).toEqual({ fec: 22, rtx: 6, tooLate: 0, never: 0 });
    const dropped = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
    expect(dropped(r.replayed)).toBe(28);
    // the same packets dropped; outcomes differ only between FEC and RTX (a race), never in kind
    for (const d of r.differences) {
      expect(['fec', 'rtx']).toContain(d.real);
      expect(['fec', 'rtx']).toContain(d.replay);
    }
    expect(r.agree).toBeGreaterThanOrEqual(26);
    // nearly every RTP packet met its recorded fate
    expect(r.link.up.unmatched).toBeLessThanOrEqual(2);
    expect(r.link.up.matched).toBeGreaterThan(330);
    expect(r.replay.results.simulation?.link).toContain('replayed');
    expect(r.replay.status.state).toBe('completed');
  });
});
