/**
 * What a link did to the lab's UDP probe (src/link/native.ts `udpProbe`), from the received
 * packets' sequence numbers and one-way delays: loss rate and loss bursts (runs of consecutive
 * missing sequence numbers), delay distribution (ms), reordering, duplicates, goodput.
 */
import type { UdpProbeResult } from '../../src/link/native.ts';
import { percentileSorted, sortedAscending } from '../metrics/stats.ts';

export interface ProbeStats {
  sent: number;
  received: number;
  /** 1 − received / sent (duplicates not counted as received) */
  lossRate: number;
  /** loss bursts (maximal runs of missing seqs before the last received one) */
  lossBursts: number;
  /** mean length of a loss burst, packets; null without losses */
  meanBurstLength: number | null;
  /** one-way delay, ms */
  delayMs: { min: number; p25: number; p50: number; p75: number; p95: number; p99: number; max: number; mean: number; std: number } | null;
  /** lag-1 autocorrelation of the delays in send order (netem/model delay correlation); null under 3 packets */
  delayAutocorrelation: number | null;
  /** fraction of received packets that arrived after a higher seq */
  reorderedFraction: number;
  /** extra copies received per packet received */
  duplicateRate: number;
  /** UDP payload bits received after the first packet / receive span, bit/s; null under 2 packets */
  goodputBps: number | null;
  /** received packets / receive span, packets/s; null under 2 packets */
  receivedPps: number | null;
}

/** Share (0..1) of the values within [low, high]; 0 for none. */
export function shareWithin(values: readonly number[], low: number, high: number): number {
  if (values.length === 0) return 0;
  return values.filter((v) => v >= low && v <= high).length / values.length;
}

/** Delays (ms) of the received packets whose seq is in [from, to). */
export function delaysInSeqRange(result: Pick<UdpProbeResult, 'seq' | 'delayUs'>, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < result.seq.length; i++) {
    const s = result.seq[i]!;
    if (s >= from && s < to) out.push(result.delayUs[i]! / 1000);
  }
  return out;
}

function autocorrelation(values: readonly number[]): number | null {
  if (values.length < 3) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    den += d * d;
    if (i > 0) num += d * (values[i - 1]! - mean);
  }
  return den === 0 ? 0 : num / den;
}

/** Summarises one probe run. */
export function probeStats(result: UdpProbeResult): ProbeStats {
  const n = result.seq.length;
  // loss bursts: walk the received seqs in send order
  const seqs = sortedAscending(Array.from(result.seq));
  let bursts = 0;
  let lostInBursts = 0;
  let expected = 0;
  for (const s of seqs) {
    if (s > expected) {
      bursts += 1;
      lostInBursts += s - expected;
    }
    expected = s + 1;
  }
  // losses after the last received packet are one more burst
  if (result.sent > expected) {
    bursts += 1;
    lostInBursts += result.sent - expected;
  }
  let reordered = 0;
  let highest = -1;
  for (let i = 0; i < n; i++) {
    const s = result.seq[i]!;
    if (s < highest) reordered += 1;
    else highest = s;
  }
  const delays = Array.from(result.delayUs, (us) => us / 1000);
  const sorted = sortedAscending(delays);
  let delayMs: ProbeStats['delayMs'] = null;
  if (sorted.length > 0) {
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const std = Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / sorted.length);
    const at = (pct: number) => percentileSorted(sorted, pct)!;
    delayMs = { min: sorted[0]!, p25: at(25), p50: at(50), p75: at(75), p95: at(95), p99: at(99), max: sorted[sorted.length - 1]!, mean, std };
  }
  const bySeq = Array.from(result.seq, (s, i) => [s, delays[i]!] as const).sort((a, b) => a[0] - b[0]);
  const spanS = result.receiveSpanMs / 1000;
  return {
    sent: result.sent,
    received: result.received,
    lossRate: result.sent > 0 ? 1 - result.received / result.sent : 0,
    lossBursts: bursts,
    meanBurstLength: bursts > 0 ? lostInBursts / bursts : null,
    delayMs,
    delayAutocorrelation: autocorrelation(bySeq.map(([, d]) => d)),
    reorderedFraction: n > 0 ? reordered / n : 0,
    duplicateRate: result.received > 0 ? result.duplicates / result.received : 0,
    goodputBps: n >= 2 && spanS > 0 ? (((result.receivedBytes * (n - 1)) / n) * 8) / spanS : null,
    receivedPps: n >= 2 && spanS > 0 ? (n - 1) / spanS : null,
  };
}
