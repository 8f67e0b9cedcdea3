import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { NetemUnsupportedError, netemCommand, netemNeedsReplace, netemOptions } from '../../lab/impairment/netem-args.ts';
import { probeNetem } from '../../lab/impairment/netem.ts';
import type { LinkModelParams } from '../../src/link/params.ts';

const probe = await probeNetem();
const netemAvailable = probe.available;
const tcPresent = spawnSync('tc', ['-V']).status === 0 && process.getuid?.() === 0;

// expected words per tc-netem(8)
const cases: Array<[string, LinkModelParams, string[]]> = [
  ['delay only', { delayUs: 20000 }, ['delay', '20000us']],
  ['delay jitter correlation distribution', { delayUs: 100000, jitterUs: 10000, delayCorrelation: 0.25, distribution: 'normal' }, ['delay', '100000us', '10000us', '25%', 'distribution', 'normal']],
  ['uniform jitter has no distribution word', { delayUs: 1000, jitterUs: 500, distribution: 'uniform' }, ['delay', '1000us', '500us']],
  ['random loss with correlation', { loss: { model: 'random', p: 0.003, correlation: 0.25 } }, ['loss', 'random', '0.3%', '25%']],
  ['gemodel', { loss: { model: 'gemodel', p: 0.01, r: 0.3, oneMinusH: 0.9, oneMinusK: 0.001 } }, ['loss', 'gemodel', '1%', '30%', '90%', '0.1%']],
  ['4-state', { loss: { model: '4state', p13: 0.01, p31: 0.5, p32: 0.1, p23: 0.2, p14: 0.001 } }, ['loss', 'state', '1%', '50%', '10%', '20%', '0.1%']],
  ['duplicate corrupt', { duplicate: { p: 0.01 }, corrupt: { p: 0.001, correlation: 0.1 } }, ['duplicate', '1%', 'corrupt', '0.1%', '10%']],
  ['reorder with gap', { delayUs: 10000, reorder: { p: 0.25, correlation: 0.5, gap: 5 } }, ['delay', '10000us', 'reorder', '25%', '50%', 'gap', '5']],
  ['rate with overhead and limit', { rateBps: 5_000_000, overheadBytes: 28, queue: { packets: 100 } }, ['limit', '100', 'rate', '5000000bit', '28']],
  ['slot', { slot: { minUs: 800, maxUs: 1200, packets: 4, bytes: 6000 } }, ['slot', '800us', '1200us', 'packets', '4', 'bytes', '6000']],
];

describe('netem argument mapping', () => {
  for (const [name, params, expected] of cases) {
    it(name, () => {
      expect(netemOptions(params)).toEqual(expected);
    });
  }

  it('builds add/change/del commands for a device in a namespace', () => {
    expect(netemCommand('add', 'glabcdefvs', { delayUs: 1000 }, 'gl-abcdef-snd')).toEqual(['-n', 'gl-abcdef-snd', 'qdisc', 'add', 'dev', 'glabcdefvs', 'root', 'netem', 'delay', '1000us']);
    // change also switches off what the kernel would keep from before (corrupt, rate, slot)
    expect(netemCommand('change', 'x', { delayUs: 2000 })).toEqual(['qdisc', 'change', 'dev', 'x', 'root', 'netem', 'delay', '2000us', 'corrupt', '0%', 'rate', '0bit', 'slot', '0us', '0us']);
    expect(netemCommand('change', 'x', { corrupt: { p: 0.01 }, rateBps: 1000, slot: { minUs: 1, maxUs: 2 } })).toEqual(['qdisc', 'change', 'dev', 'x', 'root', 'netem', 'corrupt', '1%', 'rate', '1000bit', 'slot', '1us', '2us']);
    expect(netemCommand('del', 'x')).toEqual(['qdisc', 'del', 'dev', 'x', 'root']);
  });

  it('refuses what netem cannot express, naming the field', () => {
    const refusals: Array<[LinkModelParams, string]> = [
      [{ rateTraceMs: [1, 2] }, 'rateTraceMs'],
      [{ loss: { model: 'trace', pattern: [0, 1] } }, 'loss.pattern'],
      [{ queue: { bytes: 10000 } }, 'queue.bytes'],
      [{ queue: { delayUs: 5000 } }, 'queue.delayUs'],
      [{ mtu: 1200 }, 'mtu'],
      [{ reorder: { p: 0.1 } }, 'reorder'],
      [{ delayUs: 1000, jitterUs: 100, keepOrder: true }, 'keepOrder'],
    ];
    for (const [params, field] of refusals) {
      let caught: unknown;
      try {
        netemOptions(params);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(NetemUnsupportedError);
      expect((caught as NetemUnsupportedError).field).toBe(field);
      expect((caught as Error).message).toContain(field);
    }
  });

  // tc parses netem's options in userspace before the kernel is asked: a syntax error is reported
  // as such, while a kernel without sch_netem answers "Specified qdisc kind is unknown".
  it.skipIf(!tcPresent)('tc itself accepts every mapped argument list', () => {
    for (const [, params] of cases) {
      const args = netemCommand('add', 'lo', params);
      const r = spawnSync('unshare', ['-n', 'tc', ...args], { encoding: 'utf8' });
      const accepted = r.status === 0 || /qdisc kind is unknown/.test(r.stderr);
      expect(accepted, `tc ${args.join(' ')}: ${r.stderr}`).toBe(true);
    }
  });

  it('replaces the qdisc only when jitter goes back from a distribution table to uniform', () => {
    const normal: LinkModelParams = { delayUs: 1000, jitterUs: 100, distribution: 'normal' };
    expect(netemNeedsReplace(normal, { delayUs: 1000, jitterUs: 100 })).toBe(true);
    expect(netemNeedsReplace(normal, { delayUs: 1000, jitterUs: 100, distribution: 'uniform' })).toBe(true);
    expect(netemNeedsReplace(normal, { delayUs: 1000, jitterUs: 100, distribution: 'pareto' })).toBe(false);
    expect(netemNeedsReplace(normal, { delayUs: 1000 })).toBe(false);
    expect(netemNeedsReplace({ delayUs: 1000, jitterUs: 100 }, normal)).toBe(false);
  });

  it('the probe answers with a reason when netem is missing', () => {
    if (!probe.available) expect(probe.reason).toMatch(/\S/);
  });

  it.skipIf(!netemAvailable)(`netem applies a delay on veth (skipped here: ${probe.reason ?? ''})`, async () => {
    const { LabTopology } = await import('../../lab/topology/topology.ts');
    const { startNetemLink } = await import('../../lab/impairment/netem.ts');
    const { loadLinkNative } = await import('../../src/link/native.ts');
    const topology = LabTopology.create({ handleSignals: false });
    try {
      const link = await startNetemLink(topology, { params: { up: { delayUs: 5000 }, down: {} } });
      const r = await loadLinkNative().udpProbe({ senderNetns: topology.netnsPath('snd'), receiverNetns: topology.netnsPath('rcv'), dst: '10.250.0.2', count: 200, ratePps: 1000 });
      expect(Math.min(...r.delayUs)).toBeGreaterThanOrEqual(5000);
      await link.stop();
    } finally {
      topology.teardown();
    }
  });
});
