/**
 * Leaky-bucket pacer: releases packets at pacingFactor × target rate, retransmissions before
 * media before FEC before padding (FIFO within a class). Each release adds the packet's size to a
 * byte debt that drains at the pacing rate; a packet may go when the debt is paid. While idle the
 * debt may go negative down to `burstIntervalMs` worth of bytes, which later goes out as a burst.
 * With a queue-time limit, when the oldest queued packet would otherwise wait longer than the
 * limit, the drain rate is raised so that everything queued leaves before the oldest packet's
 * deadline (libwebrtc's "drain large queues").
 */
import { Fifo } from '../../shared/fifo.ts';
import { PACED_KIND_PRIORITY, type PacedRelease, type Pacer, type PacerPacket } from './pacer.ts';

/** Leaky-bucket options; every value is an option, defaults in DEFAULT_LEAKY_PACER_OPTIONS. */
export interface LeakyPacerOptions {
  /** encoder target rate at start, bits per second */
  initialTargetBps: number;
  /** pacing rate = pacingFactor × target rate (libwebrtc uses 2.5) */
  pacingFactor: number;
  /** budget that may accumulate while the queue is empty, in ms of the pacing rate (0 = none) */
  burstIntervalMs: number;
  /** longest a packet should wait; undefined = no limit, ms */
  queueTimeLimitMs: number | undefined;
  /** the drain rate under the queue-time limit never assumes less time left than this, ms */
  minDrainTimeMs: number;
}

/** Defaults: 2.5 × target, no burst budget, no queue-time limit. */
export const DEFAULT_LEAKY_PACER_OPTIONS: Readonly<LeakyPacerOptions> = {
  initialTargetBps: 1_000_000,
  pacingFactor: 2.5,
  burstIntervalMs: 0,
  queueTimeLimitMs: undefined,
  minDrainTimeMs: 1,
};

/** Debt below this is treated as paid, bytes (absorbs float rounding). */
const DEBT_EPSILON_BYTES = 1e-6;

interface Queued<T> {
  packet: PacerPacket<T>;
  enqueuedMs: number;
}

/** Leaky bucket with priority classes and an optional queue-time limit. */
export class LeakyPacer<T> implements Pacer<T> {
  private readonly opts: LeakyPacerOptions;
  private readonly queues: Array<Fifo<Queued<T>>> = [new Fifo(), new Fifo(), new Fifo(), new Fifo()];
  private readonly out = new Fifo<PacedRelease<T>>();
  /** pacing rate, bytes per ms */
  private pacingRate: number;
  /** rate the debt drains at since `lastMs`, bytes per ms (≥ pacingRate) */
  private drainRate: number;
  /** bytes sent but not yet paid for; negative = accumulated burst budget */
  private debtBytes = 0;
  private lastMs: number | undefined;
  private queued = 0;
  private bytesQueued = 0;

  constructor(options: Partial<LeakyPacerOptions> = {}) {
    this.opts = { ...DEFAULT_LEAKY_PACER_OPTIONS, ...options };
    this.pacingRate = this.rateFor(this.opts.initialTargetBps);
    this.drainRate = this.pacingRate;
  }

  enqueue(packet: PacerPacket<T>, nowMs: number): void {
    this.advance(nowMs);
    this.queues[PACED_KIND_PRIORITY[packet.kind]]!.push({ packet, enqueuedMs: nowMs });
    this.queued++;
    this.bytesQueued += packet.sizeBytes;
    this.release(nowMs);
  }

  setRate(targetBps: number, nowMs: number): void {
    this.advance(nowMs);
    this.pacingRate = this.rateFor(targetBps);
    this.release(nowMs);
  }

  handleTimeout(nowMs: number): void {
    this.advance(nowMs);
    this.release(nowMs);
  }

  pollTimeout(): number | undefined {
    if (this.queued === 0 || this.lastMs === undefined) return undefined;
    if (this.debtBytes <= DEBT_EPSILON_BYTES) return this.lastMs;
    return this.lastMs + this.debtBytes / this.drainRate;
  }

  pollOutput(): PacedRelease<T> | undefined {
    return this.out.shift();
  }

  get queuedPackets(): number {
    return this.queued;
  }

  get queuedBytes(): number {
    return this.bytesQueued;
  }

  /** Current pacing rate, bits per second (before any queue-time boost). */
  get pacingRateBps(): number {
    return this.pacingRate * 8000;
  }

  private rateFor(targetBps: number): number {
    if (!(targetBps > 0)) throw new RangeError(`pacer target rate must be > 0 bps, got ${targetBps}`);
    return (targetBps * this.opts.pacingFactor) / 8000;
  }

  /** Pays down the debt for the time since the last call, at the drain rate then in force. */
  private advance(nowMs: number): void {
    if (this.lastMs !== undefined && nowMs > this.lastMs) {
      const floor = this.queued === 0 ? -this.pacingRate * this.opts.burstIntervalMs : 0;
      // reaching the time pollTimeout announced (same expression) pays the debt in full, so float
      // rounding at large clock values can never leave a crumb that re-arms the same instant
      const dueMs = this.lastMs + this.debtBytes / this.drainRate;
      const left = nowMs >= dueMs ? Math.min(this.debtBytes - (nowMs - this.lastMs) * this.drainRate, 0)
        : this.debtBytes - (nowMs - this.lastMs) * this.drainRate;
      this.debtBytes = Math.max(left, Math.min(floor, this.debtBytes));
    }
    if (this.lastMs === undefined || nowMs > this.lastMs) this.lastMs = nowMs;
  }

  /** Sends while the debt is paid, then sets the drain rate for the time until the next event. */
  private release(nowMs: number): void {
    while (this.queued > 0 && this.debtBytes <= DEBT_EPSILON_BYTES) {
      const q = this.next()!;
      this.queued--;
      this.bytesQueued -= q.packet.sizeBytes;
      this.debtBytes += q.packet.sizeBytes;
      this.out.push({ packet: q.packet, enqueuedMs: q.enqueuedMs, sentMs: nowMs, queueMs: nowMs - q.enqueuedMs });
    }
    this.drainRate = this.pacingRate;
    const limit = this.opts.queueTimeLimitMs;
    if (limit !== undefined && this.queued > 0) {
      const timeLeft = Math.max(this.oldestEnqueuedMs() + limit - nowMs, this.opts.minDrainTimeMs);
      const needed = (Math.max(this.debtBytes, 0) + this.bytesQueued) / timeLeft;
      if (needed > this.drainRate) this.drainRate = needed;
    }
  }

  private next(): Queued<T> | undefined {
    for (const q of this.queues) if (q.length > 0) return q.shift();
    return undefined;
  }

  private oldestEnqueuedMs(): number {
    let oldest = Infinity;
    for (const q of this.queues) {
      const head = q.peek();
      if (head && head.enqueuedMs < oldest) oldest = head.enqueuedMs;
    }
    return oldest;
  }
}

