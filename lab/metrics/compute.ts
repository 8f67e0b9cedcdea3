/**
 * From a run's records to its summary metrics and the time series the report draws. Pure.
 */
import type { RunSummary } from '../results/schema.ts';
import { analyzeFrames } from './frames.ts';
import { detectFreezes, WEBRTC_FREEZE_OPTIONS, type FreezeOptions } from './freezes.ts';
import { bitrateSeries, isSenderOut, meanBitrateBps, summarizeFeedback, summarizePackets, type BitrateSeries } from './packets.ts';
import type { RunRecords } from './run-records.ts';
import { STAGE_NAMES, type StageName } from './stages.ts';
import { empiricalCdf, summarize, type CdfPoint } from './stats.ts';

/** Series for charts; times are seconds from `originMs`, latencies ms, bitrates bits/s. */
export interface RunSeries {
  /** CLOCK_MONOTONIC ms of t = 0 (first capture, else first record) */
  originMs: number;
  /** glass-to-glass per displayed frame, by capture time */
  g2g: { captureS: number[]; g2gMs: number[]; frameId: number[] };
  cdf: CdfPoint[];
  /** mean stage durations per bin of capture time (null where no frame had the stage) */
  stagesOverTime: { binMs: number; binStartS: number[]; meanMs: Record<StageName, (number | null)[]> };
  bitrate: BitrateSeries & { binMs: number };
  /** the sender's congestion-control estimate per transport feedback (`bwe` events), bit/s; empty with a fixed target */
  congestion: {
    timeS: number;
    targetBps: number;
    delayBasedBps: number | null;
    lossBasedBps: number | null;
    ackedBps: number | null;
    /** the lab's sender: the encoder's target (the estimate less headers, FEC and RTX); absent in runs recorded before it existed */
    encoderBps?: number | null;
    /** set for the Chromium sender: targetBps is libwebrtc's encoder target (outbound-rtp targetBitrate), estimateBps its BWE (candidate-pair availableOutgoingBitrate) */
    peer?: 'chromium';
    estimateBps?: number | null;
  }[];
  freezes: { startS: number; durationMs: number }[];
}

/** Options of {@link computeRunMetrics}. */
export interface ComputeOptions {
  /** bitrate bin, ms (default 1000) */
  bitrateBinMs?: number;
  /** at most this many stage bars over time (default 120) */
  maxStageBins?: number;
  freeze?: FreezeOptions;
  /** read problems to carry into summary.records */
  badLines?: number;
  truncatedFiles?: string[];
}

/** What {@link computeRunMetrics} returns. */
export interface RunMetrics {
  summary: RunSummary;
  series: RunSeries;
  /** first and last record time, CLOCK_MONOTONIC ms; null without records */
  span: { startMs: number | null; endMs: number | null };
}

function recordTimes(records: RunRecords): number[] {
  const times: number[] = [];
  for (const frame of records.senderFrames) times.push(frame.renderSubmitMs, frame.lastPacketSentMs ?? frame.captureMs);
  for (const frame of records.receiverFrames) {
    const first = frame.firstPacketMs ?? frame.lastPacketMs ?? frame.decodeDoneMs;
    const last = frame.markerReadMs ?? frame.decodeDoneMs ?? frame.lastPacketMs;
    if (first !== undefined) times.push(first);
    if (last !== undefined) times.push(last);
  }
  for (const packet of records.packets) times.push(packet.timeMs);
  for (const feedback of records.feedback) times.push(feedback.timeMs);
  for (const event of records.events) times.push(event.timeMs);
  return times;
}

function minMax(values: readonly number[]): { min: number | null; max: number | null } {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return values.length === 0 ? { min: null, max: null } : { min, max };
}

/** Computes the summary and series of a run. */
export function computeRunMetrics(records: RunRecords, options: ComputeOptions = {}): RunMetrics {
  const bitrateBinMs = options.bitrateBinMs ?? 1000;
  const span = minMax(recordTimes(records));
  const captureSpan = minMax(records.senderFrames.map((frame) => frame.captureMs));
  const originMs = captureSpan.min ?? span.min ?? 0;

  const frameAnalysis = analyzeFrames(records.senderFrames, records.receiverFrames);
  const frames = frameAnalysis.frames;
  const freezes = detectFreezes(frameAnalysis.displayTimesMs, options.freeze ?? WEBRTC_FREEZE_OPTIONS);
  const packets = summarizePackets(records.packets);
  const sentPackets = records.packets.filter(isSenderOut);

  const stages = Object.fromEntries(
    STAGE_NAMES.map((name) => [name, summarize(frames.flatMap((frame) => (frame.stages[name] === undefined ? [] : [frame.stages[name]])))]),
  ) as RunSummary['stages'];

  const displayTimes = frameAnalysis.displayTimesMs;
  const displaySpanMs = displayTimes.length >= 2 ? displayTimes[displayTimes.length - 1]! - displayTimes[0]! : 0;
  const fps = displaySpanMs > 0 ? ((displayTimes.length - 1) * 1000) / displaySpanMs : null;

  const byCapture = [...frames].sort((a, b) => a.captureMs - b.captureMs);
  const bitrate = bitrateSeries(records.packets, originMs, bitrateBinMs);
  const summary: RunSummary = {
    g2g: summarize(frames.map((frame) => frame.g2gMs)),
    stages,
    frames: frameAnalysis.counts,
    fps,
    freezes: {
      count: freezes.length,
      totalDurationMs: freezes.reduce((sum, freeze) => sum + freeze.durationMs, 0),
      maxDurationMs: minMax(freezes.map((freeze) => freeze.durationMs)).max,
    },
    packets: { sent: packets.sent, received: packets.received, recovered: packets.recovered },
    residualLoss: packets.residualLoss,
    bitrate: {
      meanBps: meanBitrateBps(sentPackets),
      mediaMeanBps: meanBitrateBps(sentPackets.filter((packet) => packet.kind === 'media')),
      maxBinBps: minMax(bitrate.totalBps).max,
      binMs: bitrateBinMs,
    },
    feedback: summarizeFeedback(records.feedback),
    records: { invalid: records.invalid, badLines: options.badLines ?? 0, truncatedFiles: options.truncatedFiles ?? [] },
  };

  return {
    summary,
    span: { startMs: span.min, endMs: span.max },
    series: {
      originMs,
      g2g: {
        captureS: byCapture.map((frame) => (frame.captureMs - originMs) / 1000),
        g2gMs: byCapture.map((frame) => frame.g2gMs),
        frameId: byCapture.map((frame) => frame.frameId),
      },
      cdf: empiricalCdf(frames.map((frame) => frame.g2gMs)),
      stagesOverTime: stageBins(frames, originMs, options.maxStageBins ?? 120),
      bitrate: { ...bitrate, binMs: bitrateBinMs },
      freezes: freezes.map((freeze) => ({ startS: (freeze.startMs - originMs) / 1000, durationMs: freeze.durationMs })),
      congestion: [...congestionSeries(records.events, originMs), ...peerCongestionSeries(records.peerStats, originMs)],
    },
  };
}

function stageBins(frames: ReturnType<typeof analyzeFrames>['frames'], originMs: number, maxBins: number): RunSeries['stagesOverTime'] {
  const meanMs = Object.fromEntries(STAGE_NAMES.map((name) => [name, [] as (number | null)[]])) as Record<StageName, (number | null)[]>;
  if (frames.length === 0) return { binMs: 1000, binStartS: [], meanMs };
  const lastS = (minMax(frames.map((frame) => frame.captureMs)).max! - originMs) / 1000;
  const binMs = Math.max(1000, Math.ceil((lastS + 1) / maxBins) * 1000);
  const binCount = Math.floor((lastS * 1000) / binMs) + 1;
  const sums = STAGE_NAMES.map(() => new Array<number>(binCount).fill(0));
  const counts = STAGE_NAMES.map(() => new Array<number>(binCount).fill(0));
  for (const frame of frames) {
    const bin = Math.max(0, Math.floor((frame.captureMs - originMs) / binMs));
    STAGE_NAMES.forEach((name, index) => {
      const value = frame.stages[name];
      if (value === undefined) return;
      sums[index]![bin]! += value;
      counts[index]![bin]! += 1;
    });
  }
  STAGE_NAMES.forEach((name, index) => {
    meanMs[name] = sums[index]!.map((sum, bin) => (counts[index]![bin]! === 0 ? null : sum / counts[index]![bin]!));
  });
  return { binMs, binStartS: Array.from({ length: binCount }, (_, bin) => (bin * binMs) / 1000), meanMs };
}

/** A number from a getStats value (libwebrtc gives numbers; anything else is absent). */
function statNumber(value: number | string | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * The Chromium sender's own congestion control as its getStats samples show it: the encoder
 * target (outbound-rtp targetBitrate of the video stream) and the estimate (the selected
 * candidate pair's availableOutgoingBitrate), in time order.
 */
export function peerCongestionSeries(samples: RunRecords['peerStats'], originMs: number): RunSeries['congestion'] {
  return samples
    .filter((s) => s.side === 'sender')
    .sort((a, b) => a.timeMs - b.timeMs)
    .flatMap((s) => {
      const outbound = s.reports.find((r) => r.type === 'outbound-rtp' && (r.values.kind === 'video' || r.values.kind === undefined));
      // the page keeps the nominated pair only (src/browser/peer-common.ts)
      const pair = s.reports.find((r) => r.type === 'candidate-pair' && statNumber(r.values.availableOutgoingBitrate) !== null);
      const target = statNumber(outbound?.values.targetBitrate);
      const estimate = statNumber(pair?.values.availableOutgoingBitrate);
      if (target === null && estimate === null) return [];
      return [{
        timeS: (s.timeMs - originMs) / 1000,
        targetBps: target ?? estimate!,
        delayBasedBps: null,
        lossBasedBps: null,
        ackedBps: null,
        peer: 'chromium' as const,
        estimateBps: estimate,
      }];
    });
}

/** The `bwe` events of the sender, in time order, as the congestion chart draws them. */
function congestionSeries(events: RunRecords['events'], originMs: number): RunSeries['congestion'] {
  const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return events
    .filter((e) => e.side === 'sender' && e.name === 'bwe' && num(e.detail?.targetBps) !== null)
    .sort((a, b) => a.timeMs - b.timeMs)
    .map((e) => ({
      timeS: (e.timeMs - originMs) / 1000,
      targetBps: num(e.detail?.targetBps)!,
      delayBasedBps: num(e.detail?.delayBasedBps),
      lossBasedBps: num(e.detail?.lossBasedBps),
      ackedBps: num(e.detail?.ackedBps),
      encoderBps: num(e.detail?.encoderBps),
    }));
}
