/**
 * Maps a page's performance.now() timeline onto CLOCK_MONOTONIC. On Linux, Chromium's
 * performance.now() counts base::TimeTicks (CLOCK_MONOTONIC) from the page's time origin, so the
 * two differ by a constant: each sample brackets one page.now() between two monotonic readings,
 * and the sample with the shortest round trip gives the offset, with half that round trip as the
 * bound of its error (plus the page clock's own coarsening, 0.1 ms without cross-origin isolation).
 */

export interface ClockMapping {
  /** monotonic ms = page ms + offsetMs */
  offsetMs: number;
  /** bound of the offset's error, ms: half the best sample's round trip + the page clock's resolution */
  errorBoundMs: number;
  samples: number;
}

/** performance.now() resolution of a page that is not cross-origin isolated, ms. */
export const PAGE_CLOCK_RESOLUTION_MS = 0.1;

export async function measureClockMapping(pageNow: () => Promise<number>, monotonicMs: () => number, samples = 15): Promise<ClockMapping> {
  let best: { rtt: number; offset: number } | undefined;
  for (let i = 0; i < samples; i++) {
    const before = monotonicMs();
    const page = await pageNow();
    const after = monotonicMs();
    const rtt = after - before;
    if (!best || rtt < best.rtt) best = { rtt, offset: (before + after) / 2 - page };
  }
  if (!best) throw new RangeError('measureClockMapping needs at least one sample');
  return { offsetMs: best.offset, errorBoundMs: best.rtt / 2 + PAGE_CLOCK_RESOLUTION_MS, samples };
}
