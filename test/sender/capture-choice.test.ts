import { describe, expect, it } from 'vitest';
import { captureAttempts, openFrameSource, zeroCopyEncoderProblem } from '../../src/sender/capture-choice.ts';
import type { CapturePath, FrameSourceOptions, NativeAddon } from '../../src/native/types.ts';
import { captureRefusals } from '../../lab/run/environment.ts';

/** A FrameSource stand-in: paths in `refuse` throw as the addon does when a path cannot run. */
function fakeNative(refuse: Partial<Record<CapturePath, string>>, fail: Partial<Record<CapturePath, string>> = {}): { native: Pick<NativeAddon, 'FrameSource'>; tried: CapturePath[] } {
  const tried: CapturePath[] = [];
  class FakeSource {
    readonly capturePath: CapturePath;
    constructor(options: FrameSourceOptions) {
      tried.push(options.capturePath);
      const why = refuse[options.capturePath];
      if (why !== undefined) {
        throw Object.assign(new Error(`FrameSource: capture path '${options.capturePath}' is not available: ${why}`), { code: 'ERR_SOURCE_UNAVAILABLE' });
      }
      const broken = fail[options.capturePath];
      if (broken !== undefined) throw Object.assign(new Error(`FrameSource: ${broken}`), { code: 'ERR_SOURCE_FAILED' });
      this.capturePath = options.capturePath;
    }
  }
  return { native: { FrameSource: FakeSource as unknown as NativeAddon['FrameSource'] }, tried };
}

const options: FrameSourceOptions = { width: 640, height: 360, fps: 30, capturePath: 'zero-copy', pixelFormat: 'nv12' };
const semaphore = 'the Vulkan device llvmpipe does not offer VK_KHR_external_semaphore_fd';

describe('capture path choice', () => {
  it('tries the asked path only, or it and the slower ones after it with fallback', () => {
    expect(captureAttempts('zero-copy', false)).toEqual(['zero-copy']);
    expect(captureAttempts('zero-copy', true)).toEqual(['zero-copy', 'gpu-convert', 'readback']);
    expect(captureAttempts('gpu-convert', true)).toEqual(['gpu-convert', 'readback']);
    expect(captureAttempts('readback', true)).toEqual(['readback']);
  });

  it('ties zero-copy to NVENC', () => {
    expect(zeroCopyEncoderProblem('h264_nvenc')).toBeUndefined();
    expect(zeroCopyEncoderProblem('hevc_nvenc')).toBeUndefined();
    expect(zeroCopyEncoderProblem('x264')).toBe(
      'zero-copy hands each frame to NVENC on the GPU; encoder.codec x264 takes frames in host memory (use h264_nvenc or hevc_nvenc)',
    );
  });

  it('without fallback, the asked path\'s own error is the run\'s', () => {
    const { native } = fakeNative({ 'zero-copy': semaphore });
    expect(() => openFrameSource(native, options, 'h264_nvenc', false)).toThrow(`capture path 'zero-copy' is not available: ${semaphore}`);
    expect(() => openFrameSource(native, options, 'x264', false)).toThrow(/encoder\.codec x264 takes frames in host memory/);
  });

  it('with fallback, runs the next path that can and lists every refusal in order', () => {
    const { native, tried } = fakeNative({ 'zero-copy': semaphore, 'gpu-convert': 'it needs a width that is a multiple of 4 (got 642)' });
    const opened = openFrameSource(native, options, 'h264_nvenc', true);
    expect(opened.source.capturePath).toBe('readback');
    expect(tried).toEqual(['zero-copy', 'gpu-convert', 'readback']);
    expect(opened.refused).toEqual([
      { path: 'zero-copy', reason: semaphore },
      { path: 'gpu-convert', reason: 'it needs a width that is a multiple of 4 (got 642)' },
    ]);
    // x264: zero-copy is refused before any Vulkan object is made
    const second = fakeNative({});
    const withX264 = openFrameSource(second.native, options, 'x264', true);
    expect(second.tried).toEqual(['gpu-convert']);
    expect(withX264.refused[0]?.path).toBe('zero-copy');
  });

  it('a path that can run but fails is not passed over: its error ends the run', () => {
    const { native, tried } = fakeNative({ 'zero-copy': semaphore }, { 'gpu-convert': 'vkCreateDevice failed: VK_ERROR_DEVICE_LOST (-4)' });
    expect(() => openFrameSource(native, options, 'h264_nvenc', true)).toThrow(/VK_ERROR_DEVICE_LOST/);
    expect(tried).toEqual(['zero-copy', 'gpu-convert']);
  });

  it('when nothing can run, the asked path\'s error is thrown', () => {
    const { native } = fakeNative({ 'zero-copy': semaphore, 'gpu-convert': 'x', readback: 'y' });
    expect(() => openFrameSource(native, options, 'h264_nvenc', true)).toThrow(semaphore);
  });

  it('env.json lists each refusal with the path that ran instead', () => {
    const refused = JSON.stringify([{ path: 'zero-copy', reason: semaphore }]);
    expect(captureRefusals({ capturePath: 'gpu-convert', captureRefused: refused })).toEqual([
      { what: 'capture path zero-copy', why: `${semaphore}; ran gpu-convert instead (capture.fallback)` },
    ]);
    expect(captureRefusals({ capturePath: 'readback' })).toEqual([]);
    expect(captureRefusals({ capturePath: 'readback', captureRefused: '{not json' })[0]?.why).toMatch(/not JSON/);
    expect(captureRefusals({ capturePath: 'readback', captureRefused: '[1, {"path": 2}]' })).toEqual([]);
  });
});

