/**
 * `glasslab doctor --link-selftest`: the same link configurations through the netem backend and
 * through the userspace link, each measured with the lab's UDP probe, compared with the
 * configuration and with each other: delay p50/p99, loss rate and mean burst length, goodput and
 * queueing delay of a rate limit. Each row passes or fails by the tolerance it states. Where the
 * kernel has no sch_netem only the userspace link is measured and the report says so.
 */
import type { LinkModelParams } from '../../src/link/params.ts';
import { probeNetem } from '../impairment/netem.ts';
import { burstTolerance, expectedLoss, expectedRate } from './expectations.ts';
import { type LinkBackendName, startLinkUnderTest } from './link-under-test.ts';
import { type ProbeStats, probeStats } from './probe-stats.ts';

export interface SelftestCase {
  name: string;
  params: LinkModelParams;
  probe: { count: number; ratePps: number; size: number };
}

/** The configurations compared: delay + normal jitter, Gilbert-Elliott bursts, a rate limit with a queue. */
export const selftestCases: readonly SelftestCase[] = [
  { name: 'delay 20 ms, jitter 2 ms normal', params: { delayUs: 20_000, jitterUs: 2_000, distribution: 'normal' }, probe: { count: 800, ratePps: 800, size: 200 } },
  { name: 'Gilbert-Elliott p 3 % r 30 %', params: { loss: { model: 'gemodel', p: 0.03, r: 0.3, oneMinusH: 1, oneMinusK: 0 } }, probe: { count: 3000, ratePps: 1000, size: 200 } },
  { name: 'rate 3 Mbit/s, limit 25, delay 10 ms', params: { delayUs: 10_000, rateBps: 3_000_000, queue: { packets: 25 } }, probe: { count: 700, ratePps: 600, size: 1000 } },
];

/**
 * Allowed deviation of a measurement from its reference, in the metric's unit: `below`/`above`
 * the reference. Against the configuration they cover what a real-time link on a shared machine
 * or an emulated guest adds (delays only grow, by up to 3 ms at p50 and 8 ms at p99); between
 * the backends the sum of both sides' allowances.
 */
export interface Tolerance {
  below: number;
  above: number;
  /** how the tolerance was derived, in words */
  why: string;
}

export interface SelftestRow {
  metric: string;
  unit: string;
  configured: number | null;
  measured: Partial<Record<LinkBackendName, number | null>>;
  toleranceVsConfig: Tolerance;
  /** measured − configured within the tolerance, per backend measured (null: no configured value) */
  vsConfig: Partial<Record<LinkBackendName, boolean | null>>;
  /** |netem − userspace| within the tolerance; null when one side was not measured */
  netemVsUserspace: boolean | null;
  pass: boolean;
}

export interface SelftestCaseResult {
  name: string;
  params: LinkModelParams;
  rows: SelftestRow[];
  /** per backend, a failure that kept it from being measured */
  errors: Partial<Record<LinkBackendName, string>>;
}

export interface SelftestReport {
  version: 1;
  ok: boolean;
  netem: { available: boolean; reason?: string };
  backends: LinkBackendName[];
  cases: SelftestCaseResult[];
  note?: string;
}

const binomial = (p: number, n: number) => 4.5 * Math.sqrt((p * (1 - p)) / n) + 0.01;

interface RowSpec {
  metric: string;
  unit: string;
  configured: (backend: LinkBackendName) => number | null;
  value: (s: ProbeStats) => number | null;
  tolerance: (configured: number) => Tolerance;
}

function rowSpecs(c: SelftestCase): RowSpec[] {
  const p = c.params;
  const delay = (p.delayUs ?? 0) / 1000;
  const jitter = (p.jitterUs ?? 0) / 1000;
  const rate = (b: LinkBackendName) => expectedRate(c.probe.size, p, b);
  // with a saturated rate limit the queue is full: its delay replaces the configured one
  const base = (b: LinkBackendName) => rate(b)?.fullQueueDelayMs ?? delay;
  const queueMs = (b: LinkBackendName) => (rate(b)?.fullQueueDelayMs ?? 0) - (rate(b) ? delay : 0);
  // normal jitter: p99 of N(delay, jitter) is delay + 2.326 jitter; uniform: delay + 0.98 jitter
  const p99Spread = p.distribution === 'normal' ? 2.326 : 0.98;
  const specs: RowSpec[] = [
    {
      metric: 'delay p50', unit: 'ms', configured: (b) => base(b), value: (s) => s.delayMs?.p50 ?? null,
      tolerance: () => ({ below: 0.25 * jitter + 0.05 + (rate('netem') ? 0.12 * queueMs('userspace') : 0), above: 0.25 * jitter + 3 + (rate('netem') ? 0.12 * queueMs('userspace') : 0), why: 'jitter/4 for the sampled median, +3 ms emulation/scheduling, ±12 % of a full queue' }),
    },
    {
      metric: 'delay p99', unit: 'ms', configured: (b) => base(b) + p99Spread * jitter, value: (s) => s.delayMs?.p99 ?? null,
      tolerance: () => ({ below: 0.3 * jitter + 0.05 + 0.12 * queueMs('userspace'), above: 0.3 * jitter + 8 + 0.12 * queueMs('userspace'), why: '30 % of jitter for the sampled tail, +8 ms emulation/scheduling tail, ±12 % of a full queue' }),
    },
  ];
  if (p.loss && p.loss.model !== 'none') {
    const want = expectedLoss(p.loss);
    specs.push({
      metric: 'loss rate', unit: '', configured: () => want.rate, value: (s) => s.lossRate,
      tolerance: (r) => ({ below: 2 * binomial(r, c.probe.count), above: 2 * binomial(r, c.probe.count), why: '2 × (4.5 binomial σ + 0.01): bursts widen the spread' }),
    });
    if (want.meanBurst !== null) {
      specs.push({
        metric: 'mean loss burst', unit: 'packets', configured: () => want.meanBurst, value: (s) => s.meanBurstLength,
        tolerance: (m) => {
          const rel = burstTolerance(m, want.rate, c.probe.count);
          return { below: rel * m, above: rel * m, why: '4 standard errors of a mean of geometric run lengths over the bursts expected' };
        },
      });
    }
  }
  if (p.rateBps) {
    specs.push({
      metric: 'goodput', unit: 'Mbit/s', configured: (b) => rate(b)!.goodputBps / 1e6, value: (s) => (s.goodputBps === null ? null : s.goodputBps / 1e6),
      tolerance: (g) => ({ below: 0.12 * g, above: 0.12 * g, why: '±12 %; netem also counts the 14-byte Ethernet header, userspace does not (configured per backend)' }),
    });
    specs.push({
      metric: 'loss rate (queue full)', unit: '', configured: (b) => Math.max(0, 1 - rate(b)!.goodputBps / (c.probe.ratePps * c.probe.size * 8)), value: (s) => s.lossRate,
      tolerance: () => ({ below: 0.08, above: 0.08, why: '±0.08: the probe paces with a few % wobble' }),
    });
  }
  return specs;
}

function within(measured: number, reference: number, t: Tolerance): boolean {
  return measured >= reference - t.below && measured <= reference + t.above;
}

function compare(c: SelftestCase, stats: Partial<Record<LinkBackendName, ProbeStats>>): SelftestRow[] {
  return rowSpecs(c).map((spec) => {
    const measured: SelftestRow['measured'] = {};
    const vsConfig: SelftestRow['vsConfig'] = {};
    const reference = spec.configured('userspace');
    const tolerance = spec.tolerance(reference ?? 0);
    for (const b of ['netem', 'userspace'] as const) {
      const s = stats[b];
      if (!s) continue;
      const v = spec.value(s);
      measured[b] = v;
      const cfg = spec.configured(b);
      vsConfig[b] = cfg === null ? null : v !== null && within(v, cfg, spec.tolerance(cfg));
    }
    const n = measured.netem;
    const u = measured.userspace;
    // backend difference: both sides' allowance, the configured per-backend difference removed
    const offset = (spec.configured('netem') ?? 0) - (spec.configured('userspace') ?? 0);
    const both = tolerance.below + tolerance.above;
    const netemVsUserspace = n === undefined || u === undefined ? null : n !== null && u !== null && Math.abs(n - u - offset) <= both;
    const pass = Object.values(vsConfig).every((v) => v !== false) && netemVsUserspace !== false;
    return { metric: spec.metric, unit: spec.unit, configured: reference, measured, toleranceVsConfig: tolerance, vsConfig, netemVsUserspace, pass };
  });
}

/** Runs every case on every backend available here (sequentially: they share the CPU). */
export async function runLinkSelftest(cases: readonly SelftestCase[] = selftestCases): Promise<SelftestReport> {
  const netem = await probeNetem();
  const backends: LinkBackendName[] = netem.available ? ['netem', 'userspace'] : ['userspace'];
  // one link per backend for all cases (parameters changed between them: starting a topology
  // costs seconds under emulation), the backends one after the other (they share the CPU)
  const stats: Array<Partial<Record<LinkBackendName, ProbeStats>>> = cases.map(() => ({}));
  const errors: Array<SelftestCaseResult['errors']> = cases.map(() => ({}));
  for (const backend of backends) {
    let link: Awaited<ReturnType<typeof startLinkUnderTest>> | undefined;
    try {
      link = await startLinkUnderTest(backend, { up: {}, down: {} });
      // warm-up probe (first use of the code paths; under TCG the first probe runs slow)
      await link.probe({ count: 200, ratePps: 1000 });
      for (const [i, c] of cases.entries()) {
        try {
          await link.setParams('up', c.params);
          await link.setParams('down', {});
          stats[i]![backend] = probeStats(await link.probe(c.probe));
        } catch (error) {
          errors[i]![backend] = (error as Error).message.split('\n')[0] ?? 'unknown error';
        }
      }
    } catch (error) {
      for (const e of errors) e[backend] ??= (error as Error).message.split('\n')[0] ?? 'unknown error';
    } finally {
      await link?.close();
    }
  }
  const results: SelftestCaseResult[] = cases.map((c, i) => ({ name: c.name, params: c.params, rows: compare(c, stats[i]!), errors: errors[i]! }));
  const ran = results.every((r) => Object.keys(r.errors).length === 0);
  const report: SelftestReport = {
    version: 1,
    ok: netem.available && ran && results.every((r) => r.rows.every((row) => row.pass)),
    netem: netem.available ? { available: true } : { available: false, reason: netem.reason ?? 'unknown' },
    backends,
    cases: results,
  };
  if (!netem.available) {
    report.note =
      `this kernel has no sch_netem (tc says: ${netem.reason ?? 'unknown'}), so only the userspace link was measured; ` +
      'the qemu guest runs the self-test on Debian\'s stock kernel: bash scripts/netem-guest.sh node bin/glasslab.js doctor --link-selftest';
  }
  return report;
}
