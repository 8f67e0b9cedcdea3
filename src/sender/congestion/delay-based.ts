/**
 * Delay-based overuse detection, the shape of GCC (draft-ietf-rmcat-gcc-02 §5) as libwebrtc
 * describes it: packets are grouped into bursts by send time (a group spans ≤ 5 ms), each group's
 * one-way delay variation against the previous one (arrival delta − send delta) is accumulated and
 * smoothed, a least-squares line through the last `windowSize` points gives the delay trend, and an
 * adaptive threshold on the trend (scaled by gain and the number of deltas) says whether the path
 * is overusing (queues building), underusing (queues draining) or normal. Sans-I/O; times ms.
 */

export type BandwidthUsage = 'normal' | 'overusing' | 'underusing';

export interface DelayBasedOptions {
  /** a group spans at most this much send time, ms */
  burstMs: number;
  /** points the trend line is fitted over */
  windowSize: number;
  /** smoothing of the accumulated delay, 0..1 */
  smoothing: number;
  /** trend × gain × min(deltas, 60) is compared with the threshold */
  thresholdGain: number;
  /** initial threshold, ms */
  initialThreshold: number;
  /** threshold adaptation rates when the trend is above / below it */
  kUp: number;
  kDown: number;
  /** overuse must last this long to be signalled, ms */
  overuseTimeMs: number;
}

export const DEFAULT_DELAY_BASED: DelayBasedOptions = {
  burstMs: 5, windowSize: 20, smoothing: 0.9, thresholdGain: 4, initialThreshold: 12.5, kUp: 0.0087, kDown: 0.039, overuseTimeMs: 10,
};

interface Group {
  firstSendMs: number;
  lastSendMs: number;
  lastArrivalMs: number;
}

/** What one update saw, for the records. */
export interface DelayBasedSample {
  /** trend × gain × min(deltas, 60) */
  modifiedTrend: number;
  threshold: number;
  usage: BandwidthUsage;
}

export class DelayBasedDetector {
  private current: Group | undefined;
  private previous: Group | undefined;
  private accumulatedMs = 0;
  private smoothedMs = 0;
  private firstArrivalMs: number | undefined;
  private readonly points: { x: number; y: number }[] = [];
  private deltas = 0;
  private threshold: number;
  private lastThresholdUpdateMs: number | undefined;
  private overuseStartMs: number | undefined;
  private overuseCount = 0;
  private prevTrend = 0;
  private usage: BandwidthUsage = 'normal';
  private lastSample: DelayBasedSample;

  constructor(private readonly o: DelayBasedOptions = DEFAULT_DELAY_BASED) {
    this.threshold = o.initialThreshold;
    this.lastSample = { modifiedTrend: 0, threshold: this.threshold, usage: 'normal' };
  }

  get state(): BandwidthUsage {
    return this.usage;
  }

  get sample(): DelayBasedSample {
    return this.lastSample;
  }

  /** One received packet (in send order within a feedback). */
  onPacket(sendMs: number, arrivalMs: number): void {
    const g = this.current;
    if (g === undefined) {
      this.current = { firstSendMs: sendMs, lastSendMs: sendMs, lastArrivalMs: arrivalMs };
      return;
    }
    if (sendMs < g.firstSendMs) return; // reordered far behind the group: ignored
    if (sendMs - g.firstSendMs <= this.o.burstMs) {
      g.lastSendMs = Math.max(g.lastSendMs, sendMs);
      g.lastArrivalMs = Math.max(g.lastArrivalMs, arrivalMs);
      return;
    }
    // the group is complete: compare it with the one before
    if (this.previous) this.onDelta(g.lastSendMs - this.previous.lastSendMs, g.lastArrivalMs - this.previous.lastArrivalMs, g.lastArrivalMs);
    this.previous = g;
    this.current = { firstSendMs: sendMs, lastSendMs: sendMs, lastArrivalMs: arrivalMs };
  }

  private onDelta(sendDeltaMs: number, arrivalDeltaMs: number, arrivalMs: number): void {
    this.deltas = Math.min(this.deltas + 1, 1000);
    this.accumulatedMs += arrivalDeltaMs - sendDeltaMs;
    this.smoothedMs = this.o.smoothing * this.smoothedMs + (1 - this.o.smoothing) * this.accumulatedMs;
    this.firstArrivalMs ??= arrivalMs;
    this.points.push({ x: arrivalMs - this.firstArrivalMs, y: this.smoothedMs });
    if (this.points.length > this.o.windowSize) this.points.shift();
    const trend = this.points.length === this.o.windowSize ? slope(this.points) : this.prevTrend;
    this.detect(trend, sendDeltaMs, arrivalMs);
    this.prevTrend = trend;
  }

  private detect(trend: number, sendDeltaMs: number, nowMs: number): void {
    const modified = Math.min(this.deltas, 60) * trend * this.o.thresholdGain;
    if (modified > this.threshold) {
      this.overuseStartMs ??= nowMs - sendDeltaMs / 2;
      this.overuseCount++;
      if (nowMs - this.overuseStartMs > this.o.overuseTimeMs && this.overuseCount > 1 && trend >= this.prevTrend) {
        this.usage = 'overusing';
        this.overuseStartMs = undefined;
        this.overuseCount = 0;
      }
    } else if (modified < -this.threshold) {
      this.overuseStartMs = undefined;
      this.overuseCount = 0;
      this.usage = 'underusing';
    } else {
      this.overuseStartMs = undefined;
      this.overuseCount = 0;
      this.usage = 'normal';
    }
    this.adaptThreshold(modified, nowMs);
    this.lastSample = { modifiedTrend: modified, threshold: this.threshold, usage: this.usage };
  }

  /** The threshold follows |trend| slowly upward and faster downward, so it tracks the path's own noise. */
  private adaptThreshold(modified: number, nowMs: number): void {
    const last = this.lastThresholdUpdateMs ?? nowMs;
    this.lastThresholdUpdateMs = nowMs;
    const magnitude = Math.abs(modified);
    // a spike far above the threshold (e.g. a route change) does not drag it up
    if (magnitude > this.threshold + 15) return;
    const k = magnitude < this.threshold ? this.o.kDown : this.o.kUp;
    const dtMs = Math.min(nowMs - last, 100);
    this.threshold = Math.min(600, Math.max(6, this.threshold + k * (magnitude - this.threshold) * dtMs));
  }
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  let sx = 0;
  let sy = 0;
  for (const p of points) { sx += p.x; sy += p.y; }
  const mx = sx / points.length;
  const my = sy / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) { num += (p.x - mx) * (p.y - my); den += (p.x - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}
