/**
 * The delay-based rate: additive-increase / multiplicative-decrease on the detector's signal
 * (draft-ietf-rmcat-gcc-02 §5.5): overusing → decrease to β × the acknowledged rate and remember
 * it as the link capacity; normal → increase (multiplicatively, 8 % per second, far from the
 * capacity estimate; additively, about one packet per response time, near it); underusing → hold
 * (queues are draining). The increase is capped at 1.5 × the acknowledged rate, so the estimate
 * never runs far ahead of what the path has carried. And the acknowledged rate itself: bytes the
 * feedback reports received over a sliding window. Sans-I/O; rates bit/s, times ms.
 */
import type { BandwidthUsage } from './delay-based.ts';
import { Fifo } from '../../shared/fifo.ts';

export interface RateControlOptions {
  startBps: number;
  minBps: number;
  maxBps: number;
  /** decrease factor on overuse */
  beta: number;
}

/** Received bytes over the last `windowMs` of arrival time, as a rate. */
export class AcknowledgedBitrate {
  private readonly samples = new Fifo<{ atMs: number; bytes: number }>();
  private bytes = 0;
  private newestMs = -Infinity;

  constructor(private readonly windowMs = 500) {}

  onReceived(arrivalMs: number, bytes: number): void {
    this.samples.push({ atMs: arrivalMs, bytes });
    this.bytes += bytes;
    this.newestMs = Math.max(this.newestMs, arrivalMs);
    for (let oldest = this.samples.peek(); oldest !== undefined && oldest.atMs < this.newestMs - this.windowMs; oldest = this.samples.peek()) {
      this.samples.shift();
      this.bytes -= oldest.bytes;
    }
  }

  /** bit/s; undefined until the window has been half filled */
  get bps(): number | undefined {
    const oldest = this.samples.peek();
    if (this.samples.length < 2 || oldest === undefined) return undefined;
    const span = this.newestMs - oldest.atMs;
    if (span < this.windowMs / 2) return undefined;
    return (this.bytes * 8 * 1000) / Math.max(span, 1);
  }
}

export class AimdRateControl {
  private rate: number;
  private lastUpdateMs: number | undefined;
  /** link capacity estimate (EWMA of the acknowledged rate at decreases) and its variance, kbit/s */
  private capacityKbps: number | undefined;
  private capacityVar = 0.4;
  private state: 'hold' | 'increase' | 'decrease' = 'increase';

  constructor(private readonly o: RateControlOptions) {
    this.rate = o.startBps;
  }

  get bps(): number {
    return this.rate;
  }

  get capacityBps(): number | undefined {
    return this.capacityKbps === undefined ? undefined : this.capacityKbps * 1000;
  }

  /** One update at `nowMs` with the detector's state, the acknowledged rate and the RTT. */
  update(usage: BandwidthUsage, ackedBps: number | undefined, rttMs: number, nowMs: number): number {
    const dtMs = Math.min(this.lastUpdateMs === undefined ? 0 : nowMs - this.lastUpdateMs, 1000);
    this.lastUpdateMs = nowMs;
    if (usage === 'overusing') this.state = 'decrease';
    else if (usage === 'underusing') this.state = 'hold';
    else if (this.state !== 'increase') this.state = 'increase';

    if (this.state === 'decrease') {
      const base = ackedBps ?? this.rate;
      this.rate = Math.min(this.rate, this.o.beta * base);
      this.updateCapacity(base / 1000);
      // one decrease per signal: the next normal update increases again
      this.state = 'hold';
    } else if (this.state === 'increase') {
      const near = this.capacityKbps !== undefined && ackedBps !== undefined && Math.abs(ackedBps / 1000 - this.capacityKbps) < 3 * Math.sqrt(this.capacityVar * this.capacityKbps);
      if (this.capacityKbps !== undefined && ackedBps !== undefined && ackedBps / 1000 > this.capacityKbps + 3 * Math.sqrt(this.capacityVar * this.capacityKbps)) {
        // the path carries more than the old capacity: forget it
        this.capacityKbps = undefined;
      }
      const before = this.rate;
      if (near) {
        // about one 1200-byte packet per response time (RTT + 100 ms)
        const responseMs = rttMs + 100;
        this.rate += Math.max(1000, (1200 * 8 * dtMs) / responseMs);
      } else {
        this.rate *= 1.08 ** (dtMs / 1000);
      }
      // the increase may not run past 1.5 × what the path carried; it never takes back an
      // estimate already reached (a probe's result, above a still low acknowledged rate)
      if (ackedBps !== undefined) this.rate = Math.min(this.rate, Math.max(before, 1.5 * ackedBps + 10_000));
    }
    this.rate = Math.min(this.o.maxBps, Math.max(this.o.minBps, this.rate));
    return this.rate;
  }

  /**
   * A probe measured the path at `bps`: the estimate jumps there when that is higher (the probe
   * showed the path carries it) and increases on from it; an old capacity estimate below it is
   * forgotten.
   */
  onProbe(bps: number): number {
    if (bps > this.rate) {
      this.rate = Math.min(this.o.maxBps, bps);
      if (this.capacityKbps !== undefined && bps / 1000 > this.capacityKbps) this.capacityKbps = undefined;
    }
    return this.rate;
  }

  private updateCapacity(ackedKbps: number): void {
    const alpha = 0.05;
    if (this.capacityKbps === undefined) {
      this.capacityKbps = ackedKbps;
      return;
    }
    const error = this.capacityKbps - ackedKbps;
    // a sample far outside the estimate's spread means the capacity itself moved (a drop): start over from it
    if (Math.abs(error) > 3 * Math.sqrt(this.capacityVar * Math.max(this.capacityKbps, 1))) {
      this.capacityKbps = ackedKbps;
      return;
    }
    this.capacityKbps = (1 - alpha) * this.capacityKbps + alpha * ackedKbps;
    const norm = Math.max(this.capacityKbps, 1);
    this.capacityVar = Math.min(2.5, Math.max(0.4, (1 - alpha) * this.capacityVar + (alpha * error * error) / norm));
  }
}
