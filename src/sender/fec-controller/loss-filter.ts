/**
 * Max-window filter for reported loss (1/255 units), sans-I/O: time comes in with each call.
 *
 * Two modes:
 * - `'libwebrtc'` (default): libwebrtc's VCMLossProtectionLogic max filter. Reports are folded
 *   into buckets: a bucket opens at a report and collects the max of reports for `bucketMs`
 *   (1000 ms); the next report after that closes it into a history of `windowMs / bucketMs` (10)
 *   buckets; history entries older than `windowMs` are ignored. Like libwebrtc, the report that
 *   closes a non-zero bucket is not itself recorded (it is only used when the bucket's max is 0).
 * - `'sliding'`: the exact max of all reports with `nowMs - t <= windowMs`.
 */
import { checkRange } from './errors.ts';

/** Loss filter mode; see the module comment. */
export type LossFilterMode = 'libwebrtc' | 'sliding';

/** Options; defaults are libwebrtc's. */
export interface LossFilterOptions {
  /** filter mode (default 'libwebrtc') */
  mode?: LossFilterMode;
  /** window length, ms (default 10000 = kLossPrHistorySize × kLossPrShortFilterWinMs) */
  windowMs?: number;
  /** bucket length for 'libwebrtc' mode, ms (default 1000 = kLossPrShortFilterWinMs) */
  bucketMs?: number;
}

/** Filtered loss in 1/255 units. */
export interface LossFilter {
  /** Adds a loss report (1/255 units, clamped to 0..255) at `nowMs`; returns `filtered(nowMs)`. */
  update(lossFraction255: number, nowMs: number): number;
  /** Max loss (1/255) over the window ending at `nowMs`; 0 before any report. */
  filtered(nowMs: number): number;
}

/** Clamps and truncates a loss value to an integer 0..255 (1/255 units). */
export function clampLoss255(loss: number): number {
  if (!Number.isFinite(loss) || loss <= 0) return 0;
  return loss >= 255 ? 255 : Math.trunc(loss);
}

interface Bucket {
  loss255: number;
  timeMs: number;
}

/** libwebrtc-compatible bucketed max filter. */
class BucketedMaxFilter implements LossFilter {
  /** newest first; at most `size` entries */
  private readonly history: Bucket[] = [];
  private openMax = 0;

  constructor(
    private readonly windowMs: number,
    private readonly bucketMs: number,
    private readonly size: number,
  ) {}

  update(lossFraction255: number, nowMs: number): number {
    const loss = clampLoss255(lossFraction255);
    const newest = this.history[0];
    if (newest !== undefined && nowMs - newest.timeMs < this.bucketMs) {
      if (loss > this.openMax) this.openMax = loss;
    } else {
      if (newest === undefined) this.openMax = loss;
      if (this.openMax === 0) this.openMax = loss;
      this.history.unshift({ loss255: this.openMax, timeMs: nowMs });
      if (this.history.length > this.size) this.history.length = this.size;
      this.openMax = 0;
    }
    return this.filtered(nowMs);
  }

  filtered(nowMs: number): number {
    let max = this.openMax;
    for (const bucket of this.history) {
      if (nowMs - bucket.timeMs > this.windowMs) break;
      if (bucket.loss255 > max) max = bucket.loss255;
    }
    return max;
  }
}

/** Exact sliding-window max (monotonic deque). */
class SlidingMaxFilter implements LossFilter {
  /** decreasing loss, increasing time */
  private readonly deque: Bucket[] = [];

  constructor(private readonly windowMs: number) {}

  update(lossFraction255: number, nowMs: number): number {
    const loss = clampLoss255(lossFraction255);
    while (this.deque.length > 0 && this.deque[this.deque.length - 1]!.loss255 <= loss) this.deque.pop();
    this.deque.push({ loss255: loss, timeMs: nowMs });
    return this.filtered(nowMs);
  }

  filtered(nowMs: number): number {
    while (this.deque.length > 0 && nowMs - this.deque[0]!.timeMs > this.windowMs) this.deque.shift();
    return this.deque[0]?.loss255 ?? 0;
  }
}

/** Creates a loss filter; defaults reproduce libwebrtc's kMaxFilter (10 × 1 s buckets). */
export function createLossFilter(options: LossFilterOptions = {}): LossFilter {
  const windowMs = options.windowMs ?? 10_000;
  const bucketMs = options.bucketMs ?? 1_000;
  checkRange('lossFilter.windowMs', windowMs, 1);
  if ((options.mode ?? 'libwebrtc') === 'sliding') return new SlidingMaxFilter(windowMs);
  checkRange('lossFilter.bucketMs', bucketMs, 1, windowMs);
  return new BucketedMaxFilter(windowMs, bucketMs, Math.max(1, Math.round(windowMs / bucketMs)));
}
