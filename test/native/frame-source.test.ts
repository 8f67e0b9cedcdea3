import { afterAll, describe, expect, it } from 'vitest';
import type { NativeFrameSource, RawFrame } from '../../src/native/types.ts';
import { SourceTracker, blockSize, lumaOf, native, sceneRows } from './helpers.ts';

const sources = new SourceTracker();
const open = sources.open.bind(sources);
afterAll(() => sources.closeAll());

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
    const u = f.data.subarray(f.planeOffsets[1], f.planeOffsets[2]);
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

