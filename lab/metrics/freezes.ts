/**
 * Video freezes as WebRTC's statistics define them (RTCInboundRtpStreamStats.freezeCount /
 * totalFreezesDuration, implemented by libwebrtc's VideoQualityObserver): the gap between two
 * consecutively displayed frames is a freeze when it is >= max(3 × avg, avg + 150 ms), where avg is
 * the mean of the previous (up to 30) inter-frame gaps; detection starts once 5 gaps are known.
 * The freeze's duration is the whole gap. (The design note's "max(3 × mean, 150 ms)" paraphrases
 * this; the spec's "avg + 150 ms" is what is implemented, the constants are options.)
 */

/** Freeze detection parameters (ms / counts). */
export interface FreezeOptions {
  /** how many previous gaps the average covers (default 30) */
  windowFrames: number;
  /** multiple of the average a gap must reach (default 3) */
  factor: number;
  /** minimum increase over the average, ms (default 150) */
  minIncreaseMs: number;
  /** gaps needed before detection starts (default 5) */
  minSamples: number;
}

/** WebRTC's defaults. */
export const WEBRTC_FREEZE_OPTIONS: FreezeOptions = { windowFrames: 30, factor: 3, minIncreaseMs: 150, minSamples: 5 };

/** One freeze: the display gap that was too long (ms, CLOCK_MONOTONIC). */
export interface Freeze {
  /** display time of the frame before the gap */
  startMs: number;
  /** gap length */
  durationMs: number;
  /** the threshold it exceeded */
  thresholdMs: number;
}

/** Finds freezes in ascending display times (ms); pure. */
export function detectFreezes(displayTimesMs: readonly number[], options: FreezeOptions = WEBRTC_FREEZE_OPTIONS): Freeze[] {
  const freezes: Freeze[] = [];
  const window: number[] = [];
  let windowSum = 0;
  for (let index = 1; index < displayTimesMs.length; index += 1) {
    const gap = displayTimesMs[index]! - displayTimesMs[index - 1]!;
    if (window.length >= options.minSamples) {
      const average = windowSum / window.length;
      const threshold = Math.max(options.factor * average, average + options.minIncreaseMs);
      if (gap >= threshold) freezes.push({ startMs: displayTimesMs[index - 1]!, durationMs: gap, thresholdMs: threshold });
    }
    window.push(gap);
    windowSum += gap;
    if (window.length > options.windowFrames) windowSum -= window.shift()!;
  }
  return freezes;
}
