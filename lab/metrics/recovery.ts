/**
 * Loss recovery from wire truth (results.json `recovery`): the link's fate log joined with the
 * sender's and the receiver's records. Pure; malformed or missing records are skipped, never thrown.
 *
 * Every distinct media packet the sender sent whose FIRST transmission the link dropped (see
 * `wire-packets.ts`: all copies dropped) ends as exactly one of:
 * - **fec** / **rtx**: the receiver logged it recovered (`recoveredBy`, its first recovery) in time;
 * - **tooLate**: it was recovered, but too late to be used, i.e. any of
 *   1. the receiver's own `too-late` event names it (recovered more than the chain's
 *      `usefulWithinMs` after its gap was seen),
 *   2. the frame assembler had given its sequence number up before the recovery (a `gap-skipped`
 *      event at or before the recovery time whose fromSeq..toSeq range holds it),
 *   3. its frame (receiver frame record with the packet's RTP timestamp, `notDisplayed`
 *      "incomplete:…") was released without it: the recovery came after that frame's last packet
 *      (a packet inserted before the drop would have been its last packet or an earlier one);
 * - **never**: no recovery was logged.
 *
 * Times: lossToRtxMs = recovery by RTX (the RTX arrival) − the link's drop of the first
 * transmission (its enqueue time), for every packet recovered by RTX, too late ones included;
 * nackToRtxMs = the same arrival − the first NACK the receiver sent naming the packet.
 * A spurious RTX is an RTX arrival for a media packet that had already arrived from the wire or
 * been recovered (by FEC, or by an earlier RTX) — counted from the records, not from the
 * receiver's own `spurious-rtx` events.
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { RecoverySummary } from '../results/schema.ts';
import { peelRecoverable, type PeelBlock } from './fec-recoverable.ts';
import { g2gByPath } from './recovery-paths.ts';
import type { RunRecords } from './run-records.ts';
import { empiricalCdf, summarize, type CdfPoint } from './stats.ts';
import { SentPacketIndex, type SentPacket } from './wire-packets.ts';

/** What became of one dropped media packet. */
export type RecoveryOutcome = 'fec' | 'rtx' | 'tooLate' | 'never';

/** One media packet whose first transmission the link dropped, and its outcome (ms). */
export interface DroppedMediaPacket {
  packet: SentPacket;
  dropMs: number;
  outcome: RecoveryOutcome;
  recovery?: { by: 'fec' | 'rtx'; atMs: number };
  /** why a recovery was too late */
  lateBecause?: 'too-late-event' | 'gap-skipped' | 'frame-given-up';
  firstNackMs?: number;
}

/** Inputs of {@link computeRecovery}. */
export interface RecoveryInput {
  records: RunRecords;
  /** the link's fate log; null = none (then there is no recovery section) */
  fates: readonly LinkFateRecord[] | null;
  /** CLOCK_MONOTONIC ms of t = 0 for the bins and series */
  originMs: number;
  /** the run's resolved protection (scenario.json); inferred from the packets when absent */
  protection?: { mode?: string; fec?: string; mask?: string };
  /** freezes of the run summary */
  freezes: number;
  /** overTime bin, ms (default 1000) */
  binMs?: number;
}

/** Series the report draws (times: seconds from the origin). */
export interface RecoverySeries {
  lossToRtxCdf: CdfPoint[];
  nackToRtxCdf: CdfPoint[];
  /** sender `fec-rates` events: key/delta factors 1/255, loss % (from lossFraction255, 1/256 as in RTCP), RTT ms */
  fecRates: { timeS: number; key: number | null; delta: number | null; lossPercent: number | null; rttMs: number | null }[];
  /** the factor each FEC block was built with (fec-block records), 1/255 */
  blockRates: { timeS: number; rate255: number; keyframe: boolean }[];
}

/** What {@link computeRecovery} returns. */
export interface RecoveryAnalysis {
  summary: RecoverySummary;
  series: RecoverySeries;
  dropped: DroppedMediaPacket[];
}

type Counts = RecoverySummary['totals'];
const emptyCounts = (): Counts => ({ dropped: 0, fec: 0, rtx: 0, tooLate: 0, never: 0 });
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const inSeqRange = (seq: number, from: number, to: number): boolean => ((seq - from) & 0xffff) <= ((to - from) & 0xffff);
const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/** Computes the recovery section; null without a fate log. */
export function computeRecovery(input: RecoveryInput): RecoveryAnalysis | null {
  if (input.fates === null) return null;
  const { records } = input;
  const senderOut = records.packets.filter((p) => p.side === 'sender' && p.dir === 'out');
  const receiverIn = records.packets.filter((p) => p.side === 'receiver' && p.dir === 'in');
  const index = new SentPacketIndex(senderOut, input.fates);
  const media = index.all().filter((p) => p.kind === 'media');
  const mediaSsrcs = [...new Set(media.map((p) => p.ssrc))];
  const mediaPacket = (seq: unknown, atMs: number): SentPacket | undefined => {
    if (num(seq) === undefined) return undefined;
    for (const ssrc of mediaSsrcs) {
      const packet = index.resolve(ssrc, seq as number, atMs);
      if (packet?.kind === 'media') return packet;
    }
    return undefined;
  };

  // receiver side: wire arrivals, recoveries, RTX arrivals
  const arrivedMs = new Map<SentPacket, number>();
  const recovered = new Map<SentPacket, { by: 'fec' | 'rtx'; atMs: number }>();
  const rtxArrivals = new Map<SentPacket, number[]>();
  for (const p of [...receiverIn].sort((a, b) => a.timeMs - b.timeMs)) {
    if (p.recoveredBy === 'fec' || p.recoveredBy === 'rtx') {
      const packet = index.resolve(p.ssrc, p.seq, p.timeMs);
      if (packet?.kind === 'media' && !recovered.has(packet)) recovered.set(packet, { by: p.recoveredBy, atMs: p.timeMs });
    } else if (p.kind === 'rtx') {
      const packet = mediaPacket(p.originalSeq, p.timeMs);
      if (packet !== undefined) rtxArrivals.set(packet, [...(rtxArrivals.get(packet) ?? []), p.timeMs]);
    } else {
      const packet = index.resolve(p.ssrc, p.seq, p.timeMs);
      if (packet?.kind === 'media' && !arrivedMs.has(packet)) arrivedMs.set(packet, p.timeMs);
    }
  }

  const firstNackMs = new Map<SentPacket, number>();
  let nacksSent = 0;
  let nackedSeqsSent = 0;
  let nacksReceived = 0;
  let keyframeRequests = 0;
  for (const f of records.feedback) {
    if (f.side === 'receiver' && f.dir === 'out' && (f.kind === 'pli' || f.kind === 'fir')) keyframeRequests += 1;
    if (f.kind !== 'nack') continue;
    if (f.side === 'sender' && f.dir === 'in') nacksReceived += 1;
    if (f.side !== 'receiver' || f.dir !== 'out') continue;
    nacksSent += 1;
    const seqs = Array.isArray(f.seqs) ? f.seqs : [];
    nackedSeqsSent += seqs.length;
    for (const seq of seqs) {
      const packet = mediaPacket(seq, f.timeMs);
      if (packet !== undefined && f.timeMs < (firstNackMs.get(packet) ?? Infinity)) firstNackMs.set(packet, f.timeMs);
    }
  }

  const tooLateEvents = new Set<SentPacket>();
  const gapsSkipped: { fromSeq: number; toSeq: number; atMs: number }[] = [];
  const rtxRefused: Record<string, number> = {};
  let nackGivenUp = 0;
  for (const e of records.events) {
    const detail = (e.detail ?? {}) as Record<string, unknown>;
    if (e.side === 'receiver' && e.name === 'too-late') {
      const packet = mediaPacket(detail.seq, e.timeMs);
      if (packet !== undefined) tooLateEvents.add(packet);
    } else if (e.side === 'receiver' && e.name === 'gap-skipped') {
      const fromSeq = num(detail.fromSeq);
      const toSeq = num(detail.toSeq);
      if (fromSeq !== undefined && toSeq !== undefined) gapsSkipped.push({ fromSeq, toSeq, atMs: e.timeMs });
    } else if (e.side === 'receiver' && e.name === 'nack-given-up') {
      nackGivenUp += Array.isArray(detail.seqs) ? detail.seqs.length : 1;
    } else if (e.side === 'sender' && e.name === 'rtx-refused') {
      const reason = typeof detail.reason === 'string' && detail.reason !== '' ? detail.reason : 'unknown';
      rtxRefused[reason] = (rtxRefused[reason] ?? 0) + 1;
    }
  }
  const givenUpFrames = new Map<number, number[]>();
  for (const frame of records.receiverFrames) {
    if (typeof frame.notDisplayed !== 'string' || !frame.notDisplayed.startsWith('incomplete') || frame.lastPacketMs === undefined) continue;
    givenUpFrames.set(frame.rtpTimestamp, [...(givenUpFrames.get(frame.rtpTimestamp) ?? []), frame.lastPacketMs]);
  }

  const lateBecause = (packet: SentPacket, dropMs: number, atMs: number): DroppedMediaPacket['lateBecause'] => {
    if (tooLateEvents.has(packet)) return 'too-late-event';
    if (gapsSkipped.some((g) => g.atMs <= atMs && g.atMs >= dropMs && inSeqRange(packet.seq, g.fromSeq, g.toSeq))) return 'gap-skipped';
    const frames = packet.rtpTimestamp === undefined ? undefined : givenUpFrames.get(packet.rtpTimestamp);
    if (frames?.some((lastPacketMs) => atMs > lastPacketMs && lastPacketMs >= packet.sentMs)) return 'frame-given-up';
    return undefined;
  };

  // classification
  const binMs = input.binMs ?? 1000;
  const totals = emptyCounts();
  const bins: Counts[] = [];
  const dropped: DroppedMediaPacket[] = [];
  const lossToRtx: number[] = [];
  const nackToRtx: number[] = [];
  for (const packet of media) {
    if (packet.fate?.dropped !== true) continue;
    const dropMs = packet.fate.enqueueMs;
    const entry: DroppedMediaPacket = { packet, dropMs, outcome: 'never' };
    const recovery = recovered.get(packet);
    const nackMs = firstNackMs.get(packet);
    if (nackMs !== undefined) entry.firstNackMs = nackMs;
    if (recovery !== undefined) {
      entry.recovery = recovery;
      const late = lateBecause(packet, dropMs, recovery.atMs);
      if (late !== undefined) entry.lateBecause = late;
      entry.outcome = late !== undefined ? 'tooLate' : recovery.by;
      if (recovery.by === 'rtx') {
        lossToRtx.push(recovery.atMs - dropMs);
        if (nackMs !== undefined && nackMs <= recovery.atMs) nackToRtx.push(recovery.atMs - nackMs);
      }
    }
    dropped.push(entry);
    const bin = Math.max(0, Math.floor((dropMs - input.originMs) / binMs));
    while (bins.length <= bin) bins.push(emptyCounts());
    for (const counts of [totals, bins[bin]!]) {
      counts.dropped += 1;
      counts[entry.outcome] += 1;
    }
  }

  let spuriousRtx = 0;
  for (const [packet, times] of rtxArrivals) {
    const arrived = arrivedMs.get(packet);
    const recovery = recovered.get(packet);
    let usefulTaken = false;
    for (const atMs of [...times].sort((a, b) => a - b)) {
      const useful = (arrived === undefined || arrived > atMs) && (recovery === undefined || recovery.atMs > atMs || (recovery.by === 'rtx' && recovery.atMs === atMs && !usefulTaken));
      if (useful && recovery?.by === 'rtx' && recovery.atMs === atMs) usefulTaken = true;
      if (!useful) spuriousRtx += 1;
    }
  }

  const bytes = { media: 0, fec: 0, rtx: 0 };
  for (const p of senderOut) if (p.kind === 'media' || p.kind === 'fec' || p.kind === 'rtx') bytes[p.kind] += p.size;
  const sentOfKind = (kind: SentPacket['kind']): SentPacket[] => index.all().filter((p) => p.kind === kind);
  const fecSent = senderOut.filter((p) => p.kind === 'fec').length;
  const rtxSent = senderOut.filter((p) => p.kind === 'rtx').length;
  const mode = input.protection?.mode ?? (fecSent > 0 && rtxSent > 0 ? 'hybrid' : fecSent > 0 ? 'fec' : rtxSent > 0 ? 'nack' : 'none');
  const usesFec = mode === 'fec' || mode === 'hybrid' || fecSent > 0 || records.fecBlocks.length > 0;
  const ulpfecOnMedia = sentOfKind('fec').some((p) => mediaSsrcs.includes(p.ssrc));
  const residual = totals.never + totals.tooLate;

  const summary: RecoverySummary = {
    mode,
    fecScheme: usesFec ? (input.protection?.fec ?? (ulpfecOnMedia ? 'ulpfec' : 'flexfec')) : null,
    maskType: usesFec ? (input.protection?.mask ?? null) : null,
    mediaPacketsSent: media.length,
    totals,
    fecRecoveryRatio: ratio(totals.fec, totals.dropped),
    rtxRecoveryRatio: ratio(totals.rtx, totals.dropped),
    tooLateRatio: ratio(totals.tooLate, totals.dropped),
    neverRatio: ratio(totals.never, totals.dropped),
    residualLoss: ratio(residual, media.length),
    fecOverhead: ratio(bytes.fec, bytes.media),
    rtxOverhead: ratio(bytes.rtx, bytes.media),
    fecRecoverable: fecRecoverableCount(records, index, mediaSsrcs),
    rateTable: rateTableUsed(records),
    fecPacketsSent: fecSent,
    fecPacketsDropped: sentOfKind('fec').filter((p) => p.fate?.dropped === true).length,
    nacksSent,
    nackedSeqsSent,
    nacksReceived,
    rtxSent,
    rtxDropped: sentOfKind('rtx').filter((p) => p.fate?.dropped === true).length,
    rtxRefused,
    spuriousRtx,
    nackGivenUp,
    lossToRtxMs: summarize(lossToRtx),
    nackToRtxMs: summarize(nackToRtx),
    keyframeRequests,
    freezes: input.freezes,
    g2gByPath: g2gByPath(records),
    overTime: { binMs, startS: bins.map((_, i) => (i * binMs) / 1000), bins },
  };
  return { summary, series: recoverySeries(records, input.originMs, lossToRtx, nackToRtx), dropped };
}

/**
 * Dropped media packets the FEC masks could recover (fec-block records, wire truth); null when the
 * run has no fec-block records. Media present = first transmission delivered; a FEC packet counts
 * when the sender sent it and the link did not drop it.
 */
function fecRecoverableCount(records: RunRecords, index: SentPacketIndex, mediaSsrcs: readonly number[]): number | null {
  if (records.fecBlocks.length === 0) return null;
  let count = 0;
  for (const packet of fecRebuilt(records, index, mediaSsrcs)) if (packet.fate?.dropped === true) count += 1;
  return count;
}

/** Dropped media packets the FEC masks rebuild from what the link delivered (wire truth). */
export function fecRebuilt(records: RunRecords, index: SentPacketIndex, mediaSsrcs: readonly number[]): Set<SentPacket> {
  const blocks: PeelBlock<SentPacket>[] = records.fecBlocks.map((block) => ({
    media: block.mediaSeqs.map((seq) => {
      const packet = index.nearest(block.ssrc, seq, block.timeMs);
      return packet?.kind === 'media' && mediaSsrcs.includes(packet.ssrc) ? packet : undefined;
    }),
    fec: block.fecSeqs.map((seq, i) => {
      const packet = index.nearest(block.fecSsrc, seq, block.timeMs);
      return { arrived: packet?.kind === 'fec' && packet.fate?.dropped !== true, covers: block.covers[i] ?? [] };
    }),
  }));
  return peelRecoverable(blocks, (packet) => packet.fate?.dropped !== true);
}

function recoverySeries(records: RunRecords, originMs: number, lossToRtx: number[], nackToRtx: number[]): RecoverySeries {
  const toS = (ms: number): number => (ms - originMs) / 1000;
  const fecRates: RecoverySeries['fecRates'] = [];
  for (const e of records.events) {
    if (e.side !== 'sender' || e.name !== 'fec-rates') continue;
    const d = (e.detail ?? {}) as Record<string, unknown>;
    const loss = num(d.lossFraction255);
    fecRates.push({ timeS: toS(e.timeMs), key: num(d.key) ?? null, delta: num(d.delta) ?? null, lossPercent: loss === undefined ? null : (loss * 100) / 256, rttMs: num(d.rttMs) ?? null });
  }
  fecRates.sort((a, b) => a.timeS - b.timeS);
  const blockRates = records.fecBlocks.map((b) => ({ timeS: toS(b.timeMs), rate255: b.rate255, keyframe: b.keyframe === true })).sort((a, b) => a.timeS - b.timeS);
  return { lossToRtxCdf: empiricalCdf(lossToRtx), nackToRtxCdf: empiricalCdf(nackToRtx), fecRates, blockRates };
}

/** The sender's `fec-rate-table` event: which table the controller read and its distance from libwebrtc's. */
function rateTableUsed(records: RunRecords): RecoverySummary['rateTable'] {
  const event = records.events.find((e) => e.side === 'sender' && e.name === 'fec-rate-table');
  const d = (event?.detail ?? {}) as Record<string, unknown>;
  const rows = num(d.rows);
  const compared = num(d.comparedCells);
  const differing = num(d.differingCells);
  const maxAbs = num(d.maxAbsDiff);
  const mean = num(d.meanDiff);
  if (typeof d.source !== 'string' || rows === undefined || compared === undefined || differing === undefined || maxAbs === undefined || mean === undefined) return null;
  return { source: d.source, rows, comparedCells: compared, differingCells: differing, maxAbsDiff: maxAbs, meanDiff: mean };
}
