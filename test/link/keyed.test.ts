import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runVirtualLink, type VirtualPacket } from '../../src/link/virtual.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { LinkModelParams } from '../../src/link/params.ts';
import { fates, lossBursts, udpPacket } from './helpers.ts';

// Keyed draws: an RTP packet's random numbers depend on (seed, direction, PT, extended seq) only,
// so the same RTP packet meets the same fate whatever else crosses the link.

const impaired: LinkModelParams = {
  delayUs: 20000,
  jitterUs: 5000,
  distribution: 'normal',
  loss: { model: 'random', p: 0.1 },
  duplicate: { p: 0.03 },
  corrupt: { p: 0.03 },
};

const rtp = (atUs: number, ssrc: number, seq: number, pt = 96, size = 1000): VirtualPacket => ({ atUs, packet: udpPacket({ size, rtp: { ssrc, seq: seq & 0xffff, pt } }) });

/** Non-RTP traffic of the kinds a WebRTC run carries: STUN, DTLS, RTCP (muxed), TCP, ICMP. */
function nonRtp(atUs: number, kind: number): VirtualPacket {
  const b = udpPacket({ size: 120 + 40 * (kind % 5) });
  if (kind % 5 === 0) b[28] = 0x00; // STUN binding request
  else if (kind % 5 === 1) b[28] = 23; // DTLS application data
  else if (kind % 5 === 2) b.set([0x81, 201], 28); // RTCP RR
  else if (kind % 5 === 3) b[9] = 6; // TCP
  else b[9] = 1; // ICMP
  return { atUs, packet: b };
}

/** Per packet of one RTP stream (by PT, keyed on seq): drop reason, release, corrupt bit, duplicate's release. */
function fatesBySeq(records: LinkFateRecord[], pt: number): Map<number, { drop?: string; releaseMs?: number; corruptBit?: number; copyReleaseMs?: number }> {
  const out = new Map<number, { drop?: string; releaseMs?: number; corruptBit?: number; copyReleaseMs?: number }>();
  for (const r of records.filter((x) => x.pt === pt && !x.duplicate)) out.set(r.seq!, { drop: r.drop, releaseMs: r.releaseMs, corruptBit: r.corruptBit });
  for (const r of records.filter((x) => x.pt === pt && x.duplicate)) out.get(r.seq!)!.copyReleaseMs = r.releaseMs;
  return out;
}

const firstStream = (n: number, ssrc: number, skip: (i: number) => boolean = () => false): VirtualPacket[] =>
  Array.from({ length: n }, (_, i) => i)
    .filter((i) => !skip(i))
    .map((i) => rtp(i * 1000, ssrc, 1000 + i));

describe('keyed draws: the same RTP packet meets the same fate', () => {
  const n = 4000;
  const runA = () => runVirtualLink({ seed: 42, params: impaired, packets: [...firstStream(n, 0x1111), ...Array.from({ length: 200 }, (_, k) => nonRtp(k * 17_000 + 500, k))] });
  const runB = (seed: number) =>
    runVirtualLink({
      seed,
      params: impaired,
      packets: [
        // another SSRC (werift picks it per run), every 7th packet missing
        ...firstStream(n, 0x2222, (i) => i % 7 === 3),
        // more and other non-RTP packets, at other times
        ...Array.from({ length: 900 }, (_, k) => nonRtp(k * 4_400 + 200, k + 3)),
        // one more RTP stream (an RTX-like PT, its own seq space)
        ...Array.from({ length: 1500 }, (_, k) => rtp(k * 2_600 + 700, 0x3333, 30000 + k, 97, 300)),
      ],
    });

  it('drop/keep, release time, corrupt bit and duplicate copy agree for every RTP packet present in both runs', () => {
    const a = fatesBySeq(fates(runA().fateText), 96);
    const b = fatesBySeq(fates(runB(42).fateText), 96);
    expect(a.size).toBe(n);
    expect(b.size).toBe(n - Math.ceil((n - 3) / 7));
    let dropped = 0;
    let corrupted = 0;
    let duplicated = 0;
    for (const [seq, fb] of b) {
      const fa = a.get(seq)!;
      expect(fb, `seq ${seq}`).toEqual(fa);
      if (fa.drop) dropped++;
      if (fa.corruptBit !== undefined) corrupted++;
      if (fa.copyReleaseMs !== undefined) duplicated++;
    }
    // the comparison covered every kind of draw
    expect(dropped).toBeGreaterThan(200);
    expect(corrupted).toBeGreaterThan(40);
    expect(duplicated).toBeGreaterThan(40);
  });

  it('another seed gives other fates', () => {
    const a = fatesBySeq(fates(runA().fateText), 96);
    const c = fatesBySeq(fates(runB(43).fateText), 96);
    let sameDrop = 0;
    let sameRelease = 0;
    for (const [seq, fc] of c) {
      const fa = a.get(seq)!;
      if ((fa.drop === undefined) === (fc.drop === undefined)) sameDrop++;
      if (fa.releaseMs !== undefined && fa.releaseMs === fc.releaseMs) sameRelease++;
    }
    // independent draws: agree on drop/keep about 0.9² + 0.1² = 82 % of the time, on release almost never
    expect(sameDrop / c.size).toBeLessThan(0.9);
    expect(sameRelease).toBeLessThan(c.size / 100);
  });

  it('non-RTP packets keep their own sequential stream, unmoved by RTP traffic', () => {
    const others = Array.from({ length: 500 }, (_, k) => nonRtp(k * 1000 + 500, k));
    const alone = fates(runVirtualLink({ seed: 5, params: impaired, packets: others }).fateText);
    const mixed = fates(runVirtualLink({ seed: 5, params: impaired, packets: [...others, ...firstStream(2000, 0x1111)] }).fateText);
    const strip = (r: LinkFateRecord) => ({ drop: r.drop, releaseMs: r.releaseMs, corruptBit: r.corruptBit, duplicate: r.duplicate });
    expect(mixed.filter((r) => r.pt === undefined).map(strip)).toEqual(alone.map(strip));
  });

  it('property: any subset, in any local order, with any non-RTP packets between, keeps each RTP packet its loss and delay', () => {
    const params: LinkModelParams = { delayUs: 20000, jitterUs: 5000, loss: { model: 'random', p: 0.2 }, corrupt: { p: 0.1 } };
    /** seq → drop reason or [delay µs, corrupt bit] (the log keeps ns, so delays match within a few ns) */
    const summary = (packets: VirtualPacket[]) =>
      new Map(
        fates(runVirtualLink({ seed: 21, params, packets }).fateText)
          .filter((r) => r.pt === 96)
          .map((r): [number, string | readonly [number, number]] => [r.seq!, r.drop ?? [(r.releaseMs! - r.enqueueMs) * 1000, r.corruptBit ?? -1]]),
      );
    const same = (got: string | readonly [number, number] | undefined, want: string | readonly [number, number] | undefined): void => {
      if (typeof want !== 'object' || typeof got !== 'object') return void expect(got).toBe(want);
      expect(got[1]).toBe(want[1]);
      expect(Math.abs(got[0] - want[0])).toBeLessThan(0.01);
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.array(fc.boolean(), { minLength: 300, maxLength: 300 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: -3000, max: 3000 }), { minLength: 300, maxLength: 300 }),
        (start, keep, others, shift) => {
          const reference = summary(Array.from({ length: 300 }, (_, i) => rtp(i * 1000, 1, start + i)));
          // the first packet stays (it fixes the seq cycle); the rest may go, arrive up to ±3 ms off, between other packets
          const subset = Array.from({ length: 300 }, (_, i) => i).filter((i) => i === 0 || keep[i]);
          const packets = [...subset.map((i) => rtp(i * 1000 + (i === 0 ? 0 : 3000 + shift[i]!), 2, start + i)), ...others.map((k, j) => nonRtp(k * 1000 + 3000 + 1, j))];
          const got = summary(packets);
          for (const i of subset) same(got.get((start + i) & 0xffff), reference.get((start + i) & 0xffff));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('seq unwrapping: after 65535 → 0 a packet does not repeat the draws of cycle 0', () => {
    const params: LinkModelParams = { delayUs: 20000, jitterUs: 5000, loss: { model: 'random', p: 0.3 } };
    /** seq → drop reason or delay (µs) */
    const run = (seqs: number[]) => {
      const records = fates(runVirtualLink({ seed: 9, params, packets: seqs.map((s, i) => rtp(i * 1000, 7, s)) }).fateText);
      return new Map(records.map((r) => [r.seq!, r.drop ?? Math.round((r.releaseMs! - r.enqueueMs) * 1000)]));
    };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    // the same 16-bit seqs 0..200, once in cycle 0 and once after a wrap from 65530
    const cycle0 = run(range(0, 200));
    const wrapped = run([...range(65530, 65535), ...range(0, 200)]);
    const same = range(0, 200).filter((seq) => cycle0.get(seq) === wrapped.get(seq)).length;
    // independent draws: same fate only when both are lost (0.3² of 201 ≈ 18) or by chance equal delays
    expect(same).toBeLessThan(35);
    // while the same extended seqs give the same draws wherever the stream starts (here 65000)
    const longer = run([...range(65000, 65535), ...range(0, 200)]);
    for (const seq of [...range(65530, 65535), ...range(0, 200)]) expect(longer.get(seq), `seq ${seq}`).toBe(wrapped.get(seq));
  });
});

describe('keyed draws keep the model statistics (RTP packets, seq wrapping)', () => {
  /** n RTP packets every intervalUs from seq 60000 (wrapping), with STUN-like packets every 10th slot. */
  const rtpStream = (n: number, intervalUs: number): VirtualPacket[] => Array.from({ length: n }, (_, i) => (i % 10 === 9 ? nonRtp(i * intervalUs, 0) : rtp(i * intervalUs, 0xabc, 60000 + i, 96, 200)));
  /** outcomes of the RTP packets of rtpStream (arrival order) */
  const rtpOutcomes = (outcomes: string[]) => outcomes.filter((_, i) => i % 10 !== 9);

  it('random loss over 100 k RTP packets falls within the binomial 99 % interval', () => {
    const p = 0.05;
    const packets = rtpStream(110_000, 10);
    const outcomes = rtpOutcomes(runVirtualLink({ seed: 7, params: { loss: { model: 'random', p } }, packets }).outcomes);
    const n = outcomes.length;
    const lost = outcomes.filter((o) => o === 'loss').length;
    const sd = Math.sqrt(n * p * (1 - p));
    expect(n).toBe(99_000);
    expect(Math.abs(lost - n * p)).toBeLessThan(2.576 * sd);
  });

  it('Gilbert-Elliott: loss rate p / (p + r) and mean burst 1 / r with keyed transition draws', () => {
    const [p, r] = [0.02, 0.3];
    const packets = Array.from({ length: 120_000 }, (_, i) => rtp(i * 10, 0xabc, 60000 + i, 96, 200));
    const { outcomes } = runVirtualLink({ seed: 11, params: { loss: { model: 'gemodel', p, r, oneMinusH: 1, oneMinusK: 0 } }, packets });
    const lossRate = outcomes.filter((o) => o === 'loss').length / outcomes.length;
    expect(Math.abs(lossRate - p / (p + r))).toBeLessThan(0.006);
    const bursts = lossBursts(outcomes);
    const mean = bursts.reduce((a, b) => a + b, 0) / bursts.length;
    expect(bursts.length).toBeGreaterThan(1500);
    expect(Math.abs(mean - 1 / r)).toBeLessThan(0.2);
  });

  it('4-state model with only isolated losses: p14 of RTP packets lost, never two in a row', () => {
    const packets = Array.from({ length: 40_000 }, (_, i) => rtp(i * 10, 0xabc, 60000 + i, 96, 200));
    const { outcomes } = runVirtualLink({ seed: 3, params: { loss: { model: '4state', p13: 0, p31: 1, p32: 0, p23: 0, p14: 0.05 } }, packets });
    const lost = outcomes.filter((o) => o === 'loss').length;
    const sd = Math.sqrt(40_000 * 0.05 * 0.95);
    expect(Math.abs(lost - 2000)).toBeLessThan(2.576 * sd);
    expect(outcomes.some((o, i) => o === 'loss' && outcomes[i + 1] === 'loss')).toBe(false);
  });

  it('normal jitter keeps its spread; keepOrder still never reorders, also with non-RTP packets between', () => {
    const params: LinkModelParams = { delayUs: 10000, jitterUs: 2000, distribution: 'normal' };
    const packets = rtpStream(10_000, 200);
    const free = fates(runVirtualLink({ seed: 9, params, packets }).fateText).filter((f) => f.pt !== undefined);
    const delays = free.map((f) => (f.releaseMs! - f.enqueueMs) * 1000);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    const sd = Math.sqrt(delays.reduce((a, d) => a + (d - mean) ** 2, 0) / delays.length);
    expect(Math.abs(mean - 10000)).toBeLessThan(100);
    expect(Math.abs(sd - 2000)).toBeLessThan(100);
    expect(free.some((f) => f.reordered)).toBe(true);
    const ordered = runVirtualLink({ seed: 9, params: { ...params, keepOrder: true }, packets });
    expect(fates(ordered.fateText).some((f) => f.reordered)).toBe(false);
    for (let i = 1; i < ordered.releases.length; i++) expect(ordered.releases[i]!.releaseUs).toBeGreaterThanOrEqual(ordered.releases[i - 1]!.releaseUs);
  });
});
