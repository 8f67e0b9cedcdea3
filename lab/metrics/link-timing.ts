/**
 * The userspace link's own timing, from its fate log: how late the data plane wrote each packet
 * to the far TUN device after the model's scheduled release (lateness = wireMs − releaseMs), and
 * how far the measured one-way delay (wireMs − enqueueMs) strayed from the configured delay.
 * Only the data plane writes `wireMs`; without it (netem, virtual time) there is nothing to say.
 * Pure. Times ms (CLOCK_MONOTONIC in), statistics nearest-rank (stats.ts).
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { LinkModelParams } from '../../src/link/params.ts';
import { percentileSorted, sortedAscending } from './stats.ts';

/**
 * Lateness above this counts as late, ms: the tolerance for the data plane. Above it at
 * p99 the run is flagged (warnings.ts), since measured latency then includes the lab's own delay.
 */
export const LINK_LATE_TOLERANCE_MS = 0.5;

/** Timing of one direction (the `timing` field of results.json's link direction). */
export interface LinkDirectionTiming {
  /** released packets (duplicates included) that carry a wire time */
  wirePackets: number;
  /** wireMs − releaseMs, ms; negative values are kept as they are (a clock or logging error) */
  latenessMs: { p50: number; p99: number; max: number };
  /** share of wirePackets later than `lateToleranceMs`, 0..1 */
  lateRatio: number;
  lateToleranceMs: number;
  /** (wireMs − enqueueMs) − configured delay, ms, over first copies in segments whose delay is fixed; null fields when none */
  delayErrorMs: { count: number; p50: number | null; p99: number | null };
  /**
   * the sender's send record → the data plane read the packet from the TUN device, ms, over first
   * copies of the RTP packets the sender recorded: the transport on the sending side (SRTP, the
   * socket, the kernel, any backlog in front of the link); absent when the fate log has no read times
   */
  readBacklogMs?: { count: number; p50: number | null; p99: number | null; max: number | null };
}

/**
 * The configured delay in ms when it alone decides a packet's release time (no jitter, rate,
 * rate trace, slot or reorder), else null: only then is "measured − configured" the link's own error.
 */
export function fixedDelayMs(params: LinkModelParams): number | null {
  const varies =
    (params.jitterUs ?? 0) > 0 || (params.rateBps ?? 0) > 0 || (params.rateTraceMs?.length ?? 0) > 0 || params.slot !== undefined || (params.reorder?.p ?? 0) > 0;
  return varies ? null : (params.delayUs ?? 0) / 1000;
}

/**
 * Timing of one direction's fate records; null when none of them has a wire time.
 * `fixedDelayMsAt(enqueueMs)` gives the fixed configured delay in force when the packet entered, or null
 * (also null before media start, when the lab keeps the link unimpaired).
 */
export function linkDirectionTiming(
  fates: readonly LinkFateRecord[],
  fixedDelayMsAt: (enqueueMs: number) => number | null,
  lateToleranceMs: number = LINK_LATE_TOLERANCE_MS,
  /** when the sender sent RTP packet SSRC/seq (its first send record), ms; undefined when it recorded none */
  sentMsOf?: (ssrc: number, seq: number) => number | undefined,
): LinkDirectionTiming | null {
  const lateness: number[] = [];
  const delayErrors: number[] = [];
  const backlog: number[] = [];
  let readTimes = false;
  for (const f of fates) {
    if (f.readMs !== undefined) readTimes = true;
    if (sentMsOf && f.readMs !== undefined && !f.duplicate && f.ssrc !== undefined && f.seq !== undefined) {
      const sentMs = sentMsOf(f.ssrc, f.seq);
      // a seq sent long before is a wrapped reuse, not this packet
      if (sentMs !== undefined && f.readMs >= sentMs - 1 && f.readMs - sentMs < 10_000) backlog.push(f.readMs - sentMs);
    }
    if (f.wireMs === undefined || f.releaseMs === undefined) continue;
    lateness.push(f.wireMs - f.releaseMs);
    if (f.duplicate) continue; // a copy's schedule is the duplicate's own, not the configured delay
    const configured = fixedDelayMsAt(f.enqueueMs);
    if (configured !== null) delayErrors.push(f.wireMs - f.enqueueMs - configured);
  }
  if (lateness.length === 0) return null;
  const sorted = sortedAscending(lateness);
  const errors = sortedAscending(delayErrors);
  return {
    wirePackets: sorted.length,
    latenessMs: { p50: percentileSorted(sorted, 50)!, p99: percentileSorted(sorted, 99)!, max: sorted[sorted.length - 1]! },
    lateRatio: sorted.filter((ms) => ms > lateToleranceMs).length / sorted.length,
    lateToleranceMs,
    delayErrorMs: { count: errors.length, p50: percentileSorted(errors, 50), p99: percentileSorted(errors, 99) },
    ...(readTimes && sentMsOf ? { readBacklogMs: backlogStats(backlog) } : {}),
  };
}

function backlogStats(values: number[]): NonNullable<LinkDirectionTiming['readBacklogMs']> {
  const sorted = sortedAscending(values);
  return { count: sorted.length, p50: percentileSorted(sorted, 50), p99: percentileSorted(sorted, 99), max: sorted.length > 0 ? sorted[sorted.length - 1]! : null };
}
