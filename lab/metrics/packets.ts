/**
 * Packet-level metrics from packet and feedback records: counts and bytes per kind (sender out,
 * receiver in), packets recovered, residual media loss, bitrate over time, feedback counts.
 */
import type { FeedbackRecord, PacketKind, PacketRecord } from '../../src/shared/records.ts';
import { NewestSeqUnwrapper } from '../../src/shared/rtp/seq.ts';

/** Packet kinds in report order. */
export const PACKET_KINDS: readonly PacketKind[] = ['media', 'rtx', 'fec', 'padding'];

/** Count and bytes (RTP header + payload) of packets. */
export interface PacketTally {
  count: number;
  bytes: number;
}

/** Tallies per packet kind. */
export type PacketTallies = Record<PacketKind, PacketTally>;

/** Packet summary of a run. */
export interface PacketSummary {
  /** packets the sender put on the wire */
  sent: PacketTallies;
  /** packets that arrived at the receiver from the wire */
  received: PacketTallies;
  /** media packets the receiver rebuilt, by how */
  recovered: { fec: number; rtx: number };
  /**
   * media packets sent that the receiver neither received nor recovered, / media packets sent
   * (0..1); null when the receiver logged no packets
   */
  residualLoss: number | null;
}

const emptyTallies = (): PacketTallies => ({
  media: { count: 0, bytes: 0 },
  rtx: { count: 0, bytes: 0 },
  fec: { count: 0, bytes: 0 },
  padding: { count: 0, bytes: 0 },
});

/** Packets the sender sent (side sender, dir out). */
export const isSenderOut = (packet: PacketRecord): boolean => packet.side === 'sender' && packet.dir === 'out';
/** Packets the receiver got or rebuilt (side receiver, dir in). */
export const isReceiverIn = (packet: PacketRecord): boolean => packet.side === 'receiver' && packet.dir === 'in';

function mediaKeys(packets: readonly PacketRecord[]): Set<string> {
  const unwrappers = new Map<number, NewestSeqUnwrapper>();
  const keys = new Set<string>();
  const ordered = [...packets].sort((a, b) => a.timeMs - b.timeMs);
  for (const packet of ordered) {
    let unwrapper = unwrappers.get(packet.ssrc);
    if (unwrapper === undefined) {
      unwrapper = new NewestSeqUnwrapper();
      unwrappers.set(packet.ssrc, unwrapper);
    }
    keys.add(`${packet.ssrc}:${unwrapper.unwrap(packet.seq)}`);
  }
  return keys;
}

/** Summarizes packet records; pure. */
export function summarizePackets(packets: readonly PacketRecord[]): PacketSummary {
  const sent = emptyTallies();
  const received = emptyTallies();
  const recovered = { fec: 0, rtx: 0 };
  const mediaSent: PacketRecord[] = [];
  const mediaArrived: PacketRecord[] = [];
  let receiverLogged = false;
  for (const packet of packets) {
    if (isSenderOut(packet)) {
      sent[packet.kind].count += 1;
      sent[packet.kind].bytes += packet.size;
      if (packet.kind === 'media') mediaSent.push(packet);
    } else if (isReceiverIn(packet)) {
      receiverLogged = true;
      if (packet.recoveredBy !== undefined) {
        recovered[packet.recoveredBy] += 1;
        mediaArrived.push(packet);
      } else {
        received[packet.kind].count += 1;
        received[packet.kind].bytes += packet.size;
        if (packet.kind === 'media') mediaArrived.push(packet);
      }
    }
  }
  let residualLoss: number | null = null;
  if (receiverLogged && mediaSent.length > 0) {
    const arrived = mediaKeys(mediaArrived);
    let missing = 0;
    for (const key of mediaKeys(mediaSent)) if (!arrived.has(key)) missing += 1;
    residualLoss = missing / mediaSent.length;
  }
  return { sent, received, recovered, residualLoss };
}

/** Bitrate per time bin and kind (bits per second). */
export interface BitrateSeries {
  /** bin start times, seconds from the run's origin */
  binStartS: number[];
  /** bits per second per bin, per kind */
  byKind: Record<PacketKind, number[]>;
  /** all kinds together */
  totalBps: number[];
}

/**
 * Bins the packets (sender out when there are any, else receiver in) into `binMs` bins starting
 * at `originMs` and returns bits per second per bin.
 */
export function bitrateSeries(packets: readonly PacketRecord[], originMs: number, binMs = 1000): BitrateSeries {
  let chosen = packets.filter(isSenderOut);
  if (chosen.length === 0) chosen = packets.filter((packet) => isReceiverIn(packet) && packet.recoveredBy === undefined);
  const series: BitrateSeries = { binStartS: [], byKind: { media: [], rtx: [], fec: [], padding: [] }, totalBps: [] };
  if (chosen.length === 0) return series;
  let lastBin = 0;
  for (const packet of chosen) lastBin = Math.max(lastBin, Math.floor((packet.timeMs - originMs) / binMs));
  const binCount = lastBin + 1;
  for (let bin = 0; bin < binCount; bin += 1) {
    series.binStartS.push((bin * binMs) / 1000);
    for (const kind of PACKET_KINDS) series.byKind[kind].push(0);
    series.totalBps.push(0);
  }
  const toBps = (8 * 1000) / binMs;
  for (const packet of chosen) {
    const bin = Math.max(0, Math.floor((packet.timeMs - originMs) / binMs));
    series.byKind[packet.kind][bin]! += packet.size * toBps;
    series.totalBps[bin]! += packet.size * toBps;
  }
  return series;
}

/** Mean bitrate over the packets' time span (bits per second); null under two packets. */
export function meanBitrateBps(packets: readonly PacketRecord[]): number | null {
  if (packets.length < 2) return null;
  let first = Infinity;
  let last = -Infinity;
  let bytes = 0;
  for (const packet of packets) {
    first = Math.min(first, packet.timeMs);
    last = Math.max(last, packet.timeMs);
    bytes += packet.size;
  }
  return last > first ? (bytes * 8 * 1000) / (last - first) : null;
}

/** Feedback counts: per RTCP kind, how many were sent (dir out) and received (dir in). */
export interface FeedbackSummary {
  byKind: Record<string, { sent: number; received: number }>;
  /** sequence numbers asked for in NACKs sent */
  nackedSeqs: number;
  /** PLI + FIR sent (the receiver asking for a keyframe) */
  keyframeRequests: number;
  /** PLI + FIR the sender received */
  keyframeRequestsReceived: number;
}

/** Counts feedback records; pure. */
export function summarizeFeedback(feedback: readonly FeedbackRecord[]): FeedbackSummary {
  const summary: FeedbackSummary = { byKind: {}, nackedSeqs: 0, keyframeRequests: 0, keyframeRequestsReceived: 0 };
  for (const record of feedback) {
    const entry = (summary.byKind[record.kind] ??= { sent: 0, received: 0 });
    const isKeyframeRequest = record.kind === 'pli' || record.kind === 'fir';
    if (record.dir === 'out') {
      entry.sent += 1;
      if (record.kind === 'nack') summary.nackedSeqs += record.seqs?.length ?? 0;
      if (isKeyframeRequest) summary.keyframeRequests += 1;
    } else {
      entry.received += 1;
      if (isKeyframeRequest) summary.keyframeRequestsReceived += 1;
    }
  }
  return summary;
}
