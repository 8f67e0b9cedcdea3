/**
 * Which suite configurations this machine can run, against fake probes and a fake addon: the
 * reasons named (capture path, encoder, zero-copy with a CPU encoder), the Chromium sender left
 * alone, probeCapturePaths used when the addon has it and the FrameSource constructor's
 * ERR_SOURCE_UNAVAILABLE message when not, each question asked once.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeSenderProbes, pairingReason, senderUnavailable, type CaptureQuery, type SenderProbes, type Verdict } from '../../lab/suite/availability.ts';
import { parseSuiteText } from '../../lab/suite/load.ts';
import type { ResolvedScenario } from '../../lab/scenario/schema.ts';
import type { CapturePathReport, EncoderProbe, NativeAddon } from '../../src/native/types.ts';

async function scenarioOf(fields: string): Promise<ResolvedScenario> {
  const suite = await parseSuiteText(`suite: t\nbase: { duration: 2s, ${fields} }\nmatrix:\n  only:\n    - { name: one }\n`, path.join('/tmp', 'availability.yaml'), 1);
  return suite.runs[0]!.scenario;
}

/** Probes that answer from tables and count the questions. */
function fakeProbes(capture: Record<string, Verdict>, encoders: Record<string, Verdict>): SenderProbes & { asked: CaptureQuery[] } {
  const asked: CaptureQuery[] = [];
  return {
    asked,
    capturePath(query) {
      asked.push(query);
      return Promise.resolve(capture[query.path] ?? { available: true });
    },
    encoder(codec) {
      return Promise.resolve(encoders[codec] ?? { available: true });
    },
  };
}

describe('senderUnavailable', () => {
  it('undefined when the capture path and the encoder both work', async () => {
    const scenario = await scenarioOf('resolution: 720p, capture: { path: gpu-convert, format: nv12 }');
    const probes = fakeProbes({}, {});
    expect(await senderUnavailable(scenario, probes)).toBeUndefined();
    expect(probes.asked).toEqual([{ path: 'gpu-convert', width: 1280, height: 720, pixelFormat: 'nv12' }]);
  });

  it('names the capture path with its format and size, and the encoder, with their reasons', async () => {
    const scenario = await scenarioOf('resolution: 1920x1080, capture: { path: zero-copy, format: nv12, device: 0 }, encoder: { codec: h264_nvenc }');
    const probes = fakeProbes({ 'zero-copy': { available: false, reason: 'no VK_KHR_external_semaphore_fd' } }, { h264_nvenc: { available: false, reason: 'Cannot load libcuda.so.1' } });
    expect(await senderUnavailable(scenario, probes)).toBe('capture path zero-copy (nv12, 1920x1080): no VK_KHR_external_semaphore_fd; encoder h264_nvenc: Cannot load libcuda.so.1');
    expect(probes.asked[0]!.device).toBe(0);
  });

  it('zero-copy with a CPU encoder never runs, even where zero-copy works', async () => {
    for (const codec of ['x264', 'openh264'] as const) {
      const scenario = await scenarioOf(`capture: { path: zero-copy, format: nv12 }, encoder: { codec: ${codec} }`);
      expect(await senderUnavailable(scenario, fakeProbes({}, {}))).toMatch(new RegExp(`^zero-copy hands each frame to NVENC on the GPU; encoder.codec ${codec} takes frames in host memory`));
    }
    expect(pairingReason('zero-copy', 'h264_nvenc')).toBeUndefined();
    expect(pairingReason('gpu-convert', 'x264')).toBeUndefined();
    expect(pairingReason('readback', 'openh264')).toBeUndefined();
  });

  it("a Chromium sender is not the lab's: nothing is asked", async () => {
    const scenario = await scenarioOf('sender: { kind: chromium }, encoder: { codec: h264_nvenc }');
    const probes = fakeProbes({}, { h264_nvenc: { available: false, reason: 'no' } });
    expect(await senderUnavailable(scenario, probes)).toBeUndefined();
    expect(probes.asked).toEqual([]);
  });
});

const device = { index: 0, name: 'llvmpipe', type: 'cpu', vendorId: 0, deviceId: 0, driverName: 'llvmpipe', driverInfo: '', apiVersion: '1.3.0', externalMemoryFd: true, externalSemaphoreFd: false, timelineSemaphore: true, deviceUuid: '00000000-0000-0000-0000-000000000000' } as const;
const encoderProbes: EncoderProbe[] = [
  { codec: 'x264', available: true, implementation: 'x264' },
  { codec: 'h264_nvenc', available: false, reason: 'Cannot load libcuda.so.1' },
];

/** A FrameSource stand-in: throws `error` (when given) from its constructor. */
function fakeFrameSource(error: (Error & { code?: string }) | undefined, created: unknown[]): NativeAddon['FrameSource'] {
  return class {
    constructor(options: unknown) {
      created.push(options);
      if (error) throw error;
    }
    close(): void {}
  } as unknown as NativeAddon['FrameSource'];
}

const coded = (message: string, code: string): Error & { code: string } => Object.assign(new Error(message), { code });

describe('nativeSenderProbes', () => {
  const query: CaptureQuery = { path: 'zero-copy', width: 1280, height: 720, pixelFormat: 'nv12' };

  it('asks probeCapturePaths once per path, size and format, and takes its reason', async () => {
    const calls: unknown[] = [];
    const addon: Partial<NativeAddon> = {
      probeCapturePaths: (options) => {
        calls.push(options);
        const report = { device, zeroCopy: {}, paths: [{ path: 'readback', available: true }, { path: 'zero-copy', available: false, reason: 'no CUDA' }] } as unknown as CapturePathReport;
        return Promise.resolve(report);
      },
      FrameSource: fakeFrameSource(undefined, []),
    };
    const probes = nativeSenderProbes(() => addon);
    expect(await probes.capturePath(query)).toEqual({ available: false, reason: 'no CUDA' });
    expect(await probes.capturePath({ ...query })).toEqual({ available: false, reason: 'no CUDA' });
    expect(await probes.capturePath({ ...query, path: 'readback', pixelFormat: 'i420' })).toEqual({ available: true });
    expect(calls).toEqual([
      { width: 1280, height: 720, pixelFormat: 'nv12' },
      { width: 1280, height: 720, pixelFormat: 'i420' },
    ]);
  });

  it('without probeCapturePaths: the FrameSource constructor, whose ERR_SOURCE_UNAVAILABLE message is the reason', async () => {
    const created: unknown[] = [];
    const message = "FrameSource: capture path 'zero-copy' is not available: no VK_KHR_external_semaphore_fd";
    const probes = nativeSenderProbes(() => ({ FrameSource: fakeFrameSource(coded(message, 'ERR_SOURCE_UNAVAILABLE'), created) }));
    expect(await probes.capturePath(query)).toEqual({ available: false, reason: message });
    expect(created).toEqual([{ width: 1280, height: 720, fps: 30, capturePath: 'zero-copy', pixelFormat: 'nv12' }]);
  });

  it('a constructor failing for another cause leaves the run to be tried (it fails naming it)', async () => {
    const probes = nativeSenderProbes(() => ({ FrameSource: fakeFrameSource(coded('vkCreateDevice failed: VK_ERROR_DEVICE_LOST (-4)', 'ERR_SOURCE_FAILED'), []) }));
    expect(await probes.capturePath(query)).toEqual({ available: true });
  });

  it('a probeCapturePaths that throws falls back to the constructor', async () => {
    const created: unknown[] = [];
    const probes = nativeSenderProbes(() => ({ probeCapturePaths: () => Promise.reject(new Error('boom')), FrameSource: fakeFrameSource(undefined, created) }));
    expect(await probes.capturePath(query)).toEqual({ available: true });
    expect(created).toHaveLength(1);
  });

  it('encoders from probeEncoders, asked once; one it does not report is named', async () => {
    let calls = 0;
    const probes = nativeSenderProbes(() => ({
      probeEncoders: () => {
        calls += 1;
        return Promise.resolve(encoderProbes);
      },
    }));
    expect(await probes.encoder('x264')).toEqual({ available: true });
    expect(await probes.encoder('h264_nvenc')).toEqual({ available: false, reason: 'Cannot load libcuda.so.1' });
    expect(await probes.encoder('openh264')).toEqual({ available: false, reason: 'probeEncoders() did not report openh264' });
    expect(calls).toBe(1);
  });

  it('an addon that does not load: every answer is "not available" with its message', async () => {
    const probes = nativeSenderProbes(() => {
      throw new Error('native addon not built (native/build/Release/glasslab_native.node missing): run "npm run setup"');
    });
    expect(await probes.capturePath(query)).toEqual({ available: false, reason: expect.stringContaining('native addon not built') });
    expect(await probes.encoder('x264')).toEqual({ available: false, reason: expect.stringContaining('native addon not built') });
  });
});
