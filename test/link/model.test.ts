import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runVirtualLink, createLinkModel, type VirtualPacket } from '../../src/link/virtual.ts';
import { fates, lossBursts, udpPacket } from './helpers.ts';

/** n packets of `size` bytes every `intervalUs` µs from t = 0. */
function stream(n: number, intervalUs: number, size: number | Buffer = 1000): VirtualPacket[] {
  return Array.from({ length: n }, (_, i) => ({ atUs: i * intervalUs, packet: size }));
}

describe('LinkModel in virtual time', () => {
  it('random loss falls within the binomial 99 % interval', () => {
    const n = 20000;
    const p = 0.05;
    const { outcomes } = runVirtualLink({ seed: 7, params: { loss: { model: 'random', p } }, packets: stream(n, 100) });
    const lost = outcomes.filter((o) => o === 'loss').length;
    const sd = Math.sqrt(n * p * (1 - p));
    expect(lost).toBeGreaterThan(n * p - 2.576 * sd);
    expect(lost).toBeLessThan(n * p + 2.576 * sd);
  });

  it('Gilbert-Elliott burst lengths follow the geometric law of r (chi-square, 99 %)', () => {
    const r = 0.3;
    const { outcomes } = runVirtualLink({
      seed: 11,
      params: { loss: { model: 'gemodel', p: 0.02, r, oneMinusH: 1, oneMinusK: 0 } },
      packets: stream(200000, 10),
    });
    const bursts = lossBursts(outcomes);
    const bins = 8; // lengths 1..7 and 8+
    const observed = new Array<number>(bins).fill(0);
    for (const b of bursts) observed[Math.min(b, bins) - 1]!++;
    let chi2 = 0;
    for (let k = 1; k <= bins; k++) {
      const prob = k < bins ? (1 - r) ** (k - 1) * r : (1 - r) ** (bins - 1);
      const expected = prob * bursts.length;
      chi2 += (observed[k - 1]! - expected) ** 2 / expected;
    }
    expect(bursts.length).toBeGreaterThan(1500);
    expect(chi2).toBeLessThan(18.475); // chi-square 99 % quantile, 7 degrees of freedom
    // and the mean burst length is 1 / r
    const mean = bursts.reduce((a, b) => a + b, 0) / bursts.length;
    expect(mean).toBeGreaterThan(1 / r - 0.15);
    expect(mean).toBeLessThan(1 / r + 0.15);
  });

  it('4-state model with only isolated losses loses p14 of packets, never two in a row', () => {
    const { outcomes } = runVirtualLink({
      seed: 3,
      params: { loss: { model: '4state', p13: 0, p31: 1, p32: 0, p23: 0, p14: 0.05 } },
      packets: stream(20000, 10),
    });
    const lost = outcomes.filter((o) => o === 'loss').length;
    expect(Math.abs(lost / 20000 - 0.05)).toBeLessThan(0.01);
    expect(outcomes.some((o, i) => o === 'loss' && outcomes[i + 1] === 'loss')).toBe(false);
  });

  it('loss trace replays its pattern, looping', () => {
    const pattern = [0, 1, 1, 0, 0, 1];
    const { outcomes } = runVirtualLink({ seed: 1, params: { loss: { model: 'trace', pattern } }, packets: stream(18, 100) });
    expect(outcomes.map((o) => (o === 'loss' ? 1 : 0))).toEqual([...pattern, ...pattern, ...pattern]);
  });

  it('rate: saturated throughput is within 2 % of the configured rate, overhead counted', () => {
    const rateBps = 2_000_000;
    const overhead = 40;
    const { releases } = runVirtualLink({ seed: 1, params: { rateBps, overheadBytes: overhead }, packets: stream(2000, 100, 1000) });
    expect(releases).toHaveLength(2000);
    const spanUs = releases.at(-1)!.releaseUs - releases[0]!.releaseUs;
    const measured = ((releases.length - 1) * (1000 + overhead) * 8) / (spanUs / 1e6);
    expect(Math.abs(measured / rateBps - 1)).toBeLessThan(0.02);
  });

  it('queue limit drops tail packets with reason "queue"', () => {
    const { outcomes, fateText } = runVirtualLink({
      seed: 1,
      params: { rateBps: 1_000_000, queue: { packets: 10 } },
      packets: stream(100, 10, 1000),
    });
    expect(outcomes.slice(0, 10).every((o) => o === 'held')).toBe(true);
    expect(outcomes.filter((o) => o === 'queue').length).toBeGreaterThan(50);
    expect(fates(fateText).filter((f) => f.drop === 'queue').length).toBe(outcomes.filter((o) => o === 'queue').length);
  });

  it('Mahimahi trace: one 1500-byte opportunity per line, opportunity by opportunity, looping', () => {
    const trace = [1, 1, 3, 4, 4, 4, 10];
    const { releases } = runVirtualLink({ seed: 1, params: { rateTraceMs: trace }, packets: stream(10, 0, 1500) });
    const ms = releases.map((r) => r.releaseUs / 1000);
    expect(ms).toEqual([1, 1, 3, 4, 4, 4, 10, 11, 11, 13]);
    // 600-byte packets: two fit an opportunity, the third spans into the next (300 + 300 bytes)
    const small = runVirtualLink({ seed: 1, params: { rateTraceMs: [2, 5, 7] }, packets: stream(6, 0, 600) });
    expect(small.releases.map((r) => r.releaseUs / 1000)).toEqual([2, 2, 5, 5, 5, 7]);
    // an opportunity that passes with nothing queued is lost
    const late = runVirtualLink({ seed: 1, params: { rateTraceMs: [2, 5, 7] }, packets: [{ atUs: 0, packet: 100 }, { atUs: 3000, packet: 100 }] });
    expect(late.releases.map((r) => r.releaseUs / 1000)).toEqual([2, 5]);
  });

  it('same seed and same packets give byte-identical fate logs; another seed does not', () => {
    const params = {
      delayUs: 20000,
      jitterUs: 5000,
      distribution: 'paretonormal' as const,
      loss: { model: 'gemodel' as const, p: 0.05, r: 0.4, oneMinusH: 0.8, oneMinusK: 0.01 },
      duplicate: { p: 0.02 },
      corrupt: { p: 0.01 },
      reorder: { p: 0.05, gap: 3 },
      rateBps: 5_000_000,
    };
    const packets = Array.from({ length: 3000 }, (_, i) => ({ atUs: i * 500, packet: udpPacket({ size: 1200, rtp: { ssrc: 1234, seq: i & 0xffff, pt: 96 } }) }));
    const a = runVirtualLink({ seed: 42, params, packets });
    const b = runVirtualLink({ seed: 42, params, packets });
    const c = runVirtualLink({ seed: 43, params, packets });
    expect(a.fateText.length).toBeGreaterThan(0);
    expect(a.fateText).toBe(b.fateText);
    expect(c.fateText).not.toBe(a.fateText);
    const records = fates(a.fateText);
    expect(records.filter((r) => !r.duplicate)).toHaveLength(3000);
    expect(records.some((r) => r.duplicate)).toBe(true);
    expect(records.some((r) => r.reordered)).toBe(true);
    expect(records.some((r) => r.corruptBit !== undefined)).toBe(true);
  });

  it('a timeline change takes effect exactly between two packets', () => {
    const { outcomes } = runVirtualLink({
      seed: 5,
      params: { loss: { model: 'random', p: 0 } },
      packets: stream(100, 1000),
      timeline: [{ atUs: 50_000, params: { loss: { model: 'random', p: 1 } } }],
    });
    expect(outcomes.slice(0, 50).every((o) => o === 'held')).toBe(true);
    expect(outcomes.slice(50).every((o) => o === 'loss')).toBe(true);
  });

  it('jitter reorders unless keepOrder; normal jitter has the configured spread', () => {
    const params = { delayUs: 10000, jitterUs: 2000, distribution: 'normal' as const };
    const free = fates(runVirtualLink({ seed: 9, params, packets: stream(5000, 200) }).fateText);
    expect(free.some((f) => f.reordered)).toBe(true);
    const delays = free.map((f) => (f.releaseMs! - f.enqueueMs) * 1000);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    const sd = Math.sqrt(delays.reduce((a, d) => a + (d - mean) ** 2, 0) / delays.length);
    expect(Math.abs(mean - 10000)).toBeLessThan(100);
    expect(Math.abs(sd - 2000)).toBeLessThan(100);
    const ordered = runVirtualLink({ seed: 9, params: { ...params, keepOrder: true }, packets: stream(5000, 200) });
    const ids = fates(ordered.fateText).filter((f) => f.releaseMs !== undefined);
    expect(ids.some((f) => f.reordered)).toBe(false);
    for (let i = 1; i < ordered.releases.length; i++) expect(ordered.releases[i]!.releaseUs).toBeGreaterThanOrEqual(ordered.releases[i - 1]!.releaseUs);
  });

  it('reorder P gap G: with P = 1 every G-th packet skips the delay', () => {
    const { fateText } = runVirtualLink({ seed: 1, params: { delayUs: 10000, reorder: { p: 1, gap: 5 } }, packets: stream(20, 100) });
    const immediate = fates(fateText)
      .filter((f) => f.releaseMs === f.enqueueMs)
      .map((f) => f.id)
      .sort((a, b) => a - b);
    expect(immediate).toEqual([4, 9, 14, 19]);
  });

  it('MTU, duplicate and corrupt', () => {
    const mtu = runVirtualLink({ seed: 1, params: { mtu: 1400 }, packets: [{ atUs: 0, packet: 1400 }, { atUs: 1, packet: 1401 }] });
    expect(mtu.outcomes).toEqual(['held', 'mtu']);
    const dup = fates(runVirtualLink({ seed: 2, params: { duplicate: { p: 0.1 } }, packets: stream(10000, 10) }).fateText);
    const copies = dup.filter((f) => f.duplicate).length;
    expect(Math.abs(copies / 10000 - 0.1)).toBeLessThan(0.01);
    const original = udpPacket({ size: 200 });
    const cor = runVirtualLink({ seed: 3, params: { corrupt: { p: 1 } }, packets: [{ atUs: 0, packet: original }] });
    const out = cor.releases[0]!.data;
    let differing = 0;
    for (let i = 0; i < out.length; i++) for (let x = out[i]! ^ original[i]!; x; x &= x - 1) differing++;
    expect(differing).toBe(1);
    const bit = fates(cor.fateText)[0]!.corruptBit!;
    expect(out[bit >> 3]! ^ original[bit >> 3]!).toBe(0x80 >> (bit & 7));
  });

  it('slot: packets leave only at slot boundaries, at most `packets` per slot', () => {
    const { releases } = runVirtualLink({ seed: 1, params: { slot: { minUs: 5000, maxUs: 5000, packets: 2 } }, packets: stream(6, 100) });
    expect(releases.map((r) => r.releaseUs)).toEqual([0, 100, 5100, 5100, 10100, 10100]);
  });

  it('fate records carry the 5-tuple and RTP fields', () => {
    const p = udpPacket({ size: 300, sport: 4000, dport: 4002, rtp: { ssrc: 0xdeadbeef, seq: 65535, pt: 100 } });
    const [f] = fates(runVirtualLink({ seed: 1, params: { delayUs: 1500 }, packets: [{ atUs: 10, packet: p }] }).fateText);
    expect(f).toMatchObject({ dir: 'up', id: 0, size: 300, proto: 'udp', src: '10.250.0.1', dst: '10.250.0.2', sport: 4000, dport: 4002, ssrc: 0xdeadbeef, seq: 65535, pt: 100, enqueueMs: 0.01, releaseMs: 1.51 });
    const rtcp = udpPacket({ size: 300, rtp: { ssrc: 1, seq: 1, pt: 72 } }); // PT 200 with the marker bit: RTCP SR
    expect(fates(runVirtualLink({ seed: 1, params: {}, packets: [{ atUs: 0, packet: rtcp }] }).fateText)[0]!.ssrc).toBeUndefined();
  });

  it('arbitrary bytes never break the model and always get exactly one fate', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 120 }), { maxLength: 30 }), (packets) => {
        const model = createLinkModel(1, { delayUs: 100, loss: { model: 'random', p: 0.2 }, duplicate: { p: 0 } });
        packets.forEach((bytes, i) => model.offer(Buffer.from(bytes), i));
        for (let r = model.pollRelease(1e9); r; r = model.pollRelease(1e9));
        expect(model.fates()).toHaveLength(packets.length);
      }),
      { numRuns: 200 },
    );
  });
});
