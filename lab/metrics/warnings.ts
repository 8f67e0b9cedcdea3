/**
 * Warnings about a run: figures that are computed correctly but over a biased sample, which no
 * budget would show. They go into results.json (`warnings`) and at the top of the report.
 */
import type { LinkSummary, RunSummary, RunWarning } from '../results/schema.ts';
import { LINK_LATE_TOLERANCE_MS } from './link-timing.ts';

/**
 * Above this share of displayed frames with an unreadable marker (0..1), glass-to-glass is
 * flagged: the unreadable frames are not a random sample. x264 at low bitrates loses markers right
 * after an IDR, i.e. on the frames that follow a keyframe request after loss, so G2G over the
 * readable frames leaves out exactly the frames that recovered slowest.
 */
export const UNREADABLE_MARKERS_WARNING_RATIO = 0.01;

/** Stable warning codes. */
export const WARNING_CODES = { markersUnreadable: 'MARKERS_UNREADABLE', linkLate: 'LINK_LATE', peerRecovery: 'RECOVERY_BY_PEER', peerDisagrees: 'PEER_COUNTERS_DISAGREE' } as const;

/**
 * With Chromium receiving, the lab sees no packet arrive at the receiver: the recovery section's
 * per-packet split (fec / rtx / never) cannot be made, and libwebrtc's own counts stand beside
 * the wire truth in the chromium section. Disagreeing counters are named.
 */
export function peerWarnings(chromium: { disagreements: string[]; crossChecks: { counter: string; agree: boolean | null }[] } | null, hasRecovery: boolean): RunWarning[] {
  if (!chromium) return [];
  const warnings: RunWarning[] = [];
  if (hasRecovery) {
    warnings.push({ code: WARNING_CODES.peerRecovery, message: "Chromium received: the lab does not see which dropped packets libwebrtc repaired, so recovery's fec/rtx/never split counts every drop as never; libwebrtc's counters are in the chromium section" });
  }
  if (chromium.disagreements.length > 0) {
    const bySequence = chromium.crossChecks.find((c) => c.counter === 'frames decoded (sequence rule)');
    const explained = chromium.disagreements.includes('frames decoded') && bySequence?.agree === true
      ? "; frames decoded matches libwebrtc's sequence rule: lost ULPFEC packets (in RED, on the media SSRC's sequence numbers) leave gaps an H.264 stream without picture IDs cannot be continued across, so libwebrtc waits for a keyframe (FlexFEC has its own SSRC and does not)"
      : '';
    warnings.push({ code: WARNING_CODES.peerDisagrees, message: `libwebrtc and the lab's wire truth disagree beyond the stated tolerance on: ${chromium.disagreements.join(', ')}${explained}` });
  }
  return warnings;
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))}%`;
}

const ms = (value: number): string => `${Number(value.toPrecision(3))} ms`;

/**
 * LINK_LATE, one per direction whose data-plane release lateness p99 exceeds the tolerance
 * (LINK_LATE_TOLERANCE_MS): the link then delayed packets beyond the configuration, so measured
 * latency includes the lab's own lateness, not only the emulated network.
 */
function linkLateWarnings(link: LinkSummary): RunWarning[] {
  const warnings: RunWarning[] = [];
  for (const dir of ['up', 'down'] as const) {
    const timing = link.directions[dir].timing;
    if (timing === undefined || !(timing.latenessMs.p99 > LINK_LATE_TOLERANCE_MS)) continue;
    warnings.push({
      code: WARNING_CODES.linkLate,
      message:
        `link ${dir}: the data plane wrote packets late, release lateness p99 ${ms(timing.latenessMs.p99)}, max ${ms(timing.latenessMs.max)} ` +
        `(more than ${ms(LINK_LATE_TOLERANCE_MS)} at p99; ${percent(timing.lateRatio)} of ${timing.wirePackets} packets late), most likely CPU contention: ` +
        `measured latency includes this lateness on top of the configured delay`,
    });
  }
  return warnings;
}

/** The warnings a run's summary and link section call for (empty when none); pure. */
export function runWarnings(summary: RunSummary, link: LinkSummary | null = null): RunWarning[] {
  const warnings: RunWarning[] = [];
  const { displayed, unreadableMarkers } = summary.frames;
  const ratio = displayed === 0 ? null : unreadableMarkers / displayed;
  if (ratio !== null && ratio > UNREADABLE_MARKERS_WARNING_RATIO) {
    warnings.push({
      code: WARNING_CODES.markersUnreadable,
      message:
        `${unreadableMarkers} of ${displayed} displayed frames (${percent(ratio)}, more than ${percent(UNREADABLE_MARKERS_WARNING_RATIO)}) had an unreadable marker: ` +
        `glass-to-glass covers only the other ${displayed - unreadableMarkers}, which leaves out frames that decoded badly (often the ones right after a keyframe)`,
    });
  }
  if (link !== null) warnings.push(...linkLateWarnings(link));
  return warnings;
}
