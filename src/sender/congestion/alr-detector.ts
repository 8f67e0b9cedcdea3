/**
 * Application-limited region (ALR) detection: is the sender sending well under its estimate
 * because it has nothing more to send (a static scene, a capped encoder), not because the path
 * cannot carry more? Then the delay-based estimate cannot grow from the sender's own traffic and
 * probing must find the capacity. The shape of libwebrtc's AlrDetector as its design describes
 * it: an interval budget filled at `usageRatio` × the estimate and drained by the bytes sent,
 * capped at `windowMs` of that rate; ALR starts when the budget is more than `startRatio` full
 * (the sender used less than usageRatio of the estimate for a while) and ends when it falls
 * under `stopRatio`. Sans-I/O; rates bit/s, times ms.
 */

export interface AlrOptions {
  /** the budget fills at this share of the estimate */
  usageRatio: number;
  /** ALR starts above this budget fill (0..1) */
  startRatio: number;
  /** ALR ends below this budget fill */
  stopRatio: number;
  /** budget capacity, ms of the fill rate */
  windowMs: number;
}

export const DEFAULT_ALR: AlrOptions = { usageRatio: 0.65, startRatio: 0.8, stopRatio: 0.5, windowMs: 500 };

/** A change of the ALR state. */
export type AlrChange = { type: 'alr-start'; atMs: number } | { type: 'alr-end'; atMs: number; durationMs: number };

export class AlrDetector {
  private estimateBps: number;
  /** bytes that could have been sent at usageRatio × estimate and were not; in [-cap, cap] */
  private budgetBytes = 0;
  private lastMs: number | undefined;
  private startedMs: number | undefined;

  constructor(startBps: number, private readonly o: AlrOptions = DEFAULT_ALR) {
    this.estimateBps = startBps;
  }

  /** In ALR since this time, ms; undefined when not in ALR. */
  get alrSinceMs(): number | undefined {
    return this.startedMs;
  }

  /** Budget fill, -1..1 (1: nothing sent for a whole window). */
  get fill(): number {
    return this.budgetBytes / this.capBytes();
  }

  setEstimate(bps: number): void {
    if (bps > 0) this.estimateBps = bps;
  }

  /** `bytes` of media (and FEC, RTX; not padding or probes) left at `nowMs`. Returns a change of state, if any. */
  onSent(bytes: number, nowMs: number): AlrChange | undefined {
    this.advance(nowMs);
    this.budgetBytes = Math.max(-this.capBytes(), this.budgetBytes - bytes);
    return this.check(nowMs);
  }

  /** Time passing with nothing sent (the sender calls it on its wake-ups). */
  onTime(nowMs: number): AlrChange | undefined {
    this.advance(nowMs);
    return this.check(nowMs);
  }

  private capBytes(): number {
    return Math.max((this.estimateBps * this.o.usageRatio * this.o.windowMs) / 8000, 1);
  }

  private advance(nowMs: number): void {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      const fillBytes = (this.estimateBps * this.o.usageRatio * (nowMs - this.lastMs)) / 8000;
      this.budgetBytes = Math.min(this.capBytes(), this.budgetBytes + fillBytes);
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
  }

  private check(nowMs: number): AlrChange | undefined {
    const fill = this.fill;
    if (this.startedMs === undefined && fill > this.o.startRatio) {
      this.startedMs = nowMs;
      return { type: 'alr-start', atMs: nowMs };
    }
    if (this.startedMs !== undefined && fill < this.o.stopRatio) {
      const durationMs = nowMs - this.startedMs;
      this.startedMs = undefined;
      return { type: 'alr-end', atMs: nowMs, durationMs };
    }
    return undefined;
  }
}
