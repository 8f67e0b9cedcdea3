/** The pacer a run's pacing options name (the scenario's `pacer` section with the encoder target). */
import { LeakyPacer } from './leaky.ts';
import { NullPacer } from './null.ts';
import type { Pacer } from './pacer.ts';

export interface PacingOptions {
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

export function createPacer<T>(options: PacingOptions): Pacer<T> {
  if (options.mode === 'none') return new NullPacer<T>();
  return new LeakyPacer<T>({
    initialTargetBps: options.targetBitrateBps,
    pacingFactor: options.factor,
    burstIntervalMs: options.burstMs,
    queueTimeLimitMs: options.queueLimitMs ?? undefined,
  });
}
