/**
 * Drives a sans-I/O pacer (`pacer/leaky.ts` or `pacer/null.ts`) in real time: packets go in with
 * their kind and size, each release is handed to `onRelease` synchronously, in release order, and
 * a timer (setTimeout at the pacer's `pollTimeout()`, unref'd) wakes the pacer while packets wait.
 * `whenIdle()` resolves once the queue is empty (the end of a run waits for it); `stop()` ends the
 * timer. A late timer steps the pacer through the due times it missed (the packets then leave
 * together, with their real release time), so the rate holds whatever the timer's lateness.
 * Packets enqueued from inside `onRelease` (a frame's FEC once its last media packet left)
 * are released by the same drain loop, after the releases already pending.
 */
import { LeakyPacer } from './pacer/leaky.ts';
import { NullPacer } from './pacer/null.ts';
import type { PacedKind, PacedRelease, Pacer } from './pacer/pacer.ts';

/** Pacing of a real-time run (the scenario's `pacer` section with the encoder target). */
export interface RealtimePacingOptions {
  /** leaky: a leaky bucket at factor × target with priorities; none: every packet leaves at once */
  mode: 'leaky' | 'none';
  /** pacing rate = factor × targetBitrateBps */
  factor: number;
  /** budget a quiet pacer may send at once, ms of pacing rate */
  burstMs: number;
  /** queue-time limit, ms; null = none */
  queueLimitMs: number | null;
  /** encoder target bitrate, bits per second */
  targetBitrateBps: number;
}

/** The pacer a mode names. */
export function createPacer<T>(options: RealtimePacingOptions): Pacer<T> {
  if (options.mode === 'none') return new NullPacer<T>();
  return new LeakyPacer<T>({
    initialTargetBps: options.targetBitrateBps,
    pacingFactor: options.factor,
    burstIntervalMs: options.burstMs,
    queueTimeLimitMs: options.queueLimitMs ?? undefined,
  });
}

/** Most missed due times one late timer catches up on (a bound, not a tuning knob). */
const MAX_CATCH_UP_STEPS = 10_000;

/** Monotonic ms clock (CLOCK_MONOTONIC, as every record's time). */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** A pacer with a timer. */
export class RealtimePacer<T> {
  private timer: NodeJS.Timeout | undefined;
  private draining = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  /** `now` is the ms clock release times are read from (default CLOCK_MONOTONIC). */
  constructor(
    private readonly pacer: Pacer<T>,
    private readonly onRelease: (release: PacedRelease<T>) => void,
    private readonly now: () => number = monotonicMs,
  ) {}

  /** Queues one packet of `kind` and `sizeBytes` (bytes on the wire); it may be released at once. */
  enqueue(kind: PacedKind, sizeBytes: number, data: T): void {
    this.pacer.enqueue({ kind, sizeBytes, data }, this.now());
    this.drain();
  }

  /** Sets the encoder target the pacing rate follows, bits per second. */
  setTargetRate(bps: number): void {
    this.pacer.setRate(bps, this.now());
    this.drain();
  }

  /** Packets waiting. */
  get queuedPackets(): number {
    return this.pacer.queuedPackets;
  }

  /** Resolves when no packet waits (at once when none does). */
  whenIdle(): Promise<void> {
    if (this.pacer.queuedPackets === 0 && !this.draining) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the timer; packets still queued stay there (call after `whenIdle`). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Hands the releases over; `atMs`: the real time of a late timer's catch-up releases. */
  private drain(atMs?: number): void {
    if (this.draining) return; // the loop below picks up what a release enqueued
    this.draining = true;
    try {
      for (let r = this.pacer.pollOutput(); r !== undefined; r = this.pacer.pollOutput()) {
        // what a late timer caught up on leaves now: record the real release time
        this.onRelease(atMs === undefined || r.sentMs >= atMs ? r : { ...r, sentMs: atMs, queueMs: atMs - r.enqueuedMs });
      }
    } finally {
      this.draining = false;
    }
    this.schedule();
    if (this.pacer.queuedPackets === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.pacer.pollTimeout();
    if (due === undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = this.now();
      // A timer fires late (event loop busy, 1 ms granularity): step the pacer through the due
      // times it missed, so the budget of the late time is not lost and the average rate holds.
      for (let i = 0, at = this.pacer.pollTimeout(); i < MAX_CATCH_UP_STEPS && at !== undefined && at < now; i++, at = this.pacer.pollTimeout()) {
        this.pacer.handleTimeout(at);
      }
      this.pacer.handleTimeout(now);
      this.drain(now);
    }, Math.max(0, due - this.now()));
    this.timer.unref();
  }
}
