/**
 * The netem backend on a kernel that has sch_netem: the lab's topology creates the namespaces,
 * lab/impairment/netem.ts applies each field of a scenario's link, the lab's UDP probe measures
 * it, and teardown leaves nothing. Runs natively wherever the kernel has netem (a user's machine)
 * and, on machines without it, inside the qemu guest (test/guest/netem-in-guest.test.ts).
 *
 * Tolerances (derived for qemu TCG emulation, which they also cover natively):
 * - delay: the guest's timers and two emulated CPUs add 0.1-1 ms at the median and a few ms at
 *   p99 to every one-way delay, never subtract; on a loaded host (two emulated CPUs on two shared
 *   cores) the median grew by up to 3.2 ms and 1-3 % of the packets by 10-60 ms (the guest not
 *   being scheduled; the median of the very first probe +5.5 ms while TCG translates new code).
 *   So: a warm-up probe first, minimum ≥ configured − 0.05 ms, median within +8 ms, "all packets"
 *   bounds hold for ≥ 95 % of them (the tail is emulation's, not netem's), spreads measured by
 *   the interquartile range (which such outliers do not move) within ± 35 %.
 * - rates of random events over n probe packets: ± 4.5 binomial standard deviations
 *   (sqrt(p(1 − p)/n)) plus 0.01 for what emulation adds (a handful of late or lost packets).
 * - mean loss-burst length: 4 standard errors of a mean of geometric run lengths over the bursts
 *   expected (lab/linkcheck/expectations.ts burstTolerance: ±10-35 % here).
 * - rate/queue/slot throughput: ± 12 % (the probe's own pacing under TCG wobbles by a few %).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { LinkModelParams } from '../../src/link/params.ts';
import { burstTolerance, expectedLoss, expectedRate, expectedUndelayedShare } from '../../lab/linkcheck/expectations.ts';
import { type LinkUnderTest, leftoversOf, startLinkUnderTest } from '../../lab/linkcheck/link-under-test.ts';
import { delaysInSeqRange, probeStats, shareWithin } from '../../lab/linkcheck/probe-stats.ts';
import { probeNetem } from '../../lab/impairment/netem.ts';
import { runLinkTimeline } from '../../lab/impairment/timeline.ts';

const netem = await probeNetem();
const title = netem.available
  ? 'netem backend on a sch_netem kernel'
  : `netem backend on a sch_netem kernel (skipped: the kernel refuses netem: ${netem.reason ?? 'unknown'}; test/guest/netem-in-guest.test.ts runs these in a qemu guest)`;

const binomialTolerance = (p: number, n: number) => 4.5 * Math.sqrt((p * (1 - p)) / n) + 0.01;
const delayFloorSlackMs = 0.05;
const delayMedianSlackMs = 8;
/**
 * share of packets an "every packet" bound must hold for under emulation: the guest's timers stall
 * while the host runs other test files beside qemu (measured 0.938–0.948 of packets inside
 * [15, 33] ms for 20 ± 5 ms then); a delay or jitter that is wrong moves far more than a tenth
 */
const mostPackets = 0.9;
/**
 * relative error allowed on an interquartile range: sampling error is ≈ 5 % at 600 probes, the rest
 * is the emulated guest's timer noise (TCG; a loaded host measured 0.357 once). No jitter (IQR 0) or
 * twice the jitter is still an error of 1.0.
 */
const spreadTolerance = 0.45;
const delayTailSlackMs = 8;
const throughputTolerance = 0.12;

/**
 * One netem link for the measured cases (node spawning `ip`/`tc` costs ~0.2 s a call under TCG, a
 * fresh topology per case ~2.5 s): each case sets both directions through the backend's own
 * setParams (`tc qdisc change`), which the last-but-one case checks leaves nothing stale.
 */
let shared: LinkUnderTest | undefined;
async function linkWith(up: LinkModelParams, down: LinkModelParams = {}): Promise<LinkUnderTest> {
  if (!shared) {
    shared = await startLinkUnderTest('netem', { up: {}, down: {} });
    // warm-up: the first probe runs while TCG still translates the code paths (+5 ms at the median)
    await shared.probe({ count: 200, ratePps: 1000 });
  }
  await shared.setParams('up', up);
  await shared.setParams('down', down);
  return shared;
}

describe.skipIf(!netem.available)(title, () => {
  afterAll(async () => {
    // only when a case failed before the last one closed it
    await shared?.close();
  });

  it('delay: every packet waits the configured 20 ms, the median at most 5 ms more', async () => {
    const link = await linkWith({ delayUs: 20_000 });
    const s = probeStats(await link.probe({ count: 300, ratePps: 1000 }));
    expect(s.received).toBe(300);
    expect(s.delayMs!.min).toBeGreaterThanOrEqual(20 - delayFloorSlackMs);
    expect(s.delayMs!.p50).toBeLessThanOrEqual(20 + delayMedianSlackMs);
  });

  it('delay on the down direction only leaves up undelayed', async () => {
    const link = await linkWith({}, { delayUs: 15_000 });
    const down = probeStats(await link.probe({ count: 200, ratePps: 1000 }, 'down'));
    const up = probeStats(await link.probe({ count: 200, ratePps: 1000, port: 47001 }, 'up'));
    expect(down.delayMs!.min).toBeGreaterThanOrEqual(15 - delayFloorSlackMs);
    expect(up.delayMs!.p50).toBeLessThan(delayMedianSlackMs);
  });

  it('uniform jitter: delays spread over 20 ± 5 ms (interquartile range 5 ms)', async () => {
    const link = await linkWith({ delayUs: 20_000, jitterUs: 5_000 });
    const r = await link.probe({ count: 600, ratePps: 1000 });
    const s = probeStats(r);
    const d = s.delayMs!;
    expect(d.min).toBeGreaterThanOrEqual(15 - delayFloorSlackMs);
    expect(shareWithin(Array.from(r.delayUs, (us) => us / 1000), 15 - delayFloorSlackMs, 25 + delayMedianSlackMs)).toBeGreaterThanOrEqual(mostPackets);
    expect(Math.abs(d.p50 - 20)).toBeLessThanOrEqual(delayMedianSlackMs);
    expect(Math.abs((d.p75 - d.p25) / 5 - 1)).toBeLessThanOrEqual(spreadTolerance);
    // jitter without a rate reorders (netem's documented behaviour)
    expect(s.reorderedFraction).toBeGreaterThan(0);
  });

  it('normal jitter: interquartile range 1.349 × the configured 4 ms around 20 ms', async () => {
    const link = await linkWith({ delayUs: 20_000, jitterUs: 4_000, distribution: 'normal' });
    const s = probeStats(await link.probe({ count: 600, ratePps: 1000 }));
    expect(Math.abs(s.delayMs!.p50 - 20)).toBeLessThanOrEqual(delayMedianSlackMs);
    expect(Math.abs((s.delayMs!.p75 - s.delayMs!.p25) / (1.349 * 4) - 1)).toBeLessThanOrEqual(spreadTolerance);
  });

  it('jitter correlation 75 %: the kernel takes it (tc shows it); the delays barely show it', async () => {
    // netem reduces the correlated random number modulo the distribution table's size (and modulo
    // 2 × jitter for uniform), which all but removes the correlation: measured lag-1
    // autocorrelation 0.12 at 75 % here, while emulation noise alone gives 0-0.5. So only the
    // qdisc's own parameters are checked; the self-test shows both backends' figures side by side.
    const link = await linkWith({ delayUs: 20_000, jitterUs: 4_000, distribution: 'normal', delayCorrelation: 0.75 });
    expect(link.qdiscs().join('\n')).toMatch(/delay 20ms\s+4ms 75%/);
    const s = probeStats(await link.probe({ count: 200, ratePps: 1000 }));
    expect(s.delayMs!.p75).toBeGreaterThan(s.delayMs!.p25);
  });

  it('random loss 10 %: loss rate and mean burst length (1/(1 − p)) as configured', async () => {
    const loss = { model: 'random', p: 0.1 } as const;
    const link = await linkWith({ loss });
    const s = probeStats(await link.probe({ count: 2000, ratePps: 1000 }));
    const want = expectedLoss(loss);
    expect(Math.abs(s.lossRate - want.rate)).toBeLessThanOrEqual(binomialTolerance(want.rate, 2000));
    expect(Math.abs(s.meanBurstLength! / want.meanBurst! - 1)).toBeLessThanOrEqual(burstTolerance(want.meanBurst!, want.rate, 2000));
  });

  it('Gilbert-Elliott loss: long-run rate p/(p + r) and bursts of 1/r packets', async () => {
    const loss = { model: 'gemodel', p: 0.05, r: 0.4, oneMinusH: 1, oneMinusK: 0 } as const;
    const link = await linkWith({ loss });
    const s = probeStats(await link.probe({ count: 2000, ratePps: 1000 }));
    const want = expectedLoss(loss);
    // bursts make the rate's variance larger than binomial: ×2 on the tolerance
    expect(Math.abs(s.lossRate - want.rate)).toBeLessThanOrEqual(2 * binomialTolerance(want.rate, 2000));
    expect(Math.abs(s.meanBurstLength! / want.meanBurst! - 1)).toBeLessThanOrEqual(burstTolerance(want.meanBurst!, want.rate, 2000));
  });

  it('4-state loss: rate and mean burst length of the chain’s stationary distribution', async () => {
    const loss = { model: '4state', p13: 0.03, p31: 0.4, p32: 0.1, p23: 0.3, p14: 0.01 } as const;
    const link = await linkWith({ loss });
    const s = probeStats(await link.probe({ count: 2000, ratePps: 1000 }));
    const want = expectedLoss(loss);
    expect(Math.abs(s.lossRate - want.rate)).toBeLessThanOrEqual(2 * binomialTolerance(want.rate, 2000));
    expect(Math.abs(s.meanBurstLength! / want.meanBurst! - 1)).toBeLessThanOrEqual(burstTolerance(want.meanBurst!, want.rate, 2000));
  });

  it('duplicate 10 %: one extra copy per ten packets', async () => {
    const link = await linkWith({ duplicate: { p: 0.1 } });
    const s = probeStats(await link.probe({ count: 1000, ratePps: 1000 }));
    expect(s.received).toBe(1000);
    expect(Math.abs(s.duplicateRate - 0.1)).toBeLessThanOrEqual(binomialTolerance(0.1, 1000));
  });

  it('corrupt 10 %: corrupted probe packets fail a checksum and are lost', async () => {
    // netem flips a bit anywhere in the frame from the Ethernet header on; a flip in the source
    // MAC (6 of 242 bytes here) is not checked by anyone, so up to 2.5 % of corruptions arrive
    const link = await linkWith({ corrupt: { p: 0.1 } });
    const s = probeStats(await link.probe({ count: 1000, ratePps: 1000, size: 200 }));
    const low = 0.1 * (1 - 6 / 242);
    expect(s.lossRate).toBeGreaterThanOrEqual(low - binomialTolerance(0.1, 1000));
    expect(s.lossRate).toBeLessThanOrEqual(0.1 + binomialTolerance(0.1, 1000));
  });

  it('reorder 25 % gap 5 on 10 ms: the expected share of packets skips the delay and overtakes', async () => {
    const reorder = { p: 0.25, gap: 5 };
    const link = await linkWith({ delayUs: 10_000, reorder });
    const r = await link.probe({ count: 500, ratePps: 250 });
    const s = probeStats(r);
    const undelayed = Array.from(r.delayUs).filter((us) => us < 5_000).length / r.received;
    const want = expectedUndelayedShare(reorder);
    expect(Math.abs(undelayed - want)).toBeLessThanOrEqual(binomialTolerance(want, 500));
    expect(s.reorderedFraction).toBeGreaterThan(want / 2);
  });

  it('rate 2 Mbit/s, limit 30: goodput as configured, a full queue’s delay, the excess dropped', async () => {
    const params: LinkModelParams = { rateBps: 2_000_000, queue: { packets: 30 } };
    const link = await linkWith(params);
    const payload = 1000;
    const s = probeStats(await link.probe({ count: 700, ratePps: 500, size: payload }));
    const want = expectedRate(payload, params, 'netem')!;
    expect(Math.abs(s.goodputBps! / want.goodputBps - 1)).toBeLessThanOrEqual(throughputTolerance);
    // the queue fills within 0.3 s and stays full: the median packet waits a full queue
    expect(Math.abs(s.delayMs!.p50 / want.fullQueueDelayMs! - 1)).toBeLessThanOrEqual(throughputTolerance);
    expect(s.delayMs!.p95).toBeLessThan(want.fullQueueDelayMs! * (1 + throughputTolerance) + delayTailSlackMs);
    const offeredBps = 500 * payload * 8;
    expect(Math.abs(s.lossRate - (1 - want.goodputBps / offeredBps))).toBeLessThanOrEqual(0.08);
  });

  it('slot 10 ms with 2 packets each: at most 200 packets/s leave', async () => {
    const link = await linkWith({ slot: { minUs: 10_000, maxUs: 10_000, packets: 2 } });
    const s = probeStats(await link.probe({ count: 400, ratePps: 400 }));
    expect(s.received).toBe(400);
    expect(Math.abs(s.receivedPps! / 200 - 1)).toBeLessThanOrEqual(throughputTolerance);
  });

  it('queue limit 10 on a 100 ms delay: about limit/delay = 100 packets/s get through', async () => {
    const link = await linkWith({ delayUs: 100_000, queue: { packets: 10 } });
    const s = probeStats(await link.probe({ count: 600, ratePps: 500 }));
    expect(Math.abs(s.receivedPps! / 100 - 1)).toBeLessThanOrEqual(2 * throughputTolerance);
    expect(s.lossRate).toBeGreaterThan(0.6);
  });

  it('timeline: 10 ms, then 40 ms from 1 s on (lab/impairment/timeline.ts)', async () => {
    const link = await linkWith({ delayUs: 10_000 });
    const ratePps = 200;
    const startMs = Number(process.hrtime.bigint()) / 1e6;
    let appliedMs = Number.NaN;
    const timeline = runLinkTimeline(link, [{ atUs: 1_000_000, params: { up: { delayUs: 40_000 }, down: {} } }], startMs, (_, at) => (appliedMs = at));
    const r = await link.probe({ count: 500, ratePps });
    await timeline.done;
    // the change starts at its time and is in once `tc` returns: node's fork + exec of tc takes
    // 0.1-0.9 s under TCG on a loaded host while the probe runs (natively a few ms)
    const lateMs = appliedMs - startMs - 1000;
    expect(lateMs).toBeGreaterThanOrEqual(0);
    expect(lateMs).toBeLessThan(1500);
    // packets sent well before the change saw 10 ms, those sent after it was in 40 ms (the
    // probe's first packet leaves up to ~0.1 s after the call under emulation: 0.15 s margins)
    const before = delaysInSeqRange(r, 0, 0.85 * ratePps);
    const after = delaysInSeqRange(r, ((1000 + lateMs) / 1000 + 0.15) * ratePps, 500);
    expect(before.length).toBeGreaterThan(100);
    expect(after.length).toBeGreaterThan(30);
    expect(Math.min(...before)).toBeGreaterThanOrEqual(10 - delayFloorSlackMs);
    // 90 %, not mostPackets: the window's packets share the CPUs with node forking tc under TCG
    // (a fresh-clone run saw 94.1 % once); natively they are all within
    expect(shareWithin(before, 10 - delayFloorSlackMs, 10 + delayMedianSlackMs)).toBeGreaterThanOrEqual(0.9);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(40 - delayFloorSlackMs);
  });

  it('a change leaves nothing of the configuration before it (corrupt, rate, slot, loss, ...)', async () => {
    const link = await linkWith({
      delayUs: 10_000, jitterUs: 1_000, loss: { model: 'gemodel', p: 0.01, r: 0.5, oneMinusH: 1, oneMinusK: 0 },
      duplicate: { p: 0.01 }, corrupt: { p: 0.01 }, reorder: { p: 0.1, gap: 3 }, rateBps: 5_000_000, slot: { minUs: 1000, maxUs: 2000, packets: 3 }, queue: { packets: 50 },
    });
    expect(link.qdiscs().join('\n')).toMatch(/corrupt 1%.*rate 5Mbit.*slot/);
    await linkWith({ delayUs: 5_000 });
    const shown = link.qdiscs().filter((l) => l.includes('netem'));
    expect(shown).toHaveLength(2);
    for (const word of ['loss', 'duplicate', 'corrupt', 'rate', 'slot', 'gap', 'limit 50']) expect(shown.join('\n')).not.toContain(word);
    const s = probeStats(await link.probe({ count: 200, ratePps: 1000 }));
    expect(s.lossRate).toBe(0);
    expect(s.delayMs!.min).toBeGreaterThanOrEqual(5 - delayFloorSlackMs);
  });

  it('stop() removes both netem qdiscs; teardown removes the namespaces and veths (last case)', async () => {
    const link = await linkWith({ delayUs: 1000 }, { delayUs: 2000 });
    expect(link.qdiscs().join('\n').match(/qdisc netem/g)).toHaveLength(2);
    await link.stop();
    expect(link.qdiscs().join('\n')).not.toContain('netem');
    await link.close();
    shared = undefined;
    expect(leftoversOf(link.topology.runId)).toEqual({ namespaces: [], links: [] });
  });
});
