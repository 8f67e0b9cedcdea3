/**
 * The Chromium receiver's side of a run (scenario receiver.kind chromium): what libwebrtc counted
 * (its last getStats inbound-rtp sample), what the page saw at requestVideoFrameCallback time, and
 * each libwebrtc counter held against the same quantity as the lab counts it from wire truth (the
 * sender's records and the link's fate log), with the tolerance it is judged by and why.
 */
import type { ChromiumSummary } from '../results/schema.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { RunRecords } from './run-records.ts';
import type { RecoverySummary } from '../results/schema.ts';
import { summarize } from './stats.ts';
import { decodableFrames } from './decodable-frames.ts';

/** The inbound-rtp counters the section keeps, as libwebrtc names them. */
export const INBOUND_COUNTERS = [
  'packetsReceived', 'packetsLost', 'nackCount', 'pliCount', 'firCount', 'retransmittedPacketsReceived', 'fecPacketsReceived', 'fecPacketsDiscarded',
  'framesReceived', 'framesDecoded', 'framesDropped', 'keyFramesDecoded', 'freezeCount', 'totalFreezesDuration', 'jitterBufferDelay', 'jitterBufferEmittedCount', 'totalDecodeTime',
] as const;
type InboundCounter = (typeof INBOUND_COUNTERS)[number];

type Check = ChromiumSummary['crossChecks'][number];

/** The last inbound-rtp sample's counters (at or before `beforeMs` when given). */
function lastInbound(records: RunRecords, beforeMs = Infinity): Partial<Record<InboundCounter, number>> | null {
  for (let i = records.peerStats.length - 1; i >= 0; i--) {
    if (records.peerStats[i]!.timeMs > beforeMs || records.peerStats[i]!.side !== 'receiver') continue;
    const inbound = records.peerStats[i]!.reports.find((r) => r.type === 'inbound-rtp' && r.values.kind === 'video');
    if (!inbound) continue;
    const out: Partial<Record<InboundCounter, number>> = {};
    for (const name of INBOUND_COUNTERS) {
      const value = inbound.values[name];
      if (typeof value === 'number') out[name] = value;
    }
    return out;
  }
  return null;
}

/** `chromium` within [lab − below, lab + above]; null when either side has no number. */
function check(counter: string, chromium: number | undefined, lab: number | null, labSource: string, below: number, above: number, why: string): Check {
  const c = chromium ?? null;
  return { counter, chromium: c, lab, labSource, tolerance: { below, above, why }, agree: c === null || lab === null ? null : c >= lab - below && c <= lab + above };
}

export interface ChromiumInput {
  records: RunRecords;
  fates: readonly LinkFateRecord[] | null;
  recovery: RecoverySummary | null;
}

/** The section; null when no frame or stats record says Chromium received. */
export function computeChromium({ records, fates, recovery }: ChromiumInput): ChromiumSummary | null {
  const frames = records.receiverFrames.filter((f) => f.peer === 'chromium');
  if (frames.length === 0 && !records.peerStats.some((s) => s.side === 'receiver')) return null;
  const started = records.events.find((e) => e.side === 'receiver' && e.name === 'chromium-clock-mapping');
  const mappingError = started?.detail?.errorBoundMs;
  const version = started?.detail?.browser;

  // rvfc: presentedFrames counts every frame handed to the compositor; a jump of more than one
  // between callbacks is frames shown (or superseded within one vsync) that the page never saw
  const ordered = [...frames].sort((a, b) => (a.rvfc?.presentedFrames ?? 0) - (b.rvfc?.presentedFrames ?? 0));
  let presentedNotCalledBack = 0;
  for (let i = 1; i < ordered.length; i++) presentedNotCalledBack += Math.max(0, (ordered[i]!.rvfc?.presentedFrames ?? 0) - (ordered[i - 1]!.rvfc?.presentedFrames ?? 0) - 1);
  const markersRead = frames.filter((f) => f.marker === 'ok').length;
  const toDisplay = frames.flatMap((f) => (f.marker === 'ok' && f.captureMs !== undefined && f.rvfc ? [f.rvfc.expectedDisplayMs - f.captureMs] : []));

  const inbound = lastInbound(records);
  const senderFramesSent = records.senderFrames.filter((f) => f.dropped === undefined && (f.packets ?? 0) > 0).length;
  const senderIn = (kind: 'nack' | 'pli' | 'fir'): number => records.feedback.filter((f) => f.side === 'sender' && f.dir === 'in' && f.kind === kind).length;
  // RTCP the link dropped on its way back: a counter Chromium sent may not reach the sender
  const downDrops = fates === null ? null : fates.filter((f) => f.dir === 'down' && f.drop !== undefined).length;
  // RTCP Chromium sent once the sender had stopped listening never reaches it: the counters one
  // stats interval (and a bit) before the sender's stop bound what it could have received
  const senderStopped = records.events.find((e) => e.name === 'child-stopped' && e.detail?.role === 'sender')?.timeMs;
  const atStop = senderStopped === undefined ? null : lastInbound(records, senderStopped - 250);
  const afterStop = (name: 'nackCount' | 'pliCount'): number => Math.max(0, (inbound?.[name] ?? 0) - (atStop?.[name] ?? inbound?.[name] ?? 0));
  const crossChecks: Check[] = [];
  if (inbound) {
    const frames = fates === null ? null : decodableFrames(records, fates);
    crossChecks.push(
      frames === null
        ? check('frames decoded', inbound.framesDecoded, senderFramesSent, 'sender frame records with packets (loopback: nothing lost)', 2, 0, 'every frame sent, less up to 2 still in flight at stop')
        : check('frames decoded', inbound.framesDecoded, frames.decodable, 'frames whose packets all arrived or could be repaired (FEC masks, delivered RTX), chain unbroken since a whole keyframe', 2, 0,
          'at most what the wire allowed; up to 2 fewer for frames in flight at stop'),
      ...(frames !== null && frames.bySequence !== frames.decodable
        ? [check('frames decoded (sequence rule)', inbound.framesDecoded, frames.bySequence, 'as above, and no unrepaired gap in the media SSRC\'s sequence numbers since the previous frame (lost ULPFEC packets in RED count)', 2, 0,
            'libwebrtc cannot tell an H.264 frame continuous across a sequence gap (no picture ID): it waits for a keyframe')]
        : []),
      check('NACK packets', inbound.nackCount, senderIn('nack'), 'NACKs the sender received', 0, (downDrops ?? 0) + afterStop('nackCount'),
        'Chromium sent ≥ what arrived; more by at most the packets the link dropped on the way back and those it sent after the sender stopped (its counter 250 ms before the stop → the end)'),
      check('PLI packets', inbound.pliCount, senderIn('pli'), 'PLIs the sender received', 0, (downDrops ?? 0) + afterStop('pliCount'), 'as for NACKs'),
    );
    if (recovery) {
      const rtxDelivered = recovery.rtxSent - recovery.rtxDropped;
      crossChecks.push(
        check('retransmitted packets received', inbound.retransmittedPacketsReceived ?? (rtxDelivered === 0 ? 0 : undefined), rtxDelivered, 'RTX packets the fate log delivered', 0, 0,
          'every RTX packet the link delivered arrives (absent in getStats before the first one)'),
        check('media packets lost', inbound.packetsLost, recovery.totals.dropped + (recovery.fecScheme === 'ulpfec' ? recovery.fecPacketsDropped : 0), 'first transmissions the fate log dropped on the media SSRC', 2, 2,
          'libwebrtc counts expected − received on the media SSRC (ULPFEC in RED shares its sequence numbers); ±2 for packets in flight around its last sample, which the fate log counts to the end'),
      );
      if (recovery.fecScheme === 'flexfec' || inbound.fecPacketsReceived !== undefined) {
        crossChecks.push(
          check('FEC packets received', inbound.fecPacketsReceived, recovery.fecPacketsSent - recovery.fecPacketsDropped, 'FEC packets the fate log delivered', 0, 0, 'every FEC packet the link delivered arrives (Chromium reports it for FlexFEC only)'),
        );
      }
    }
  }
  const lastPresented = ordered.at(-1)?.rvfc?.presentedFrames;
  const decodedNotPresented = inbound?.framesDecoded !== undefined && lastPresented !== undefined ? Math.max(0, inbound.framesDecoded - lastPresented) : null;
  const jitterBufferMs = inbound?.jitterBufferDelay !== undefined && inbound.jitterBufferEmittedCount ? (1000 * inbound.jitterBufferDelay) / inbound.jitterBufferEmittedCount : null;
  const decodeMs = inbound?.totalDecodeTime !== undefined && inbound.framesDecoded ? (1000 * inbound.totalDecodeTime) / inbound.framesDecoded : null;
  return {
    browser: typeof version === 'string' ? version : null,
    clockMappingErrorMs: typeof mappingError === 'number' ? mappingError : null,
    rvfc: {
      calledBack: frames.length,
      markersRead,
      markerReadRatio: frames.length === 0 ? null : markersRead / frames.length,
      presentedNotCalledBack,
      decodedNotPresented,
      g2gToExpectedDisplayMs: summarize(toDisplay),
    },
    inbound,
    jitterBufferMsMean: jitterBufferMs,
    decodeMsMean: decodeMs,
    statsSamples: records.peerStats.filter((s) => s.side === 'receiver').length,
    browserCpuRunningMs: (() => {
      const value = records.events.find((e) => e.name === 'child-stopped' && e.detail?.role === 'receiver')?.detail?.browserCpuRunningMs;
      return typeof value === 'number' ? value : null;
    })(),
    crossChecks,
    disagreements: crossChecks.filter((c) => c.agree === false).map((c) => c.counter),
  };
}
