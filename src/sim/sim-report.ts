/**
 * Wire truth of a protection simulation and the report computed from it: every media packet the
 * link dropped ends as recovered by FEC, by RTX (with the loss→recovery time), too late, or never.
 */
import type { SendProtectionStats } from '../sender/protection/send-chain.ts';

/** What happened to one media packet (extended seq key). */
export interface MediaFate {
  /** the packet as packetized (plain RTP) */
  plain: Uint8Array;
  sentMs: number;
  /** the link dropped its first transmission */
  lost: boolean;
  lostAtMs?: number;
  recovered: { by: 'fec' | 'rtx'; atMs: number; late: boolean } | undefined;
}

/** One FEC block as sent (media seqs extended). */
export interface FecBlockRecord {
  mediaSeqs: number[];
  fecSsrc: number;
  fecSeqs: number[];
  covers: number[][];
}

/** Everything the harness observed. */
export interface WireTruth {
  media: Map<number, MediaFate>;
  fecBlocks: FecBlockRecord[];
  /** `${ssrc}:${seq}` of FEC packets the link dropped */
  lostFec: Set<string>;
  wrongPackets: number;
  /** receiver's gap detection → RTX recovery, ms, one per RTX recovery */
  rtxDetectToRecoveryMs: number[];
  nacksSent: number;
  rtxSent: number;
  spuriousRtx: number;
  framesSent: number;
  framesComplete: number;
  /** frames released decodable (keyframe, or no frame missing since one) */
  framesDecodable: number;
  keyframeRequests: number;
  sendStats: SendProtectionStats | undefined;
  /** the sender's RTT at the end of the run (SR/RR), ms */
  senderRttMs: number;
}

/** Per-run report (packets unless named). */
export interface SimReport {
  mediaPackets: number;
  lostOnLink: number;
  recoveredByFec: number;
  recoveredByRtx: number;
  /** loss → RTX recovery time, ms: p50 / p95 / max */
  rtxRecoveryMs: { p50: number; p95: number; max: number } | undefined;
  /** gap seen at the receiver → RTX recovery, ms: p50 / p95 / max */
  rtxDetectToRecoveryMs: { p50: number; p95: number; max: number } | undefined;
  recoveredTooLate: number;
  neverRecovered: number;
  /** FEC bytes / media bytes */
  fecOverhead: number;
  nacksSent: number;
  rtxSent: number;
  spuriousRtx: number;
  wrongPackets: number;
  framesSent: number;
  framesComplete: number;
  framesIncomplete: number;
  /** frames released decodable (keyframe, or no frame missing since one) */
  framesDecodable: number;
  keyframeRequests: number;
}

export function newTruth(): WireTruth {
  return {
    media: new Map(), fecBlocks: [], lostFec: new Set(), wrongPackets: 0, rtxDetectToRecoveryMs: [], nacksSent: 0, rtxSent: 0, spuriousRtx: 0,
    framesSent: 0, framesComplete: 0, framesDecodable: 0, keyframeRequests: 0, sendStats: undefined, senderRttMs: 0,
  };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** p50 / p95 / max of `values` (sorted here), undefined when empty. */
function summary(values: number[]): { p50: number; p95: number; max: number } | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted[sorted.length - 1]! };
}

/** Classifies every lost media packet; a recovery later than `usefulWithinMs` after the loss is too late. */
export function classify(t: WireTruth, usefulWithinMs: number): SimReport {
  let lost = 0, fec = 0, rtx = 0, late = 0, never = 0;
  const rtxTimes: number[] = [];
  for (const m of t.media.values()) {
    if (!m.lost) continue;
    lost++;
    const r = m.recovered;
    if (!r) { never++; continue; }
    const after = r.atMs - (m.lostAtMs ?? m.sentMs);
    if (r.late || after > usefulWithinMs) { late++; continue; }
    if (r.by === 'fec') fec++;
    else { rtx++; rtxTimes.push(after); }
  }
  const detect = [...t.rtxDetectToRecoveryMs].sort((a, b) => a - b);
  const s = t.sendStats;
  return {
    mediaPackets: t.media.size, lostOnLink: lost, recoveredByFec: fec, recoveredByRtx: rtx,
    rtxRecoveryMs: summary(rtxTimes), rtxDetectToRecoveryMs: summary(detect),
    recoveredTooLate: late, neverRecovered: never,
    fecOverhead: s && s.mediaBytes > 0 ? s.fecBytes / s.mediaBytes : 0,
    nacksSent: t.nacksSent, rtxSent: t.rtxSent, spuriousRtx: t.spuriousRtx, wrongPackets: t.wrongPackets,
    framesSent: t.framesSent, framesComplete: t.framesComplete, framesIncomplete: t.framesSent - t.framesComplete,
    framesDecodable: t.framesDecodable, keyframeRequests: t.keyframeRequests,
  };
}

/**
 * Independent count of the media packets FEC can rebuild from the wire truth: per block, the
 * iterated single-missing rule over the packets that arrived (lost media and lost FEC removed).
 */
export function fecRecoverableCount(t: WireTruth): number {
  let total = 0;
  for (const b of t.fecBlocks) {
    const missing = new Set<number>();
    b.mediaSeqs.forEach((s, i) => { if (t.media.get(s)?.lost) missing.add(i); });
    const fecOk = b.fecSeqs.map((s) => !t.lostFec.has(`${b.fecSsrc}:${s}`));
    let progress = true;
    while (progress && missing.size > 0) {
      progress = false;
      for (let f = 0; f < b.covers.length; f++) {
        if (!fecOk[f]) continue;
        const gone = b.covers[f]!.filter((i) => missing.has(i));
        if (gone.length === 1) { missing.delete(gone[0]!); total++; progress = true; }
      }
    }
  }
  return total;
}
