/**
 * The link model's cost per packet stays bounded whatever the gap between packets: a rate trace
 * skips whole periods at once (the same opportunities as walking them), and a slot without a
 * budget stops walking boundaries after a million (1 ns slots over hours froze the caller: the
 * JS thread for LinkModel, the direction thread, and with it stop(), for the data plane).
 */
import { describe, expect, it } from 'vitest';
import { loadLinkNative } from '../../src/link/native.ts';

const { LinkModel } = loadLinkNative();

/** ms of wall time `work` takes. */
function timed(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

describe('link model cost is bounded by the packets, not by the time between them', () => {
  it('rate trace: a packet 10^13 µs after the previous one is placed at once, on the same opportunity as before', () => {
    const model = new LinkModel({ seed: 1, params: { rateTraceMs: [1, 3] } });
    model.offer(100, 0);
    expect(model.pollRelease(1e9)?.releaseUs).toBe(1000);
    // opportunities at 1 and 3 ms of every 3 ms period: the next after 10 000.0005 ms is 10 002 ms
    model.offer(1400, 10_000_000.5);
    model.offer(1400, 10_000_000.6);
    expect([model.pollRelease(2e7)?.releaseUs, model.pollRelease(2e7)?.releaseUs]).toEqual([10_002_000, 10_003_000]);
    // 10^13 µs of 1 ms opportunities walked one by one: about 4 h of CPU before (15 ms per 10^10 µs)
    const far = new LinkModel({ seed: 1, params: { rateTraceMs: [1] } });
    far.offer(100, 0);
    expect(timed(() => far.offer(100, 1e13))).toBeLessThan(500);
    far.pollRelease(1e9);
    expect(far.pollRelease(2e13)?.releaseUs).toBe(1e13); // an opportunity falls exactly on it
  });

  it('slot without budget: 1 ns slots and a packet 10 s later cost milliseconds (2.5 s per virtual second before)', () => {
    const model = new LinkModel({ seed: 1, params: { slot: { minUs: 0.001, maxUs: 0.001 } } });
    model.offer(100, 0);
    expect(model.pollRelease(0)).not.toBeNull();
    let due: number | null = null;
    expect(timed(() => {
      model.offer(100, 10_000_000);
      due = model.pollTimeout();
    })).toBeLessThan(500);
    // the slot opens when the packet is due (a million 1 ns boundaries were walked first)
    expect(due).toBe(10_000_000);
  });
});
