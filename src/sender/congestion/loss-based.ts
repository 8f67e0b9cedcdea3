/**
 * Loss-based rate (the classic send-side estimate of libwebrtc's published design): over at least
 * `minPackets` reported packets, more than 10 % lost → decrease by half the loss fraction (at most
 * once per `decreaseIntervalMs` + RTT, so one loss episode is not counted twice), under 2 % →
 * increase 8 % per second, in between → hold. Random loss below 2 % therefore never lowers the
 * rate, and 2–10 % only stops it growing. Sans-I/O; rates bit/s, times ms.
 */
export interface LossBasedOptions {
  startBps: number;
  minBps: number;
  maxBps: number;
  minPackets: number;
  decreaseIntervalMs: number;
}

export class LossBasedRate {
  private rate: number;
  private lost = 0;
  private reported = 0;
  private lastDecreaseMs = -Infinity;
  /** when the window being filled began */
  private windowStartMs: number | undefined;
  /** the loss fraction of the last full window, 0..1 */
  lossFraction = 0;

  constructor(private readonly o: LossBasedOptions) {
    this.rate = o.startBps;
  }

  get bps(): number {
    return this.rate;
  }

  /** A probe measured the path at `bps`: without loss in the last window the rate may start from there. */
  onProbe(bps: number): number {
    if (this.lossFraction < 0.02 && bps > this.rate) this.rate = Math.min(this.o.maxBps, bps);
    return this.rate;
  }

  /** The packets of one feedback: `received` of `reported` arrived. */
  update(reported: number, received: number, rttMs: number, nowMs: number): number {
    this.reported += reported;
    this.lost += reported - received;
    this.windowStartMs ??= nowMs;
    if (this.reported < this.o.minPackets) return this.rate;
    const dtMs = Math.min(nowMs - this.windowStartMs, 1000);
    this.windowStartMs = nowMs;
    this.lossFraction = this.lost / this.reported;
    this.lost = 0;
    this.reported = 0;
    if (this.lossFraction > 0.1) {
      if (nowMs - this.lastDecreaseMs >= this.o.decreaseIntervalMs + rttMs) {
        this.rate *= 1 - 0.5 * this.lossFraction;
        this.lastDecreaseMs = nowMs;
      }
    } else if (this.lossFraction < 0.02) {
      this.rate *= 1.08 ** (dtMs / 1000);
    }
    this.rate = Math.min(this.o.maxBps, Math.max(this.o.minBps, this.rate));
    return this.rate;
  }
}
