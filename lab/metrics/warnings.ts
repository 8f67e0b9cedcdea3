/**
 * Warnings about a run: figures that are computed correctly but over a biased sample, which no
 * budget would show. They go into results.json (`warnings`) and at the top of the report.
 */
import type { RunSummary, RunWarning } from '../results/schema.ts';

/**
 * Above this share of displayed frames with an unreadable marker (0..1), glass-to-glass is
 * flagged: the unreadable frames are not a random sample. x264 at low bitrates loses markers right
 * after an IDR, i.e. on the frames that follow a keyframe request after loss, so G2G over the
 * readable frames leaves out exactly the frames that recovered slowest.
 */
export const UNREADABLE_MARKERS_WARNING_RATIO = 0.01;

/** Stable warning codes. */
export const WARNING_CODES = { markersUnreadable: 'MARKERS_UNREADABLE' } as const;

function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(3))}%`;
}

/** The warnings a run's summary calls for (empty when none); pure. */
export function runWarnings(summary: RunSummary): RunWarning[] {
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
  return warnings;
}
