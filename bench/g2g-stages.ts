/**
 * Per-frame breakdown of glass-to-glass latency for bench/g2g.ts: every frame seen on both sides
 * with a readable marker is split into contiguous stages from render submit to marker read; the
 * lab's own added latency is everything that is not rendering, encoding or decoding work.
 */
import type { ReceiverFrameRecord, SenderFrameRecord } from '../src/shared/records.ts';
import { summarize, type DistributionStats } from '../lab/metrics/stats.ts';

/** Stage names in pipeline order; `work` marks the stages that are not the lab's overhead. */
export const G2G_STAGES = [
  { name: 'render', work: true, what: 'renderDone − renderSubmit (GPU render)' },
  { name: 'copy', work: false, what: 'copyDone − renderDone (marker stamp + copy to host)' },
  { name: 'convert', work: false, what: 'convertDone − copyDone (RGBA → I420)' },
  { name: 'deliver', work: false, what: 'JS handleFrame − convertDone (native → JS thread hop)' },
  { name: 'encodeQueue', work: false, what: 'encodeStart − JS handleFrame (waiting for the encoder)' },
  { name: 'encode', work: true, what: 'encodeDone − encodeStart (x264 work)' },
  { name: 'packetizeSend', work: false, what: 'lastPacketSent − encodeDone (promise hop, packetize, send loop)' },
  { name: 'network', work: false, what: 'receiver lastPacket − sender lastPacketSent (SRTP both sides, UDP, DTLS hop)' },
  { name: 'assembly', work: false, what: 'complete − lastPacket' },
  { name: 'decodeQueue', work: false, what: 'decodeStart − complete (waiting for the decoder)' },
  { name: 'decode', work: true, what: 'decodeDone − decodeStart (libavcodec work)' },
  { name: 'marker', work: false, what: 'markerRead − decodeDone' },
] as const;

/** One stage name. */
export type G2gStage = (typeof G2G_STAGES)[number]['name'];

/** Stage durations of one frame, ms, plus its totals. */
export interface FrameBreakdown {
  stages: Record<G2gStage, number>;
  /** markerRead − capture, ms (what the report calls glass-to-glass) */
  g2gMs: number;
  /** markerRead − renderSubmit, ms (sum of all stages) */
  totalMs: number;
  /** total − render − encode − decode, ms: the lab's own added latency */
  labAddedMs: number;
}

/** Distribution summary of every stage and total over a run (ms). */
export interface BreakdownSummary {
  frames: number;
  /** frames displayed with a marker but lacking a stage time (not in the breakdown) */
  incomplete: number;
  g2g: DistributionStats;
  total: DistributionStats;
  labAdded: DistributionStats;
  /** capture − renderSubmit, ms: how much of the render lies before the capture stamp */
  captureAfterSubmit: DistributionStats;
  stages: Record<G2gStage, DistributionStats>;
}

/** Breaks one frame down; undefined when a time is missing. */
export function breakdownFrame(sender: SenderFrameRecord, receiver: ReceiverFrameRecord): FrameBreakdown | undefined {
  const s = sender;
  const r = receiver;
  const deliveredMs = s.deliveredMs ?? s.convertDoneMs;
  const times = [s.encodeStartMs, s.encodeDoneMs, s.lastPacketSentMs, r.completeMs, r.decodeStartMs, r.decodeDoneMs, r.markerReadMs, r.captureMs];
  if (times.some((t) => t === undefined)) return undefined;
  const stages: Record<G2gStage, number> = {
    render: s.renderDoneMs - s.renderSubmitMs,
    copy: s.copyDoneMs - s.renderDoneMs,
    convert: s.convertDoneMs - s.copyDoneMs,
    deliver: deliveredMs - s.convertDoneMs,
    encodeQueue: s.encodeStartMs! - deliveredMs,
    encode: s.encodeDoneMs! - s.encodeStartMs!,
    packetizeSend: s.lastPacketSentMs! - s.encodeDoneMs!,
    network: r.lastPacketMs! - s.lastPacketSentMs!,
    assembly: r.completeMs! - r.lastPacketMs!,
    decodeQueue: r.decodeStartMs! - r.completeMs!,
    decode: r.decodeDoneMs! - r.decodeStartMs!,
    marker: r.markerReadMs! - r.decodeDoneMs!,
  };
  const totalMs = r.markerReadMs! - s.renderSubmitMs;
  return { stages, g2gMs: r.markerReadMs! - r.captureMs!, totalMs, labAddedMs: totalMs - stages.render - stages.encode - stages.decode };
}

/** Joins sender and receiver frames by RTP timestamp and summarizes the breakdown. */
export function summarizeBreakdown(senderFrames: readonly SenderFrameRecord[], receiverFrames: readonly ReceiverFrameRecord[]): BreakdownSummary {
  const byTimestamp = new Map<number, SenderFrameRecord>();
  for (const frame of senderFrames) if (frame.rtpTimestamp !== undefined) byTimestamp.set(frame.rtpTimestamp, frame);
  const frames: FrameBreakdown[] = [];
  const captureAfterSubmit: number[] = [];
  let incomplete = 0;
  for (const received of receiverFrames) {
    if (received.marker !== 'ok') continue;
    const sent = byTimestamp.get(received.rtpTimestamp);
    const frame = sent ? breakdownFrame(sent, received) : undefined;
    if (!frame || !sent) {
      incomplete++;
      continue;
    }
    frames.push(frame);
    captureAfterSubmit.push(sent.captureMs - sent.renderSubmitMs);
  }
  const stages = Object.fromEntries(G2G_STAGES.map(({ name }) => [name, summarize(frames.map((f) => f.stages[name]))])) as Record<G2gStage, DistributionStats>;
  return {
    frames: frames.length,
    incomplete,
    g2g: summarize(frames.map((f) => f.g2gMs)),
    total: summarize(frames.map((f) => f.totalMs)),
    labAdded: summarize(frames.map((f) => f.labAddedMs)),
    captureAfterSubmit: summarize(captureAfterSubmit),
    stages,
  };
}
