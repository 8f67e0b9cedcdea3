import { afterAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/native/addon.ts';
import type { FrameSourceOptions, NativeFrameSource, RawFrame } from '../../src/native/types.ts';

const native = loadNative();
const opened: NativeFrameSource[] = [];

function open(options: Partial<FrameSourceOptions> = {}): NativeFrameSource {
  const source = new native.FrameSource({ width: 640, height: 360, fps: 30, capturePath: 'readback', ...options });
  opened.push(source);
  return source;
}

afterAll(() => {
  for (const source of opened) source.close();
});

/** Marker block size in pixels (native/README.md). */
function blockSize(width: number, height: number): number {
  return 8 * Math.max(1, Math.floor(Math.min(width, height) / 360));
}

/** Y plane of a frame as a view (no copy). */
function lumaOf(frame: RawFrame): Uint8Array {
  const offset = frame.planeOffsets[0] ?? 0;
  return frame.data.subarray(offset, offset + (frame.strides[0] ?? 0) * frame.height);
}

/** Rows below the marker region, where only the scene is. */
function sceneRows(frame: RawFrame): { start: number; end: number } {
  return { start: 6 * blockSize(frame.width, frame.height), end: frame.height };
}

function lumaVariance(frame: RawFrame): number {
  const y = lumaOf(frame);
  const { start, end } = sceneRows(frame);
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let row = start; row < end; row++) {
    for (let x = 0; x < frame.width; x++) {
      const v = y[row * frame.strides[0]! + x]!;
      sum += v;
      sumSq += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

function meanAbsLumaDiff(a: RawFrame, b: RawFrame): number {
  const ya = lumaOf(a);
  const yb = lumaOf(b);
  const { start, end } = sceneRows(a);
  let total = 0;
  for (let i = start * a.width; i < end * a.width; i++) total += Math.abs(ya[i]! - yb[i]!);
  return total / ((end - start) * a.width);
}

describe('listVulkanDevices', () => {
  it('finds lavapipe with its driver', async () => {
    const devices = await native.listVulkanDevices();
    const lavapipe = devices.find((d) => d.driverName === 'llvmpipe');
    expect(lavapipe, JSON.stringify(devices)).toBeDefined();
    expect(lavapipe!.name).toMatch(/llvmpipe/);
    expect(lavapipe!.type).toBe('cpu');
    expect(lavapipe!.driverInfo).toMatch(/Mesa/);
    expect(lavapipe!.apiVersion).toMatch(/^1\.\d+\.\d+$/);
    expect(typeof lavapipe!.externalMemoryFd).toBe('boolean');
    devices.forEach((d, i) => expect(d.index).toBe(i));
  });
});

describe('FrameSource device choice', () => {
  it('chooses automatically and says why', () => {
    const source = open();
    expect(source.device.driverName).toBe('llvmpipe');
    expect(source.deviceChoice).toMatch(/^automatic: /);
    expect(source.capturePath).toBe('readback');
  });

  it('takes an index or a case-insensitive name substring, from the option or the environment', () => {
    expect(open({ device: 'LLVMPIPE' }).deviceChoice).toMatch(/option device = 'LLVMPIPE'/);
    expect(open({ device: 0 }).deviceChoice).toMatch(/option device = 0/);
    process.env.GLASSLAB_VULKAN_DEVICE = 'llvm';
    try {
      expect(open().deviceChoice).toMatch(/GLASSLAB_VULKAN_DEVICE = 'llvm'/);
      process.env.GLASSLAB_VULKAN_DEVICE = 'no-such-gpu';
      expect(() => open()).toThrow(/FrameSource: GLASSLAB_VULKAN_DEVICE = 'no-such-gpu' matches no Vulkan device/);
    } finally {
      delete process.env.GLASSLAB_VULKAN_DEVICE;
    }
  });
});

describe.each([
  [640, 360, 'i420'],
  [1280, 720, 'i420'],
  [1280, 720, 'nv12'],
  [1920, 1080, 'i420'],
] as const)('captureOne %dx%d %s', (width, height, pixelFormat) => {
  it('stamps the frame id and exactly its capture time; stage times are ordered and current', async () => {
    const source = open({ width, height, pixelFormat });
    for (let expectedId = 0; expectedId < 3; expectedId++) {
      const before = process.hrtime.bigint();
      const frame = await source.captureOne();
      const after = process.hrtime.bigint();
      expect(frame.id).toBe(expectedId);
      expect([frame.width, frame.height, frame.format]).toEqual([width, height, pixelFormat]);
      const lumaBytes = width * height;
      if (pixelFormat === 'i420') {
        expect(frame.strides).toEqual([width, width / 2, width / 2]);
        expect(frame.planeOffsets).toEqual([0, lumaBytes, lumaBytes + lumaBytes / 4]);
      } else {
        expect(frame.strides).toEqual([width, width]);
        expect(frame.planeOffsets).toEqual([0, lumaBytes]);
      }
      expect(frame.data.length).toBe((lumaBytes * 3) / 2);
      const marker = native.readMarker(frame.data, width, height, frame.strides[0]!);
      expect(marker).toEqual({ ok: true, frameId: expectedId, captureTimeNs: frame.captureTimeNs });
      const t = frame.times;
      expect(t.renderDoneNs).toBe(frame.captureTimeNs);
      const order = [before, t.renderSubmitNs, t.renderDoneNs, t.copyDoneNs, t.convertDoneNs, after];
      for (let i = 1; i < order.length; i++) expect(order[i]! >= order[i - 1]!, `stage ${i}`).toBe(true);
    }
  });
});

describe('the scene', () => {
  it('is textured and moves from frame to frame', async () => {
    const source = open({ width: 640, height: 360 });
    const frames: RawFrame[] = [];
    for (let i = 0; i < 3; i++) frames.push(await source.captureOne());
    for (const frame of frames) expect(lumaVariance(frame)).toBeGreaterThan(400); // luma stddev > 20 levels
    expect(meanAbsLumaDiff(frames[0]!, frames[1]!)).toBeGreaterThan(5);
    expect(meanAbsLumaDiff(frames[1]!, frames[2]!)).toBeGreaterThan(5);
    // chroma is not flat either
    const f = frames[0]!;
    const u = f.data.subarray(f.planeOffsets[1]!, f.planeOffsets[2]!);
    expect(new Set(u).size).toBeGreaterThan(32);
  });

  it('is the same scene in i420 and nv12 (frame by frame), with NV12 interleaving the I420 chroma', async () => {
    const i420 = await open({ pixelFormat: 'i420' }).captureOne();
    const nv12 = await open({ pixelFormat: 'nv12' }).captureOne();
    const { start } = sceneRows(i420);
    const rowBytes = i420.width;
    const sceneLuma = (frame: RawFrame) => Buffer.from(lumaOf(frame).subarray(start * rowBytes));
    expect(sceneLuma(nv12).equals(sceneLuma(i420))).toBe(true);
    const chromaW = i420.width / 2;
    const chromaStart = start / 2;
    let mismatches = 0;
    for (let row = chromaStart; row < i420.height / 2; row++) {
      for (let x = 0; x < chromaW; x++) {
        const u = i420.data[i420.planeOffsets[1]! + row * chromaW + x]!;
        const v = i420.data[i420.planeOffsets[2]! + row * chromaW + x]!;
        const base = nv12.planeOffsets[1]! + row * nv12.strides[1]! + 2 * x;
        if (nv12.data[base] !== u || nv12.data[base + 1] !== v) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });
});

describe('gpu-convert capture path', () => {
  it('matches the libyuv readback path within 2 levels and carries the marker', async () => {
    const [width, height] = [640, 360];
    const gpu = open({ width, height, capturePath: 'gpu-convert', pixelFormat: 'nv12' });
    const cpu = open({ width, height, capturePath: 'readback', pixelFormat: 'nv12' });
    expect(gpu.capturePath).toBe('gpu-convert');
    for (let i = 0; i < 2; i++) {
      const before = process.hrtime.bigint();
      const g = await gpu.captureOne();
      const c = await cpu.captureOne();
      expect(g.id).toBe(c.id); // same frame index: same scene
      expect(g.strides).toEqual([width, width]);
      expect(g.planeOffsets).toEqual([0, width * height]);
      expect(native.readMarker(g.data, width, height, width)).toEqual({
        ok: true,
        frameId: g.id,
        captureTimeNs: g.captureTimeNs,
      });
      const t = g.times;
      const order = [before, t.renderSubmitNs, t.renderDoneNs, t.copyDoneNs, t.convertDoneNs];
      for (let k = 1; k < order.length; k++) expect(order[k]! >= order[k - 1]!).toBe(true);
      // Outside the marker rows (whose bits differ with the capture time) the planes agree.
      const markerRows = 6 * blockSize(width, height);
      let maxLuma = 0;
      for (let k = markerRows * width; k < width * height; k++) maxLuma = Math.max(maxLuma, Math.abs(g.data[k]! - c.data[k]!));
      let maxChroma = 0;
      for (let k = width * height + (markerRows / 2) * width; k < (width * height * 3) / 2; k++) {
        maxChroma = Math.max(maxChroma, Math.abs(g.data[k]! - c.data[k]!));
      }
      expect(maxLuma).toBeLessThanOrEqual(2);
      expect(maxChroma).toBeLessThanOrEqual(2);
    }
  });
});

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
    // One tick per 1/30 s between start() and stop() (the timer may fire late on a loaded
    // machine); a slow render skips ticks (counted), it never renders faster to catch up.
    const ticks = Math.floor((Number(stoppingNs - startedNs) / 1e9) * 30) + 1;
    expect(count + stats.missedTicks).toBeGreaterThanOrEqual(ticks - 2);
    expect(count + stats.missedTicks).toBeLessThanOrEqual(ticks + 1);
    expect(count).toBeGreaterThanOrEqual(27);
    frames.forEach((frame, i) => {
      expect(frame.id).toBe(frames[0]!.id + i);
      expect(native.readMarker(frame.data, 640, 360, 640)).toMatchObject({ ok: true, frameId: frame.id });
    });
    // Every missed tick lies between the first and the last frame, so both the submissions
    // (taken right after each absolute-deadline wake-up) and the capture times advance by one
    // period per tick; capture times also carry the render time's jitter.
    const periodMs = 1000 / 30;
    const meanTickMs = (from: bigint, to: bigint) => Number(to - from) / 1e6 / (count - 1 + stats.missedTicks);
    const first = frames[0]!;
    const last = frames[count - 1]!;
    expect(Math.abs(meanTickMs(first.times.renderSubmitNs, last.times.renderSubmitNs) - periodMs) / periodMs).toBeLessThan(0.03);
    expect(Math.abs(meanTickMs(first.captureTimeNs, last.captureTimeNs) - periodMs) / periodMs).toBeLessThan(0.05);
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
    new native.FrameSource({ ...base, ...patch } as unknown as FrameSourceOptions);

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

describe('Vulkan errors on the render path', () => {
  /** Opens a source whose frames after `frames` fail as VK_ERROR_DEVICE_LOST (test hook). */
  function failingSource(frames: number): NativeFrameSource {
    process.env.GLASSLAB_TEST_FAIL_AFTER_FRAMES = String(frames);
    try {
      return open();
    } finally {
      delete process.env.GLASSLAB_TEST_FAIL_AFTER_FRAMES;
    }
  }
  const vulkanError = /FrameSource.*vkQueueSubmit \(scene render.*failed: VK_ERROR_DEVICE_LOST \(-4\)/;

  it('reject captureOne() naming the call and the VkResult', async () => {
    const source = failingSource(1);
    expect((await source.captureOne()).id).toBe(0);
    await expect(source.captureOne()).rejects.toThrow(vulkanError);
  });

  it('go to onError, or without one reject stop(), and end the render thread', async () => {
    const withHandler = failingSource(2);
    const errors: Error[] = [];
    let frames = 0;
    withHandler.start(
      () => frames++,
      (error) => errors.push(error),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await withHandler.stop();
    expect(frames).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(vulkanError);

    const withoutHandler = failingSource(0);
    withoutHandler.start(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(withoutHandler.stop()).rejects.toThrow(vulkanError);
    await withoutHandler.stop(); // reported once
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
