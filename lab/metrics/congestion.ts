/**
 * How well the sender tracked the link's capacity, from the fate log (what the link carried and
 * how long packets queued) and the configured link, per timeline segment of the up (media)
 * direction: utilisation (carried ÷ configured rate), queueing delay (release − entry − the
 * configured delay: waiting behind other packets plus serialization) p50/p95, queue drops; and
 * for each change that lowers the capacity, the time to adapt: from the change until the first
 * 500 ms window in which the link carried ≤ 1.1 × the new rate's worth of entries and the
 * queueing delay p95 was under `settledQueueMs`, with the queue drops until then (overshoot
 * loss). Whether congestion control ran is read from the sender's `bwe` events. Pure; times ms in.
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { EventRecord } from '../../src/shared/records.ts';
import type { ScenarioLinkRecord } from './link.ts';
import { linkChanges } from './link.ts';
import { percentileSorted, sortedAscending } from './stats.ts';

/** Queueing delay p95 under which a window counts as settled, ms. */
export const SETTLED_QUEUE_MS = 50;
const WINDOW_MS = 500;

export interface CongestionSegment {
  /** ms after media start; null for the first */
  fromS: number | null;
  capacityBps: number | null;
  /** bits the link released in the segment ÷ its length */
  carriedBps: number | null;
  /** carriedBps ÷ capacityBps */
  utilisation: number | null;
  /** of carriedBps, what competing flows (crossTraffic: TCP) carried; absent without them */
  crossCarriedBps?: number | null;
  queueDelayMs: { p50: number | null; p95: number | null };
  queueDrops: number;
}

export interface CongestionAdaptation {
  /** s after media start */
  atS: number;
  fromBps: number | null;
  toBps: number;
  /** null: it never settled before the next change or the end */
  adaptMs: number | null;
  /** queue drops ÷ packets entered from the change until settled (or the segment's end) */
  overshootLoss: number | null;
}

/** A capacity rise and how long the sender took to use it. */
export interface CongestionRise {
  /** s after media start */
  atS: number;
  fromBps: number | null;
  toBps: number;
  /** change → the first 500 ms window in which the link carried ≥ 90 % of the new rate; null = never before the next change or the end */
  reach90Ms: number | null;
}

export interface CongestionSummary {
  /** 'googcc' when the lab's sender wrote estimates, 'libwebrtc' for the Chromium sender (its own GoogCC), else 'fixed' */
  mode: 'googcc' | 'libwebrtc' | 'fixed';
  estimates: number;
  segments: CongestionSegment[];
  adaptations: CongestionAdaptation[];
  /** capacity rises (absent in results written before it existed) */
  rises?: CongestionRise[];
  settledQueueMs: number;
  /** the slowest adaptation, ms; null when there was no capacity drop or one never settled (a budget on it then fails) */
  worstAdaptMs: number | null;
  /** the lowest utilisation of a segment with a configured rate */
  minUtilisation: number | null;
  /** the highest queueing delay p95 of a segment, ms */
  worstQueueDelayP95Ms: number | null;
  /** the highest overshoot loss of an adaptation */
  maxOvershootLoss: number | null;
  /** the slowest rise to 90 % of the new capacity, ms; null when there was no rise or one was never reached */
  worstReach90Ms?: number | null;
}

/** The congestion section; null without a fate log or a link. */
export function computeCongestion(input: {
  link: ScenarioLinkRecord | undefined;
  fates: readonly LinkFateRecord[] | null;
  events: readonly EventRecord[];
  /** the sender was Chromium: libwebrtc estimated (its getStats samples) */
  senderPeer?: 'chromium';
  /** libwebrtc's estimates seen (sender-side getStats samples with availableOutgoingBitrate) */
  peerEstimates?: number;
}): CongestionSummary | null {
  if (!input.link || !input.fates) return null;
  // in entry order, so the packets that entered in a time range are one slice (found by bisection)
  const up = input.fates.filter((f) => f.dir === 'up' && !f.duplicate).sort((a, b) => a.enqueueMs - b.enqueueMs);
  if (up.length === 0) return null;
  const mediaStartMs = input.events.find((e) => e.name === 'media-start')?.timeMs ?? up[0]!.enqueueMs;
  const changes = linkChanges(input.link, input.events);
  const sets = [input.link.params, ...input.link.timeline.map((t) => t.params)];
  const starts = [mediaStartMs, ...changes.map((c) => c.appliedMs ?? c.scheduledMs ?? Infinity)];
  const endMs = up.reduce((max, f) => Math.max(max, f.releaseMs ?? f.enqueueMs), -Infinity);
  const rateOf = (i: number): number | null => (sets[i]!.up.rateBps && sets[i]!.up.rateBps > 0 ? sets[i]!.up.rateBps : null);
  const delayOf = (i: number): number => (sets[i]!.up.delayUs ?? 0) / 1000;
  /** index of the first packet that entered at or after `ms` */
  const firstAt = (ms: number): number => {
    let lo = 0;
    let hi = up.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (up[mid]!.enqueueMs < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const entered = (fromMs: number, toMs: number): readonly LinkFateRecord[] => up.slice(firstAt(fromMs), firstAt(toMs));
  const queueDelays = (packets: readonly LinkFateRecord[], i: number): number[] =>
    packets.filter((f) => f.releaseMs !== undefined).map((f) => f.releaseMs! - f.enqueueMs - delayOf(i));

  // competing flows (TCP through the same link) are told apart from the media (UDP) by protocol
  const hasCross = up.some((f) => f.proto !== undefined && f.proto !== 'udp');
  const segments: CongestionSegment[] = sets.map((_, i) => {
    const fromMs = starts[i]!;
    const toMs = Math.min(starts[i + 1] ?? Infinity, endMs);
    const seconds = (toMs - fromMs) / 1000;
    const carried = up.filter((f) => f.releaseMs !== undefined && f.releaseMs >= fromMs && f.releaseMs < toMs).reduce((sum, f) => sum + f.size * 8, 0);
    const carriedBps = seconds > 0 ? carried / seconds : null;
    const crossBits = hasCross ? up.filter((f) => f.proto !== undefined && f.proto !== 'udp' && f.releaseMs !== undefined && f.releaseMs >= fromMs && f.releaseMs < toMs).reduce((sum, f) => sum + f.size * 8, 0) : 0;
    const capacityBps = rateOf(i);
    const inside = entered(fromMs, toMs);
    const sorted = sortedAscending(queueDelays(inside, i));
    return {
      fromS: i === 0 ? null : (fromMs - mediaStartMs) / 1000,
      capacityBps,
      carriedBps,
      utilisation: carriedBps !== null && capacityBps !== null ? carriedBps / capacityBps : null,
      ...(hasCross ? { crossCarriedBps: seconds > 0 ? crossBits / seconds : null } : {}),
      queueDelayMs: { p50: percentileSorted(sorted, 50), p95: percentileSorted(sorted, 95) },
      queueDrops: inside.filter((f) => f.drop === 'queue').length,
    };
  });

  const adaptations: CongestionAdaptation[] = [];
  for (let i = 1; i < sets.length; i++) {
    const toBps = rateOf(i);
    const fromBps = rateOf(i - 1);
    if (toBps === null || (fromBps !== null && toBps >= fromBps)) continue;
    const atMs = starts[i]!;
    const untilMs = Math.min(starts[i + 1] ?? Infinity, endMs);
    let adaptMs: number | null = null;
    for (let w = atMs; w + WINDOW_MS <= untilMs; w += WINDOW_MS / 5) {
      const window = entered(w, w + WINDOW_MS);
      const bits = window.reduce((sum, f) => sum + f.size * 8, 0);
      const p95 = percentileSorted(sortedAscending(queueDelays(window, i)), 95);
      if ((bits * 1000) / WINDOW_MS <= 1.1 * toBps && p95 !== null && p95 < SETTLED_QUEUE_MS) {
        adaptMs = w - atMs;
        break;
      }
    }
    const lossUntil = adaptMs === null ? untilMs : atMs + adaptMs;
    const overshoot = entered(atMs, lossUntil);
    adaptations.push({
      atS: (atMs - mediaStartMs) / 1000, fromBps, toBps, adaptMs,
      overshootLoss: overshoot.length === 0 ? null : overshoot.filter((f) => f.drop === 'queue').length / overshoot.length,
    });
  }
  const rises: CongestionRise[] = [];
  for (let i = 1; i < sets.length; i++) {
    const toBps = rateOf(i);
    const fromBps = rateOf(i - 1);
    if (toBps === null || fromBps === null || toBps <= fromBps) continue;
    const atMs = starts[i]!;
    const untilMs = Math.min(starts[i + 1] ?? Infinity, endMs);
    let reach90Ms: number | null = null;
    for (let w = atMs; w + WINDOW_MS <= untilMs; w += WINDOW_MS / 5) {
      // what the link released in the window: a rise is used when the link carries it
      const bits = up.filter((f) => f.releaseMs !== undefined && f.releaseMs >= w && f.releaseMs < w + WINDOW_MS).reduce((sum, f) => sum + f.size * 8, 0);
      if ((bits * 1000) / WINDOW_MS >= 0.9 * toBps) {
        reach90Ms = w + WINDOW_MS - atMs;
        break;
      }
    }
    rises.push({ atS: (atMs - mediaStartMs) / 1000, fromBps, toBps, reach90Ms });
  }
  const estimates = input.events.filter((e) => e.side === 'sender' && e.name === 'bwe').length;
  const values = (list: (number | null)[]): number[] => list.filter((v): v is number => v !== null);
  const adaptTimes = adaptations.map((a) => a.adaptMs);
  return {
    mode: input.senderPeer === 'chromium' ? 'libwebrtc' : estimates > 0 ? 'googcc' : 'fixed',
    estimates: input.senderPeer === 'chromium' ? (input.peerEstimates ?? 0) : estimates, segments, adaptations, rises, settledQueueMs: SETTLED_QUEUE_MS,
    worstAdaptMs: adaptTimes.length === 0 || adaptTimes.includes(null) ? null : Math.max(...values(adaptTimes)),
    minUtilisation: values(segments.map((seg) => seg.utilisation)).reduce<number | null>((m, v) => (m === null ? v : Math.min(m, v)), null),
    worstQueueDelayP95Ms: values(segments.map((seg) => seg.queueDelayMs.p95)).reduce<number | null>((m, v) => (m === null ? v : Math.max(m, v)), null),
    maxOvershootLoss: values(adaptations.map((a) => a.overshootLoss)).reduce<number | null>((m, v) => (m === null ? v : Math.max(m, v)), null),
    worstReach90Ms: rises.length === 0 || rises.some((r) => r.reach90Ms === null) ? null : Math.max(...rises.map((r) => r.reach90Ms!)),
  };
}
