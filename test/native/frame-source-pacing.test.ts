import { afterAll, describe, expect, it } from 'vitest';
import type { FrameSourceOptions, RawFrame } from '../../src/native/types.ts';
import { SourceTracker, native } from './helpers.ts';

const sources = new SourceTracker();
const open = sources.open.bind(sources);
afterAll(() => sources.closeAll());

describe('paced capture', () => {
  it('delivers ~30 frames in 1 s at 30 fps, capture times ~33.3 ms apart, ids consecutive', async () => {
    const source = open({ width: 640, height: 360, fps: 30 });
    const frames: RawFrame[] = [];
    const errors: Error[] = [];
    const startedNs = process.hrtime.bigint();
    source.start(
      (frame) => frames.push(frame),
      (error) => errors.push(error),
    );
    await expect(source.captureOne()).rejects.toThrow(/FrameSource.captureOne: the source is started/);
    expect(() => source.start(() => {})).toThrow(/already started/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const stoppingNs = process.hrtime.bigint();
    await source.stop();
    const count = frames.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(frames.length).toBe(count); // nothing after stop() resolved
    expect(errors).toEqual([]);
    const stats = source.stats();
    expect(stats.droppedQueueFull).toBe(0);
    expect(stats.delivered).toBe(count);
    // ~30 ticks in 1 s; a slow render (loaded machine) skips ticks and counts them, it never
    // renders faster to catch up. Tick n is due at start + n/30 s and is rendered within its own
    // interval or skipped, so the last frame's tick index is the frames before it plus the ticks
    // missed in between, and the source rendered until about when stop() was called.
    const periodMs = 1000 / 30;
    const first = frames[0]!;
    const last = frames[count - 1]!;
    const lastTick = Number(last.times.renderSubmitNs - first.times.renderSubmitNs) / 1e6 / periodMs;
    expect(Math.abs(count - 1 + stats.missedTicks - lastTick)).toBeLessThanOrEqual(1);
    expect(Number(first.times.renderSubmitNs - startedNs) / 1e6).toBeLessThan(100);
    expect(Number(stoppingNs - last.times.renderSubmitNs) / 1e6).toBeLessThan(250);
    expect(count).toBeGreaterThanOrEqual(20);
    frames.forEach((frame, i) => {
      expect(frame.id).toBe(frames[0]!.id + i);
      expect(native.readMarker(frame.data, 640, 360, 640)).toMatchObject({ ok: true, frameId: frame.id });
    });
    // Both the submissions (taken right after each absolute-deadline wake-up) and the capture
    // times advance by one period per tick; capture times also carry the render time's jitter.
    // A frame rendered late after skipped ticks may shift the span by up to one period.
    const ticksSpanned = count - 1 + stats.missedTicks;
    const slack = stats.missedTicks > 0 ? 1 / ticksSpanned : 0;
    const meanTickMs = (from: bigint, to: bigint) => Number(to - from) / 1e6 / ticksSpanned;
    const submitError = Math.abs(meanTickMs(first.times.renderSubmitNs, last.times.renderSubmitNs) - periodMs) / periodMs;
    const captureError = Math.abs(meanTickMs(first.captureTimeNs, last.captureTimeNs) - periodMs) / periodMs;
    expect(submitError).toBeLessThan(0.03 + slack);
    expect(captureError).toBeLessThan(0.05 + slack);
    // a stopped source can capture on demand again
    expect((await source.captureOne()).id).toBe(frames[count - 1]!.id + 1);
  });

  it('skips and counts ticks when rendering is slower than the frame interval, never catching up', async () => {
    const source = open({ width: 1920, height: 1080, fps: 240 });
    const submits: bigint[] = [];
    source.start((frame) => submits.push(frame.times.renderSubmitNs));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await source.stop();
    const stats = source.stats();
    expect(stats.rendered).toBe(submits.length);
    // Tick n is due at start + n/240 s and rendered in its own interval or skipped: the last
    // frame's tick index is the frames before it plus the ticks missed in between.
    const periodNs = 1e9 / 240;
    const lastTick = Number(submits[submits.length - 1]! - submits[0]!) / periodNs;
    expect(Math.abs(submits.length - 1 + stats.missedTicks - lastTick)).toBeLessThanOrEqual(1);
    for (let i = 1; i < submits.length; i++) expect(submits[i]! > submits[i - 1]!).toBe(true);
    // 1080p takes longer than 4.2 ms on lavapipe
    if (source.device.type === 'cpu') expect(stats.missedTicks).toBeGreaterThan(0);
  });

  it('drops and counts frames when JS does not keep up with the queue', async () => {
    const source = open({ width: 640, height: 360, fps: 120, queueDepth: 1 });
    let delivered = 0;
    source.start(() => {
      delivered++;
      const until = Date.now() + 40; // a slow consumer: blocks the JS thread for 40 ms per frame
      while (Date.now() < until);
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await source.stop();
    const stats = source.stats();
    expect(stats.droppedQueueFull).toBeGreaterThan(0);
    expect(stats.delivered).toBe(delivered);
    expect(stats.rendered).toBe(stats.delivered + stats.droppedQueueFull);
  });

  it('stop() without start resolves; close() while started stops the thread', async () => {
    const source = open();
    await source.stop();
    let frames = 0;
    source.start(() => frames++);
    await new Promise((resolve) => setTimeout(resolve, 150));
    source.close();
    const seen = frames;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(frames).toBeLessThanOrEqual(seen + 1);
    await source.stop();
  });
});

describe('FrameSource rejects bad input with clear errors', () => {
  const base: FrameSourceOptions = { width: 640, height: 360, fps: 30, capturePath: 'readback' };
  const bad = (patch: Record<string, unknown>) => () =>
    new native.FrameSource({ ...base, ...patch });

  it.each([
    [{ width: 641 }, /FrameSource: width must be an even integer in 272\.\.4096 \(got 641\)/],
    [{ width: 0 }, /FrameSource: width must be .* \(got 0\)/],
    [{ height: 0 }, /FrameSource: height must be .* \(got 0\)/],
    [{ height: 361 }, /FrameSource: height must be an even integer/],
    [{ width: 4098 }, /FrameSource: width must be .*4096/],
    [{ width: 270 }, /FrameSource: width must be an even integer in 272/],
    [{ width: '640' }, /FrameSource: width must be/],
    [{ fps: 0 }, /FrameSource: fps must be a number in \(0, 240\] \(got 0\)/],
    [{ fps: -5 }, /FrameSource: fps must be/],
    [{ fps: 241 }, /FrameSource: fps must be/],
    [{ fps: Number.NaN }, /FrameSource: fps must be/],
    [{ capturePath: 'mmap' }, /FrameSource: unknown capturePath 'mmap'/],
    [{ capturePath: undefined }, /FrameSource: capturePath must be/],
    [{ capturePath: 'zero-copy' }, /FrameSource: capture path 'zero-copy' is not available: /],
    [{ capturePath: 'gpu-convert' }, /FrameSource: capture path 'gpu-convert' is not available: it produces NV12 only/],
    [
      { capturePath: 'gpu-convert', pixelFormat: 'nv12', width: 642 },
      /FrameSource: capture path 'gpu-convert' is not available: it needs a width that is a multiple of 4/,
    ],
    [{ pixelFormat: 'rgb' }, /FrameSource: pixelFormat must be 'i420' or 'nv12'/],
    [{ device: 'no-such-gpu' }, /FrameSource: option device = 'no-such-gpu' matches no Vulkan device/],
    [{ device: 7 }, /FrameSource: option device = 7 is not a Vulkan device index/],
    [{ device: -1 }, /FrameSource: device must be a device index/],
    [{ queueDepth: 0 }, /FrameSource: queueDepth must be an integer in 1\.\.1024/],
  ])('%o', (patch, message) => {
    expect(bad(patch)).toThrow(message);
  });

  it('rejects a missing options object and bad callbacks', () => {
    expect(() => new (native.FrameSource as unknown as new () => unknown)()).toThrow(/FrameSource: expected an options object/);
    const source = open();
    expect(() => source.start(undefined as unknown as () => void)).toThrow(/FrameSource.start: onFrame must be a function/);
    expect(() => source.start(() => {}, 5 as unknown as () => void)).toThrow(/onError must be a function/);
  });

  it('refuses work after close(), which is idempotent', async () => {
    const source = open();
    source.close();
    source.close();
    await expect(source.captureOne()).rejects.toThrow(/FrameSource.captureOne: the source is closed/);
    expect(() => source.start(() => {})).toThrow(/FrameSource.start: the source is closed/);
  });
});

describe('FrameSource lifetime', () => {
  it('500 open/close cycles keep RSS growth under 50 MB', () => {
    const options: FrameSourceOptions = { width: 320, height: 240, fps: 30, capturePath: 'readback' };
    for (let i = 0; i < 20; i++) new native.FrameSource(options).close(); // warm up allocators
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 500; i++) new native.FrameSource(options).close();
    const growthMb = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`500 FrameSource open/close cycles: RSS growth ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(50);
  }, 120_000);
});
