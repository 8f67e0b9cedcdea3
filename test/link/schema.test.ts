import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveLink, type ResolvedLink } from '../../lab/scenario/link-resolve.ts';
import { linkJsonSchema } from '../../lab/scenario/link-schema.ts';
import { listLinkProfiles, loadLinkProfile } from '../../lab/scenario/link-profiles.ts';
import { runVirtualLink } from '../../src/link/virtual.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'gl-schema-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ok(link: unknown, timeline?: unknown): ResolvedLink {
  const r = resolveLink(link, timeline, dir);
  if ('error' in r) throw r.error;
  return r.link;
}
function issues(link: unknown, timeline?: unknown): string {
  const r = resolveLink(link, timeline, dir);
  if (!('error' in r)) throw new Error('expected an error');
  expect(r.error.code).toBe('LINK_SCENARIO_INVALID');
  return r.error.issues.join('\n');
}

describe('link scenario vocabulary', () => {
  it('netem knobs, shared and per direction, with units', () => {
    const r = ok({
      delay: '40ms',
      jitter: '500ms',
      delay_correlation: '25%',
      distribution: 'pareto',
      loss: { model: 'gemodel', p: '1%', r: 30, '1-h': '90%' },
      reorder: { p: '5%', gap: 3 },
      rate: '10mbit',
      overhead: 28,
      queue: { packets: 100, delay: '50ms' },
      down: { delay: '1.5s', loss: 2, rate: '1kbps' },
    });
    expect(r.params.up).toEqual({
      delayUs: 40000,
      jitterUs: 500000,
      delayCorrelation: 0.25,
      distribution: 'pareto',
      loss: { model: 'gemodel', p: 0.01, r: 0.3, oneMinusH: 0.9, oneMinusK: 0 },
      reorder: { p: 0.05, gap: 3 },
      rateBps: 10_000_000,
      overheadBytes: 28,
      queue: { packets: 100, delayUs: 50000 },
    });
    expect(r.params.down.delayUs).toBe(1_500_000);
    expect(r.params.down.loss).toEqual({ model: 'random', p: 0.02 });
    expect(r.params.down.rateBps).toBe(1000); // kbps = kilobits per second, as everywhere in a scenario
  });

  it("libwebrtc's names map onto the same model", () => {
    const r = ok({ queue_length_packets: 30, queue_delay_ms: 40, delay_standard_deviation_ms: 5, link_capacity_kbps: 1500, loss_percent: 5, avg_burst_loss_length: 4, packet_overhead: 20 });
    expect(r.params.up).toEqual({
      delayUs: 40000,
      jitterUs: 5000,
      distribution: 'normal',
      keepOrder: true,
      loss: { model: 'gemodel', p: 0.05 / 0.95 / 4, r: 0.25, oneMinusH: 1, oneMinusK: 0 },
      rateBps: 1_500_000,
      overheadBytes: 20,
      queue: { packets: 30 },
    });
    expect(ok({ delay_standard_deviation_ms: 5, allow_reordering: true }).params.up.keepOrder).toBe(false);
    expect(ok({ loss_percent: 2 }).params.up.loss).toEqual({ model: 'random', p: 0.02 });
    // the GE mapping keeps libwebrtc's mean loss and burst length
    const { outcomes } = runVirtualLink({ seed: 4, params: ok({ loss_percent: 10, avg_burst_loss_length: 3 }).params.up, packets: Array.from({ length: 60000 }, (_, i) => ({ atUs: i * 10, packet: 100 })) });
    const lost = outcomes.filter((o) => o === 'loss').length / outcomes.length;
    expect(Math.abs(lost - 0.1)).toBeLessThan(0.015);
  });

  it('bad input gives errors naming the field', () => {
    expect(issues({ loss: '120%' })).toMatch(/link\.loss\.p: must be between 0 % and 100 %/);
    expect(issues({ loss_percent: 120 })).toMatch(/link\.loss_percent/);
    expect(issues({ delay: '-5ms' })).toMatch(/link\.delay: must be a duration ≥ 0/);
    expect(issues({ delay: 30 })).toMatch(/link\.delay: a bare number is not a duration: write the unit, e\.g\. "30s" or "30ms"/);
    expect(issues({ delay: '-5ms' })).toMatch(/link\.delay/);
    expect(issues({ up: { jitter: '3 parsecs' } })).toMatch(/link\.up\.jitter: "3 parsecs" is not a duration/);
    expect(issues({ distribution: 'gaussian' })).toMatch(/link\.distribution/);
    expect(issues({ rate: '10 furlongs' })).toMatch(/link\.rate/);
    expect(issues({ dealy: '10ms' })).toMatch(/dealy/);
    expect(issues({ delay: '10ms', queue_delay_ms: 10 })).toMatch(/link\.up: both delay and queue_delay_ms/);
    expect(issues({ loss: { model: 'markov', p: 1 } })).toMatch(/link\.loss\.model/);
    expect(issues({ rate_trace: 'missing.trace' })).toMatch(/link\.up\.rate_trace: .*missing\.trace: cannot read: ENOENT/);
    writeFileSync(path.join(dir, 'bad.trace'), '1\n2\nthree\n');
    expect(issues({ rate_trace: 'bad.trace' })).toMatch(/link\.up\.rate_trace: .*bad\.trace: line 3: expected a whole number of ms/);
    expect(issues({ rate_trace: 'bad.trace' })).not.toMatch(/three/); // the file's text is never quoted
    writeFileSync(path.join(dir, 'backwards.trace'), '5\n3\n');
    expect(issues({ rate_trace: 'backwards.trace' })).toMatch(/line 2: earlier than the line before/);
    expect(issues({ loss: { model: 'trace', pattern: '0102' } })).toMatch(/link\.up\.loss\.pattern: line 1, column 4: expected 0 \(pass\) or 1 \(lose\)/);
    expect(issues({}, [{ at: 'soon', set: { delay: '1ms' } }])).toMatch(/timeline\.0\.at/);
  });

  it('timeline changes accumulate per direction, twins replace each other', () => {
    const r = ok({ delay: '10ms', loss_percent: 1, down: { delay: '20ms' } }, [
      { at: '8s', set: { up: { delay: '30ms' } } },
      { at: '5s', set: { loss: '3%' } },
    ]);
    expect(r.timeline.map((t) => t.atUs)).toEqual([5_000_000, 8_000_000]);
    expect(r.timeline[0]!.params.up).toEqual({ delayUs: 10000, loss: { model: 'random', p: 0.03 } });
    expect(r.timeline[1]!.params.up.delayUs).toBe(30000);
    expect(r.timeline[1]!.params.down).toEqual({ delayUs: 20000, loss: { model: 'random', p: 0.03 } });
  });

  it('every shipped profile loads, states a source and runs in the model', () => {
    const files = listLinkProfiles();
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const r = loadLinkProfile(file);
      if ('error' in r) throw r.error;
      expect(r.profile.source.length).toBeGreaterThan(20);
      const { outcomes } = runVirtualLink({ seed: 1, params: r.profile.resolved.params.up, packets: Array.from({ length: 50 }, (_, i) => ({ atUs: i * 1000, packet: 1200 })) });
      expect(outcomes).toHaveLength(50);
    }
  });

  it('has a JSON Schema for editors', () => {
    const schema = linkJsonSchema() as { properties?: Record<string, unknown> };
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(['delay', 'loss', 'link_capacity_kbps', 'up', 'down']));
  });
});
