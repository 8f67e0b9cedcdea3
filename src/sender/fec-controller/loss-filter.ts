/**
 * Max-window packet-loss filter (libwebrtc's VCMLossProtectionLogic kMaxFilter): the largest
 * loss report over the last `historySize` sub-windows of `subWindowMs` (10 × 1 s), so FEC reacts
 * to loss at once and backs off only after 10 s without it.
 */
export interface MaxLossFilterConfig {
  /** Sub-window length, ms (kLossPrShortFilterWinMs = 1000). */
  readonly subWindowMs: number;
  /** Sub-windows kept (kLossPrHistorySize = 10). */
  readonly historySize: number;
}

export const LIBWEBRTC_MAX_LOSS_FILTER: MaxLossFilterConfig = { subWindowMs: 1000, historySize: 10 };

/** Max filter over loss reports in 1/255 units. */
export class MaxLossFilter {
  /** Closed sub-windows, newest first: their max loss (1/255) and start time (ms). */
  private readonly history: { loss255: number; startMs: number }[] = [];
  /** Max of the reports since the newest history entry's start. */
  private currentMax = 0;

  constructor(private readonly config: MaxLossFilterConfig = LIBWEBRTC_MAX_LOSS_FILTER) {}

  /** Adds a loss report (1/255) at `nowMs`; returns the filtered loss (1/255). */
  update(loss255: number, nowMs: number): number {
    const newest = this.history[0];
    if (newest !== undefined && nowMs - newest.startMs < this.config.subWindowMs) {
      this.currentMax = Math.max(this.currentMax, loss255);
    } else {
      // A new sub-window opens. Like libwebrtc, it records the running max of the reports that
      // arrived since the previous one opened, or this report when there were none (so a report
      // that opens a window after non-zero reports is itself not counted).
      const opening = this.currentMax === 0 ? loss255 : this.currentMax;
      this.history.unshift({ loss255: opening, startMs: nowMs });
      if (this.history.length > this.config.historySize) this.history.length = this.config.historySize;
      this.currentMax = 0;
    }
    return this.filtered(nowMs);
  }

  /** Largest loss (1/255) within the window at `nowMs`. */
  filtered(nowMs: number): number {
    let max = this.currentMax;
    for (const entry of this.history) {
      if (nowMs - entry.startMs > this.config.historySize * this.config.subWindowMs) break;
      max = Math.max(max, entry.loss255);
    }
    return max;
  }
}
