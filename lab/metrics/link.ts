/**
 * Link metrics from the fate log (link.ndjson) and the run's timeline events: per direction,
 * configured vs measured delay, loss, rate and queue per timeline segment and over time, and the
 * fate accounting of the media packets the sender sent (each in the log exactly once). Pure.
 * Times: CLOCK_MONOTONIC ms in, seconds from `originMs` in series; rates bits/s; loss 0..1.
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { DuplexLinkParams, LinkDirection, LinkModelParams } from '../../src/link/params.ts';
import type { EventRecord, PacketRecord } from '../../src/shared/records.ts';
import type { LinkSummary } from '../results/schema.ts';
import { fixedDelayMs, linkDirectionTiming } from './link-timing.ts';

/** What the run's scenario.json says of its link (params µs / 0..1 / bit/s). */
export interface ScenarioLinkRecord {
  backend?: string;
  params: DuplexLinkParams;
  timeline: Array<{ atUs: number; params: DuplexLinkParams }>;
}

/** Configured values of one direction, as the charts show them. */
export interface ConfiguredValues {
  delayMs: number;
  jitterMs: number;
  /** long-run mean loss of the model, 0..1; null where not computed (4-state) */
  loss: number | null;
  /** null = unlimited */
  rateBps: number | null;
  /** drop-tail limit, packets; null = none */
  queuePackets: number | null;
}

/** Per-bin series of one direction (bins by enqueue time; rate by release time). */
export interface LinkDirectionSeries {
  measured: { delayMs: (number | null)[]; loss: (number | null)[]; rateBps: number[]; queuePackets: number[] };
  configured: { delayMs: number[]; loss: (number | null)[]; rateBps: (number | null)[]; queuePackets: (number | null)[] };
}

/** Series of the link charts; `changesS` are the timeline's markers. */
export interface LinkSeries {
  binMs: number;
  binStartS: number[];
  changesS: number[];
  up: LinkDirectionSeries;
  down: LinkDirectionSeries;
}

/** Long-run mean loss of a loss model, 0..1 (null for 4-state). */
export function meanLoss(params: LinkModelParams): number | null {
  const loss = params.loss;
  if (loss === undefined || loss.model === 'none') return 0;
  if (loss.model === 'random') return loss.p;
  if (loss.model === 'trace') return loss.pattern.length === 0 ? 0 : loss.pattern.reduce((a, b) => a + b, 0) / loss.pattern.length;
  if (loss.model === 'gemodel') {
    const bad = loss.p + loss.r > 0 ? loss.p / (loss.p + loss.r) : 0;
    return (1 - bad) * loss.oneMinusK + bad * loss.oneMinusH;
  }
  return null;
}

/** Configured values of a direction's parameters. */
export function configuredValues(params: LinkModelParams): ConfiguredValues {
  return {
    delayMs: (params.delayUs ?? 0) / 1000,
    jitterMs: (params.jitterUs ?? 0) / 1000,
    loss: meanLoss(params),
    rateBps: params.rateBps && params.rateBps > 0 ? params.rateBps : null,
    queuePackets: params.queue?.packets ?? null,
  };
}

/** When each parameter set took effect: the run's link-change events, else media start + atUs. */
export function linkChanges(link: ScenarioLinkRecord, events: readonly EventRecord[]): Array<{ index: number; scheduledMs: number | null; appliedMs: number | null; lateMs: number | null }> {
  const mediaStart = events.find((e) => e.name === 'media-start')?.timeMs;
  return link.timeline.map((change, index) => {
    const applied = events.find((e) => e.name === 'link-change' && e.detail?.index === index);
    const scheduled = typeof applied?.detail?.scheduledMs === 'number' ? applied.detail.scheduledMs : mediaStart !== undefined ? mediaStart + change.atUs / 1000 : null;
    const appliedMs = applied?.timeMs ?? null;
    return { index, scheduledMs: scheduled, appliedMs, lateMs: appliedMs !== null && scheduled !== null ? appliedMs - scheduled : null };
  });
}

const mean = (values: readonly number[]): number | null => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Packets held by the link (entered, not yet released or dropped) just after each time. */
function occupancy(fates: readonly LinkFateRecord[]): Array<[number, number]> {
  const steps: Array<[number, number]> = [];
  for (const f of fates) {
    steps.push([f.enqueueMs, 1]);
    steps.push([f.releaseMs ?? f.enqueueMs, -1]);
  }
  steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let held = 0;
  return steps.map(([t, d]) => [t, (held += d)]);
}

function measure(fates: readonly LinkFateRecord[], fromMs: number, toMs: number) {
  const inside = fates.filter((f) => !f.duplicate && f.enqueueMs >= fromMs && f.enqueueMs < toMs);
  const delivered = inside.filter((f) => f.releaseMs !== undefined);
  const lost = inside.filter((f) => f.drop === 'loss').length;
  const released = fates.filter((f) => f.releaseMs !== undefined && f.releaseMs >= fromMs && f.releaseMs < toMs);
  const seconds = (toMs - fromMs) / 1000;
  return {
    packets: inside.length,
    delays: delivered.map((f) => f.releaseMs! - f.enqueueMs),
    loss: inside.length === 0 ? null : lost / inside.length,
    rateBps: seconds > 0 ? released.reduce((sum, f) => sum + f.size * 8, 0) / seconds : 0,
  };
}

/** Per-direction summary with one segment per parameter set. */
function summarizeDirection(
  dir: LinkDirection,
  link: ScenarioLinkRecord,
  fates: readonly LinkFateRecord[],
  bounds: number[],
  mediaStartMs: number,
  sentMsOf: ((ssrc: number, seq: number) => number | undefined) | undefined,
): LinkSummary['directions']['up'] {
  const mine = fates.filter((f) => f.dir === dir);
  const held = occupancy(mine);
  const droppedByReason: Record<string, number> = {};
  for (const f of mine) if (f.drop) droppedByReason[f.drop] = (droppedByReason[f.drop] ?? 0) + 1;
  const sets = [link.params, ...link.timeline.map((t) => t.params)];
  // open-ended first and last segments end at the direction's first and last packet
  const firstMs = mine.reduce((min, f) => Math.min(min, f.enqueueMs), Infinity);
  const lastMs = mine.reduce((max, f) => Math.max(max, f.releaseMs ?? f.enqueueMs), -Infinity);
  const segments = sets.map((params, i) => {
    // the initial set applies from media start: packets before it crossed an unimpaired link
    const fromMs = Math.max(bounds[i]!, firstMs, i === 0 ? mediaStartMs : -Infinity);
    const toMs = Math.min(bounds[i + 1]!, lastMs);
    const m = measure(mine, fromMs, toMs);
    const queueMax = held.filter(([t]) => t >= fromMs && t < toMs).reduce((max, [, n]) => Math.max(max, n), 0);
    return {
      fromMs: Number.isFinite(bounds[i]!) ? bounds[i]! : null,
      configured: configuredValues(params[dir]),
      measured: { packets: m.packets, delayMeanMs: mean(m.delays), delayP50Ms: median(m.delays), loss: m.loss, rateBps: Number.isFinite(toMs - fromMs) && toMs > fromMs ? m.rateBps : null, queueMaxPackets: queueMax },
    };
  });
  // the parameter set in force at a time: segment i spans [bounds[i], bounds[i + 1])
  const setAt = (ms: number): number => bounds.slice(1).filter((b) => b <= ms).length;
  // before media start the link runs unimpaired (lab/run/run-link.ts), not with the scenario's link: no configured delay to compare
  const timing = linkDirectionTiming(mine, (enqueueMs) => (enqueueMs < mediaStartMs ? null : fixedDelayMs(sets[setAt(enqueueMs)]![dir])), undefined, sentMsOf);
  return {
    packets: mine.filter((f) => !f.duplicate).length,
    delivered: mine.filter((f) => f.releaseMs !== undefined).length,
    dropped: mine.filter((f) => f.drop !== undefined).length,
    droppedByReason,
    writeErrors: droppedByReason['write-error'] ?? 0,
    duplicates: mine.filter((f) => f.duplicate).length,
    reordered: mine.filter((f) => f.reordered).length,
    segments,
    ...(timing ? { timing } : {}),
  };
}

/** Fate of every media packet the sender sent: in the up direction's log exactly once? */
export function mediaFateAccounting(fates: readonly LinkFateRecord[], senderPackets: readonly PacketRecord[]): LinkSummary['mediaFates'] {
  const sent = new Map<string, number>();
  for (const p of senderPackets) if (p.side === 'sender' && p.dir === 'out' && p.kind === 'media') sent.set(`${p.ssrc}/${p.seq}`, (sent.get(`${p.ssrc}/${p.seq}`) ?? 0) + 1);
  const logged = new Map<string, LinkFateRecord[]>();
  for (const f of fates) {
    if (f.dir !== 'up' || f.duplicate || f.ssrc === undefined || f.seq === undefined) continue;
    const key = `${f.ssrc}/${f.seq}`;
    if (sent.has(key)) logged.set(key, [...(logged.get(key) ?? []), f]);
  }
  let once = 0;
  let missing = 0;
  let repeated = 0;
  let delivered = 0;
  const droppedByReason: Record<string, number> = {};
  for (const [key, count] of sent) {
    const records = logged.get(key) ?? [];
    if (records.length === count) once += count;
    else if (records.length < count) missing += count - records.length;
    else repeated += records.length - count;
    for (const r of records) {
      if (r.drop) droppedByReason[r.drop] = (droppedByReason[r.drop] ?? 0) + 1;
      else delivered += 1;
    }
  }
  const total = [...sent.values()].reduce((a, b) => a + b, 0);
  return { sent: total, loggedOnce: once, missing, repeated, delivered, droppedByReason, complete: total > 0 && once === total && repeated === 0 };
}

/** Computes the link summary (results.json) and chart series of a run with a link. */
export function computeLinkMetrics(input: {
  link: ScenarioLinkRecord;
  backend: string | null;
  fates: readonly LinkFateRecord[] | null;
  events: readonly EventRecord[];
  packets: readonly PacketRecord[];
  originMs: number;
  binMs?: number;
}): { summary: LinkSummary; series: LinkSeries } {
  const binMs = input.binMs ?? 250;
  const fates = input.fates ?? [];
  const changes = linkChanges(input.link, input.events);
  const starts = changes.map((c) => c.appliedMs ?? c.scheduledMs ?? Infinity);
  const bounds = [-Infinity, ...starts, Infinity];
  const mediaStartMs = input.events.find((e) => e.name === 'media-start')?.timeMs ?? -Infinity;
  // the sender's first send of each RTP packet (up carries the sender's packets)
  const firstSent = new Map<string, number>();
  for (const p of input.packets) {
    if (p.side !== 'sender' || p.dir !== 'out') continue;
    const key = `${p.ssrc >>> 0}/${p.seq}`;
    if (!firstSent.has(key)) firstSent.set(key, p.timeMs);
  }
  const sentMsOf = (ssrc: number, seq: number): number | undefined => firstSent.get(`${ssrc >>> 0}/${seq}`);
  const summary: LinkSummary = {
    backend: input.backend,
    fateLog: input.fates !== null,
    changes,
    directions: { up: summarizeDirection('up', input.link, fates, bounds, mediaStartMs, sentMsOf), down: summarizeDirection('down', input.link, fates, bounds, mediaStartMs, undefined) },
    mediaFates: input.fates === null ? null : mediaFateAccounting(fates, input.packets),
  };

  const times = fates.map((f) => f.releaseMs ?? f.enqueueMs);
  const endMs = times.length > 0 ? Math.max(...times) : input.originMs;
  const bins = Math.max(1, Math.ceil((endMs - input.originMs) / binMs));
  const binStartS = Array.from({ length: bins }, (_, i) => (i * binMs) / 1000);
  const setAt = (ms: number): number => bounds.slice(1).filter((b) => b <= ms).length;
  const sets = [input.link.params, ...input.link.timeline.map((t) => t.params)];
  const direction = (dir: LinkDirection): LinkDirectionSeries => {
    const mine = fates.filter((f) => f.dir === dir);
    const held = occupancy(mine);
    const s: LinkDirectionSeries = { measured: { delayMs: [], loss: [], rateBps: [], queuePackets: [] }, configured: { delayMs: [], loss: [], rateBps: [], queuePackets: [] } };
    let h = 0;
    for (let i = 0; i < bins; i++) {
      const from = input.originMs + i * binMs;
      const m = measure(mine, from, from + binMs);
      s.measured.delayMs.push(mean(m.delays));
      s.measured.loss.push(m.loss);
      s.measured.rateBps.push(m.rateBps);
      let max = h < held.length && h > 0 ? held[h - 1]![1] : 0;
      for (; h < held.length && held[h]![0] < from + binMs; h++) max = Math.max(max, held[h]![1]);
      s.measured.queuePackets.push(max);
      const c = configuredValues(sets[setAt(from + binMs / 2)]![dir]);
      s.configured.delayMs.push(c.delayMs);
      s.configured.loss.push(c.loss);
      s.configured.rateBps.push(c.rateBps);
      s.configured.queuePackets.push(c.queuePackets);
    }
    return s;
  };
  const changesS = starts.filter(Number.isFinite).map((t) => (t - input.originMs) / 1000);
  return { summary, series: { binMs, binStartS, changesS, up: direction('up'), down: direction('down') } };
}
