/**
 * Link metrics from a fate log: the media fate accounting, configured values of the loss models,
 * segments split at the applied timeline changes, queue occupancy.
 */
import { describe, expect, it } from 'vitest';
import { computeLinkMetrics, mediaFateAccounting, meanLoss, type ScenarioLinkRecord } from '../../lab/metrics/link.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { EventRecord, PacketRecord } from '../../src/shared/records.ts';

const sentPacket = (seq: number, timeMs: number): PacketRecord => ({ type: 'packet', side: 'sender', dir: 'out', ssrc: 7, seq, pt: 102, kind: 'media', size: 1000, timeMs });
const fate = (id: number, seq: number | undefined, enqueueMs: number, out: { releaseMs?: number; drop?: LinkFateRecord['drop']; duplicate?: boolean; dir?: 'up' | 'down' }): LinkFateRecord => ({
  type: 'fate',
  side: 'link',
  dir: out.dir ?? 'up',
  id,
  size: 1028,
  ...(seq !== undefined ? { ssrc: 7, seq, pt: 102 } : {}),
  enqueueMs,
  ...(out.releaseMs !== undefined ? { releaseMs: out.releaseMs } : {}),
  ...(out.drop ? { drop: out.drop } : {}),
  ...(out.duplicate ? { duplicate: true } : {}),
});

describe('link metrics', () => {
  it('accounts for each media packet once, by fate; flags missing and repeated ones', () => {
    const sent = [sentPacket(65534, 0), sentPacket(65535, 1), sentPacket(0, 2), sentPacket(1, 3)];
    const fates = [
      fate(0, 65534, 0, { releaseMs: 10 }),
      fate(1, 65535, 1, { drop: 'loss' }),
      fate(2, 0, 2, { drop: 'queue' }),
      fate(3, 1, 3, { releaseMs: 13 }),
      fate(3, 1, 3, { releaseMs: 14, duplicate: true }), // a duplicate copy is not a second fate
      fate(4, undefined, 4, { releaseMs: 14 }), // not RTP
      fate(0, 0, 4, { releaseMs: 14, dir: 'down' }), // the other direction
    ];
    expect(mediaFateAccounting(fates, sent)).toEqual({ sent: 4, loggedOnce: 4, missing: 0, repeated: 0, delivered: 2, droppedByReason: { loss: 1, queue: 1 }, complete: true });
    const gaps = mediaFateAccounting([fates[0]!, fates[0]!, fates[3]!], sent);
    expect(gaps).toMatchObject({ sent: 4, loggedOnce: 1, missing: 2, repeated: 1, complete: false });
  });

  it('configured loss is the long-run mean of the model', () => {
    expect(meanLoss({})).toBe(0);
    expect(meanLoss({ loss: { model: 'random', p: 0.02 } })).toBe(0.02);
    expect(meanLoss({ loss: { model: 'gemodel', p: 0.03, r: 0.35, oneMinusH: 1, oneMinusK: 0 } })).toBeCloseTo(0.03 / 0.38, 12);
    expect(meanLoss({ loss: { model: 'gemodel', p: 0.1, r: 0.1, oneMinusH: 0.5, oneMinusK: 0.1 } })).toBeCloseTo(0.3, 12);
    expect(meanLoss({ loss: { model: 'trace', pattern: [1, 0, 0, 0] } })).toBe(0.25);
    expect(meanLoss({ loss: { model: '4state', p13: 0.1, p31: 0.9, p32: 0, p23: 1, p14: 0 } })).toBeNull();
  });

  it('splits segments at the applied change and measures delay, loss, rate and queue in each', () => {
    const link: ScenarioLinkRecord = {
      params: { up: { delayUs: 10_000, rateBps: 8_000_000, queue: { packets: 5 } }, down: {} },
      timeline: [{ atUs: 1_000_000, params: { up: { delayUs: 50_000, loss: { model: 'random', p: 0.5 } }, down: {} } }],
    };
    const t0 = 1000;
    const events: EventRecord[] = [
      { type: 'event', side: 'orchestrator', timeMs: t0, name: 'media-start' },
      { type: 'event', side: 'orchestrator', timeMs: t0 + 1002, name: 'link-change', detail: { index: 0, scheduledMs: t0 + 1000, lateMs: 2 } },
    ];
    const fates: LinkFateRecord[] = [];
    // first second: one packet per 10 ms, 10 ms delay; then 20 ms delay... and every other lost
    for (let i = 0; i < 100; i++) fates.push(fate(i, i, t0 + i * 10, { releaseMs: t0 + i * 10 + 10 }));
    for (let i = 100; i < 200; i++) fates.push(fate(i, i, t0 + 5 + i * 10, i % 2 === 0 ? { drop: 'loss' } : { releaseMs: t0 + 5 + i * 10 + 50 }));
    const { summary, series } = computeLinkMetrics({ link, backend: 'userspace', fates, events, packets: [], originMs: t0, binMs: 500 });
    expect(summary.changes).toEqual([{ index: 0, scheduledMs: t0 + 1000, appliedMs: t0 + 1002, lateMs: 2 }]);
    const [first, second] = summary.directions.up.segments;
    expect(first!.configured).toEqual({ delayMs: 10, jitterMs: 0, loss: 0, rateBps: 8_000_000, queuePackets: 5 });
    expect(first!.measured).toMatchObject({ packets: 100, delayMeanMs: 10, loss: 0, queueMaxPackets: 1 });
    expect(first!.measured.rateBps! / (1028 * 8 * 100)).toBeCloseTo(1, 1); // 100 packets in ~1 s
    expect(second!.configured).toMatchObject({ delayMs: 50, loss: 0.5, rateBps: null });
    expect(second!.measured).toMatchObject({ packets: 100, delayMeanMs: 50, loss: 0.5 });
    expect(second!.measured.queueMaxPackets).toBeGreaterThanOrEqual(3); // 50 ms in flight at one per 20 ms
    expect(summary.directions.up).toMatchObject({ packets: 200, delivered: 150, dropped: 50, droppedByReason: { loss: 50 } });
    expect(series.changesS).toEqual([1.002]);
    expect(series.up.configured.delayMs.slice(0, 4)).toEqual([10, 10, 50, 50]);
    expect(series.up.measured.delayMs.slice(0, 4)).toEqual([10, 10, 50, 50]);
    expect(series.up.measured.loss.slice(0, 4)).toEqual([0, 0, 0.5, 0.5]);
  });

  it('a run without a fate log has configured values and no accounting', () => {
    const link: ScenarioLinkRecord = { params: { up: { delayUs: 1000 }, down: {} }, timeline: [] };
    const { summary } = computeLinkMetrics({ link, backend: 'netem', fates: null, events: [], packets: [sentPacket(1, 0)], originMs: 0 });
    expect(summary.fateLog).toBe(false);
    expect(summary.mediaFates).toBeNull();
    expect(summary.directions.up.segments[0]!.configured.delayMs).toBe(1);
  });

  it('measures the initial segment from media start: before it the lab keeps the link unimpaired (ICE, DTLS)', () => {
    const link: ScenarioLinkRecord = { params: { up: { delayUs: 20_000 }, down: {} }, timeline: [] };
    const events: EventRecord[] = [{ type: 'event', side: 'orchestrator', timeMs: 1000, name: 'media-start' }];
    const fates: LinkFateRecord[] = [];
    for (let i = 0; i < 5; i++) fates.push(fate(i, undefined, 900 + i, { releaseMs: 900 + i })); // handshake, no delay
    for (let i = 5; i < 15; i++) fates.push(fate(i, i, 1000 + i, { releaseMs: 1020 + i }));
    const measured = computeLinkMetrics({ link, backend: 'userspace', fates, events, packets: [], originMs: 900 }).summary.directions.up;
    expect(measured.segments[0]!.measured).toMatchObject({ packets: 10, delayMeanMs: 20, delayP50Ms: 20 });
    expect(measured.packets).toBe(15); // the totals still count every packet
    const withoutStart = computeLinkMetrics({ link, backend: 'userspace', fates, events: [], packets: [], originMs: 900 }).summary.directions.up;
    expect(withoutStart.segments[0]!.measured.packets).toBe(15);
  });
});
