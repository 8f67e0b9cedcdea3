/**
 * Real-time runner of a resolved link timeline: applies each change at its time after the run's
 * start (the scheduling lives here, in the lab runtime; the model itself stays sans-I/O and the
 * virtual-time driver applies the same changes exactly between packets).
 */
import type { DuplexLinkParams, LinkDirection, LinkModelParams } from '../../src/link/params.ts';

/** Something whose parameters can change while it runs (userspace or netem link). */
export interface ReconfigurableLink {
  setParams(dir: LinkDirection, params: LinkModelParams): void | Promise<void>;
}

export interface TimelineHandle {
  /** Cancels the changes not yet applied. */
  cancel(): void;
  /** Resolves when every change has been applied (or rejects with the first failure). */
  done: Promise<void>;
}

/**
 * Schedules the changes relative to `startMs` (CLOCK_MONOTONIC ms, e.g. from
 * process.hrtime.bigint()); `onApplied` gets the time each change went in, for the run's records.
 */
export function runLinkTimeline(
  link: ReconfigurableLink,
  timeline: Array<{ atUs: number; params: DuplexLinkParams }>,
  startMs: number,
  onApplied?: (index: number, appliedMs: number) => void,
): TimelineHandle {
  const timers: NodeJS.Timeout[] = [];
  const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
  const done = Promise.all(
    timeline.map(
      (change, index) =>
        new Promise<void>((resolve, reject) => {
          const targetMs = startMs + change.atUs / 1000;
          // Node's timers run on a cached, whole-ms loop clock and may fire up to ~1 ms early:
          // re-arm while more than 1 ms is left, then wait out the rest (< 1 ms) on the monotonic clock
          const fire = (): void => {
            const leftMs = targetMs - nowMs();
            if (leftMs > 1) {
              timers.push(setTimeout(fire, leftMs));
              return;
            }
            while (nowMs() < targetMs) {
              // sub-millisecond wait for the exact time
            }
            Promise.all([link.setParams('up', change.params.up), link.setParams('down', change.params.down)])
              .then(() => {
                onApplied?.(index, nowMs());
                resolve();
              })
              .catch(reject);
          };
          timers.push(setTimeout(fire, Math.max(0, targetMs - nowMs() - 1)));
        }),
    ),
  ).then(() => undefined);
  return { cancel: () => timers.forEach(clearTimeout), done };
}
