/**
 * The real-time pacer driver on fake timers (setTimeout and the ms clock both faked): none
 * releases at once, leaky paces a burst at factor × target, retransmissions before media before
 * FEC, a late timer catches up, queue times recorded, releases enqueued from inside a release go out in the same drain,
 * whenIdle waits for the queue.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPacer, RealtimePacer, type RealtimePacingOptions } from '../../src/sender/realtime-pacer.ts';
import type { PacedKind, PacedRelease } from '../../src/sender/pacer/pacer.ts';

const LEAKY: RealtimePacingOptions = { mode: 'leaky', factor: 2.5, burstMs: 0, queueLimitMs: null, targetBitrateBps: 800_000 };
/** pacing rate of LEAKY: 2.5 × 800 kbit/s = 250 bytes per ms */
const BYTES_PER_MS = 250;

interface Item { name: string; kind: PacedKind }

function driver(options: RealtimePacingOptions, onRelease?: (r: PacedRelease<Item>, d: RealtimePacer<Item>) => void) {
  const released: PacedRelease<Item>[] = [];
  const d: RealtimePacer<Item> = new RealtimePacer<Item>(createPacer(options), (r) => { released.push(r); onRelease?.(r, d); }, () => Date.now());
  return { d, released };
}

describe('real-time pacer driver', () => {
  beforeEach(() => { vi.useFakeTimers({ now: 1_000_000 }); });
  afterEach(() => { vi.useRealTimers(); });

  it('none: every packet leaves when enqueued, queue time 0, nothing waits', async () => {
    const { d, released } = driver({ ...LEAKY, mode: 'none' });
    for (let i = 0; i < 20; i++) d.enqueue('media', 1000, { name: `m${i}`, kind: 'media' });
    expect(released.map((r) => r.packet.data.name)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(released.every((r) => r.queueMs === 0 && r.sentMs === 1_000_000)).toBe(true);
    expect(d.queuedPackets).toBe(0);
    await d.whenIdle();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaky: a burst leaves at factor × target, each packet with its queue time', async () => {
    const { d, released } = driver(LEAKY);
    for (let i = 0; i < 20; i++) d.enqueue('media', 1000, { name: `m${i}`, kind: 'media' });
    expect(released.length).toBe(1); // the first goes at once, the rest waits for the budget
    let idle = false;
    void d.whenIdle().then(() => { idle = true; });
    await vi.advanceTimersByTimeAsync(1000 / BYTES_PER_MS * 10);
    expect(released.length).toBe(11);
    expect(idle).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(idle).toBe(true);
    expect(released.length).toBe(20);
    released.forEach((r, i) => {
      expect(r.sentMs - 1_000_000).toBeCloseTo((i * 1000) / BYTES_PER_MS, 6);
      expect(r.queueMs).toBeCloseTo(r.sentMs - r.enqueuedMs, 9);
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaky: a late timer catches up on what was due (the rate holds), with real release times', async () => {
    const { d, released } = driver(LEAKY);
    for (let i = 0; i < 20; i++) d.enqueue('media', 1000, { name: `m${i}`, kind: 'media' });
    // the clock runs 36 ms ahead of the timers: the next wake-up comes 36 ms late
    vi.setSystemTime(1_000_036);
    await vi.advanceTimersByTimeAsync(4);
    // by 40 ms, 40 × 250 bytes are due: the first packet at 0 plus ten more
    expect(released.length).toBe(11);
    expect(released.slice(1).every((r) => r.sentMs === 1_000_040 && r.queueMs === 40)).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(released.length).toBe(20);
  });

  it('leaky: retransmissions before media before FEC, FIFO within a kind', async () => {
    const { d, released } = driver(LEAKY);
    d.enqueue('media', 1000, { name: 'first', kind: 'media' });
    d.enqueue('fec', 1000, { name: 'fec1', kind: 'fec' });
    d.enqueue('media', 1000, { name: 'media1', kind: 'media' });
    d.enqueue('retransmission', 1000, { name: 'rtx1', kind: 'retransmission' });
    d.enqueue('fec', 1000, { name: 'fec2', kind: 'fec' });
    d.enqueue('media', 1000, { name: 'media2', kind: 'media' });
    await vi.advanceTimersByTimeAsync(100);
    expect(released.map((r) => r.packet.data.name)).toEqual(['first', 'rtx1', 'media1', 'media2', 'fec1', 'fec2']);
  });

  it('packets enqueued from inside a release leave after those already due, paced', async () => {
    const { d, released } = driver({ ...LEAKY, mode: 'none' }, (r, self) => {
      if (r.packet.data.name === 'last') self.enqueue('fec', 500, { name: 'fec', kind: 'fec' });
    });
    d.enqueue('media', 1000, { name: 'a', kind: 'media' });
    d.enqueue('media', 1000, { name: 'last', kind: 'media' });
    expect(released.map((r) => r.packet.data.name)).toEqual(['a', 'last', 'fec']);
    const leaky = driver(LEAKY, (r, self) => {
      if (r.packet.data.name === 'last') self.enqueue('fec', 500, { name: 'fec', kind: 'fec' });
    });
    leaky.d.enqueue('media', 1000, { name: 'a', kind: 'media' });
    leaky.d.enqueue('media', 1000, { name: 'last', kind: 'media' });
    const idle = leaky.d.whenIdle();
    await vi.advanceTimersByTimeAsync(100);
    await idle;
    expect(leaky.released.map((r) => [r.packet.data.name, r.sentMs - 1_000_000])).toEqual([['a', 0], ['last', 4], ['fec', 8]]);
  });

  it('stop ends the timer and releases idle waiters', async () => {
    const { d, released } = driver(LEAKY);
    for (let i = 0; i < 5; i++) d.enqueue('media', 1000, { name: `m${i}`, kind: 'media' });
    expect(vi.getTimerCount()).toBe(1);
    const idle = d.whenIdle();
    d.stop();
    await idle;
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(released.length).toBe(1);
  });
});
