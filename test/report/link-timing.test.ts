/**
 * The data plane's own timing from fabricated fate records: release lateness (wireMs − releaseMs)
 * and delay error against the configured delay, per direction, in results.json's link section.
 * The statistics are checked against the nearest-rank definition stated independently
 * (the smallest value with at least P % of the values at or below it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeLinkMetrics, type ScenarioLinkRecord } from '../../lab/metrics/link.ts';
import { fixedDelayMs, LINK_LATE_TOLERANCE_MS, linkDirectionTiming } from '../../lab/metrics/link-timing.ts';
import { linkSummarySchema } from '../../lab/results/schema.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';

const fate = (dir: 'up' | 'down', id: number, enqueueMs: number, out: { releaseMs?: number; wireMs?: number; duplicate?: boolean }): LinkFateRecord => ({
  type: 'fate',
  side: 'link',
  dir,
  id,
  size: 1200,
  enqueueMs,
  ...(out.releaseMs !== undefined ? { releaseMs: out.releaseMs } : { drop: 'loss' as const }),
  ...(out.wireMs !== undefined ? { wireMs: out.wireMs } : {}),
  ...(out.duplicate ? { duplicate: true } : {}),
});

/** Smallest value v with at least `percent` % of the values ≤ v. */
function byDefinition(values: readonly number[], percent: number): number {
  const candidates = [...new Set(values)].filter((v) => values.filter((x) => x <= v).length * 100 >= percent * values.length);
  return Math.min(...candidates);
}

describe('link timing', () => {
  it('lateness p50/p99/max and the late share match a direct computation (negative lateness kept)', () => {
    const record = fc.record({ releaseOffsetMs: fc.double({ min: 0, max: 100, noNaN: true }), latenessMs: fc.double({ min: -0.2, max: 12, noNaN: true }), wired: fc.boolean(), duplicate: fc.boolean() });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 300 }), (rows) => {
        const fates = rows.map((r, i) => fate('up', i, 1000 + i, { releaseMs: 1020 + i + r.releaseOffsetMs, ...(r.wired ? { wireMs: 1020 + i + r.releaseOffsetMs + r.latenessMs } : {}), duplicate: r.duplicate }));
        const lateness = fates.filter((f) => f.wireMs !== undefined).map((f) => f.wireMs! - f.releaseMs!);
        const timing = linkDirectionTiming(fates, () => null);
        if (lateness.length === 0) {
          expect(timing).toBeNull();
          return;
        }
        expect(timing).not.toBeNull();
        expect(timing!.wirePackets).toBe(lateness.length);
        expect(timing!.latenessMs.p50).toBe(byDefinition(lateness, 50));
        expect(timing!.latenessMs.p99).toBe(byDefinition(lateness, 99));
        expect(timing!.latenessMs.max).toBe(Math.max(...lateness));
        expect(timing!.lateRatio).toBe(lateness.filter((ms) => ms > LINK_LATE_TOLERANCE_MS).length / lateness.length);
        expect(timing!.delayErrorMs).toEqual({ count: 0, p50: null, p99: null });
      }),
    );
  });

  it('delay error is (wire − enqueue) − configured delay over first copies, only where the delay is fixed', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 5, noNaN: true }), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 200 }), (rows) => {
        // enqueued before 2000: fixed 20 ms; from 2000 on: not fixed (null)
        const fates = rows.map(([extraMs, late, duplicate], i) => {
          const enqueueMs = late ? 2000 + i : 1000 + i;
          return fate('down', i, enqueueMs, { releaseMs: enqueueMs + 20, wireMs: enqueueMs + 20 + extraMs, duplicate });
        });
        const errors = fates.filter((f) => !f.duplicate && f.enqueueMs < 2000).map((f) => f.wireMs! - f.enqueueMs - 20);
        const timing = linkDirectionTiming(fates, (enqueueMs) => (enqueueMs < 2000 ? 20 : null))!;
        expect(timing.delayErrorMs.count).toBe(errors.length);
        expect(timing.delayErrorMs.p50).toBe(errors.length === 0 ? null : byDefinition(errors, 50));
        expect(timing.delayErrorMs.p99).toBe(errors.length === 0 ? null : byDefinition(errors, 99));
      }),
    );
  });

  it('a delay is fixed only without jitter, rate, rate trace, slot or reorder', () => {
    expect(fixedDelayMs({ delayUs: 20_000 })).toBe(20);
    expect(fixedDelayMs({})).toBe(0);
    expect(fixedDelayMs({ delayUs: 20_000, loss: { model: 'random', p: 0.1 }, queue: { packets: 50 } })).toBe(20);
    expect(fixedDelayMs({ delayUs: 20_000, jitterUs: 1000 })).toBeNull();
    expect(fixedDelayMs({ delayUs: 20_000, rateBps: 1e6 })).toBeNull();
    expect(fixedDelayMs({ delayUs: 20_000, rateTraceMs: [1, 2] })).toBeNull();
    expect(fixedDelayMs({ delayUs: 20_000, slot: { minUs: 100, maxUs: 200 } })).toBeNull();
    expect(fixedDelayMs({ delayUs: 20_000, reorder: { p: 0.1 } })).toBeNull();
  });

  it('results.json gets timing per direction, with the configured delay of each timeline segment from media start, and none without wire times', () => {
    // up: 20 ms fixed, from the change at 1500 ms 30 ms with jitter (no delay error there); down: 10 ms fixed throughout
    const link: ScenarioLinkRecord = {
      params: { up: { delayUs: 20_000 }, down: { delayUs: 10_000 } },
      timeline: [{ atUs: 500_000, params: { up: { delayUs: 30_000, jitterUs: 2000 }, down: { delayUs: 10_000 } } }],
    };
    // before media start (1000 ms) the lab keeps the link unimpaired: late or not, no configured delay to compare
    const fates: LinkFateRecord[] = [fate('up', 20, 990, { releaseMs: 990, wireMs: 990.05 })];
    for (let i = 0; i < 10; i++) fates.push(fate('up', i, 1000 + i * 10, { releaseMs: 1020 + i * 10, wireMs: 1020 + i * 10 + (i === 9 ? 3 : 0.1) }));
    for (let i = 10; i < 20; i++) fates.push(fate('up', i, 1500 + i * 10, { releaseMs: 1531 + i * 10, wireMs: 1531.2 + i * 10 }));
    for (let i = 0; i < 4; i++) fates.push(fate('down', i, 1000 + i, { releaseMs: 1010 + i })); // no wire times (as from virtual time)
    const events = [{ type: 'event' as const, side: 'orchestrator' as const, name: 'media-start', timeMs: 1000 }];
    const summary = computeLinkMetrics({ link, backend: 'userspace', fates, events, packets: [], originMs: 1000 }).summary;
    expect(linkSummarySchema.safeParse(summary).success).toBe(true);
    const up = summary.directions.up.timing!;
    expect(up.wirePackets).toBe(21);
    expect(up.latenessMs.max).toBeCloseTo(3, 9);
    expect(up.latenessMs.p50).toBeCloseTo(0.2, 9);
    expect(up.lateRatio).toBe(1 / 21);
    expect(up.delayErrorMs.count).toBe(10); // only the 20 ms segment after media start
    expect(up.delayErrorMs.p50).toBeCloseTo(0.1, 9);
    expect(up.delayErrorMs.p99).toBeCloseTo(3, 9);
    expect(summary.directions.down.timing).toBeUndefined();
    // a link section written before timing existed still validates
    const { timing: _dropped, ...old } = summary.directions.up;
    expect(linkSummarySchema.safeParse({ ...summary, directions: { ...summary.directions, up: old } }).success).toBe(true);
  });

  it('send → link read: the sender\'s send record to the data plane\'s read, first copies of the sender\'s RTP packets only', () => {
    const link: ScenarioLinkRecord = { params: { up: { delayUs: 20_000 }, down: {} }, timeline: [] };
    const rtp = (id: number, seq: number, sentMs: number, readAfterMs: number, extra: Partial<LinkFateRecord> = {}): LinkFateRecord => ({
      ...fate('up', id, sentMs + readAfterMs + 0.01, { releaseMs: sentMs + readAfterMs + 20, wireMs: sentMs + readAfterMs + 20.05 }),
      ssrc: 7, seq, readMs: sentMs + readAfterMs, ...extra,
    });
    const fates = [rtp(0, 100, 1000, 0.5), rtp(1, 101, 1010, 1.5), rtp(2, 102, 1020, 4), rtp(3, 102, 1020, 9, { duplicate: true }), rtp(4, 999, 1030, 2)];
    const packets = [100, 101, 102].map((seq, i) => ({ type: 'packet' as const, side: 'sender' as const, dir: 'out' as const, ssrc: 7, seq, pt: 96, kind: 'media' as const, size: 1000, timeMs: 1000 + i * 10 }));
    const events = [{ type: 'event' as const, side: 'orchestrator' as const, name: 'media-start', timeMs: 900 }];
    const summary = computeLinkMetrics({ link, backend: 'userspace', fates, events, packets, originMs: 900 }).summary;
    expect(linkSummarySchema.safeParse(summary).success).toBe(true);
    // seq 999 was never sent by the sender (not its packet), the duplicate is not a first copy
    const b = summary.directions.up.timing!.readBacklogMs!;
    expect(b.count).toBe(3);
    expect(b.p50).toBeCloseTo(1.5, 9);
    expect(b.max).toBeCloseTo(4, 9);
    // without read times (netem-free virtual time, older logs) there is no figure
    const noRead = fates.map(({ readMs: _r, ...f }) => f);
    expect(computeLinkMetrics({ link, backend: 'userspace', fates: noRead, events, packets, originMs: 900 }).summary.directions.up.timing!.readBacklogMs).toBeUndefined();
  });
});
