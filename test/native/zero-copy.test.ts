/**
 * The zero-copy path's detection and its Vulkan half, on whatever Vulkan device this machine has
 * (lavapipe in CI): the refusal names the missing piece, every branch of the decision is reached
 * with injected facts, and NV12 surfaces exported as fds and imported into a second Vulkan device
 * read back byte for byte what gpu-convert produces for the same frames.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../../src/native/addon.ts';
import type { CudaDeviceInfo, ZeroCopyFacts } from '../../src/native/types.ts';
import { native } from './helpers.ts';

const uuidA = '980cb596-196c-b63d-78bf-48c8f1b96730';
const uuidB = '6d657361-3232-2e33-2e36-000000000000';

/** Facts of a machine where zero-copy can run (an NVIDIA GPU with NVENC, seen through both APIs). */
function runnableFacts(): ZeroCopyFacts {
  return {
    vulkanDevice: 'NVIDIA RTX 4090',
    vulkanUuid: uuidA,
    externalMemoryFd: true,
    memoryExportable: true,
    externalSemaphoreFd: true,
    timelineSemaphore: true,
    semaphoreExportable: true,
    cudaLoadError: '',
    cudaInitError: '',
    cudaDevices: [{ ordinal: 0, name: 'NVIDIA RTX 4090', uuid: uuidA, computeCapability: '8.9' }],
    nvencError: '',
  };
}

describe('zero-copy detection on this machine', () => {
  it('lists every capture path; the refusal of zero-copy is the FrameSource error, word for word', async () => {
    const report = await native.probeCapturePaths({ width: 1280, height: 720, pixelFormat: 'nv12' });
    expect(report.paths.map((p) => p.path)).toEqual(['readback', 'gpu-convert', 'zero-copy']);
    expect(report.paths[0]).toMatchObject({ available: true });
    expect(report.paths[1]).toMatchObject({ available: true });
    const zeroCopy = report.paths[2]!;
    // No machine this suite runs on has the NVENC hand-off, so zero-copy is always refused.
    expect(zeroCopy.available).toBe(false);
    expect(zeroCopy.reason).toMatch(/\S/);
    expect(report.zeroCopy.vulkanDevice).toBe(report.device.name);
    expect(report.zeroCopy.vulkanUuid).toBe(report.device.deviceUuid);
    expect(report.device.deviceUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    if (!report.device.externalSemaphoreFd) {
      expect(zeroCopy.reason).toContain('does not offer VK_KHR_external_semaphore_fd');
    }
    expect(() => new native.FrameSource({ width: 1280, height: 720, fps: 30, capturePath: 'zero-copy', pixelFormat: 'nv12' })).toThrow(
      `FrameSource: capture path 'zero-copy' is not available: ${zeroCopy.reason}`,
    );
  });

  it('names the geometry and format rules it shares with gpu-convert', async () => {
    const odd = await native.probeCapturePaths({ width: 642, height: 360, pixelFormat: 'nv12' });
    expect(odd.paths[1]?.reason).toContain('multiple of 4 (got 642)');
    expect(odd.paths[2]?.reason).toContain('multiple of 4 (got 642)');
    const i420 = await native.probeCapturePaths({ width: 640, height: 360, pixelFormat: 'i420' });
    expect(i420.paths[0]).toMatchObject({ available: true });
    expect(i420.paths[2]?.reason).toContain("NV12 only (set pixelFormat: 'nv12')");
  });

  it('rejects bad probe options with the frame source rules', async () => {
    expect(() => native.probeCapturePaths({ width: 641, height: 360 })).toThrow(/width must be an even integer/);
    await expect(native.probeCapturePaths({ width: 640, height: 360, device: 99 })).rejects.toThrow(/not a Vulkan device index/);
    // @ts-expect-error: not an options object
    expect(() => native.probeCapturePaths(7)).toThrow(/expected an options object/);
  });

  it.skipIf(process.env.GLASSLAB_EXPECT_CUDA === '1')('says why the CUDA driver is absent, in the dynamic linker\'s words', async () => {
    const report = await native.probeCapturePaths({ width: 640, height: 360, pixelFormat: 'nv12' });
    if (report.zeroCopy.cudaLoadError === '') return; // a machine with libcuda: the next test covers the branch
    expect(report.zeroCopy.cudaLoadError).toMatch(/libcuda\.so\.1/);
    expect(report.zeroCopy.cudaDevices).toEqual([]);
  });

  it('GLASSLAB_TEST_HIDE_CUDA=1 takes the no-driver branch even where libcuda exists', () => {
    const script = `const n=require(${JSON.stringify(addonPath)});n.probeCapturePaths({width:640,height:360,pixelFormat:'nv12'}).then(r=>console.log(JSON.stringify(r.zeroCopy)))`;
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, GLASSLAB_TEST_HIDE_CUDA: '1' }, encoding: 'utf8' });
    const facts = JSON.parse(out) as ZeroCopyFacts;
    expect(facts.cudaLoadError).toBe('libcuda.so.1 hidden by GLASSLAB_TEST_HIDE_CUDA=1');
    expect(native.decideZeroCopy({ ...runnableFacts(), cudaLoadError: facts.cudaLoadError, cudaDevices: [] }).reason).toBe(
      'no NVIDIA driver: libcuda.so.1 hidden by GLASSLAB_TEST_HIDE_CUDA=1',
    );
  });
});

describe('decideZeroCopy: every branch with injected facts', () => {
  const cases: [string, Partial<ZeroCopyFacts>, string][] = [
    ['no external memory', { externalMemoryFd: false }, 'does not offer VK_KHR_external_memory_fd'],
    ['memory not exportable', { memoryExportable: false }, 'cannot export storage-buffer memory as an opaque fd'],
    ['no external semaphore (lavapipe)', { externalSemaphoreFd: false }, 'does not offer VK_KHR_external_semaphore_fd'],
    ['no timeline semaphores', { timelineSemaphore: false }, 'has no timeline semaphores'],
    ['semaphore not exportable', { semaphoreExportable: false }, 'cannot export a timeline semaphore as an opaque fd'],
    ['no NVIDIA driver', { cudaLoadError: 'libcuda.so.1: cannot open shared object file', cudaDevices: [] }, 'no NVIDIA driver: libcuda.so.1: cannot open'],
    ['cuInit failed', { cudaInitError: 'cuInit failed: CUDA_ERROR_NO_DEVICE', cudaDevices: [] }, 'the CUDA driver is present but cuInit failed: CUDA_ERROR_NO_DEVICE'],
    ['no CUDA device', { cudaDevices: [] }, 'the CUDA driver sees no CUDA device'],
    [
      'Vulkan and CUDA are different GPUs',
      { vulkanDevice: 'AMD Radeon', vulkanUuid: uuidB },
      `the Vulkan device AMD Radeon (UUID ${uuidB}) is not the same GPU as any CUDA device (0: NVIDIA RTX 4090 ${uuidA})`,
    ],
    [
      'no NVENC engine (H100/H200)',
      { nvencError: 'nvEncOpenEncodeSessionEx: NV_ENC_ERR_UNSUPPORTED_DEVICE' },
      'no NVENC on CUDA device 0 (NVIDIA RTX 4090): nvEncOpenEncodeSessionEx: NV_ENC_ERR_UNSUPPORTED_DEVICE',
    ],
  ];
  for (const [name, change, reason] of cases) {
    it(name, () => {
      const verdict = native.decideZeroCopy({ ...runnableFacts(), ...change });
      expect(verdict.available).toBe(false);
      expect(verdict.reason).toContain(reason);
    });
  }

  it('runnable facts give the CUDA device matched by UUID, not the first one', () => {
    const devices: CudaDeviceInfo[] = [
      { ordinal: 0, name: 'NVIDIA T4', uuid: uuidB, computeCapability: '7.5' },
      { ordinal: 1, name: 'NVIDIA RTX 4090', uuid: uuidA.toUpperCase(), computeCapability: '8.9' },
    ];
    expect(native.decideZeroCopy({ ...runnableFacts(), cudaDevices: devices })).toEqual({ available: true, cudaOrdinal: 1 });
    // NVENC not probed yet: the other checks decide.
    const { nvencError: _unprobed, ...facts } = runnableFacts();
    expect(native.decideZeroCopy(facts)).toEqual({ available: true, cudaOrdinal: 0 });
  });

  it('any facts: never throws, and runs exactly when every check passes (fast-check)', () => {
    const uuid = fc.constantFrom(uuidA, uuidB);
    const facts = fc.record({
      vulkanDevice: fc.string({ maxLength: 20 }),
      vulkanUuid: uuid,
      externalMemoryFd: fc.boolean(),
      memoryExportable: fc.boolean(),
      externalSemaphoreFd: fc.boolean(),
      timelineSemaphore: fc.boolean(),
      semaphoreExportable: fc.boolean(),
      cudaLoadError: fc.constantFrom('', 'libcuda.so.1: cannot open shared object file'),
      cudaInitError: fc.constantFrom('', 'cuInit failed: CUDA_ERROR_NO_DEVICE'),
      cudaDevices: fc.array(
        fc.record({ ordinal: fc.nat(7), name: fc.string({ maxLength: 10 }), uuid, computeCapability: fc.constant('9.0') }),
        { maxLength: 3 },
      ),
      nvencError: fc.option(fc.constantFrom('', 'NV_ENC_ERR_NO_ENCODE_DEVICE'), { nil: undefined }),
    });
    fc.assert(
      fc.property(facts, (f) => {
        const verdict = native.decideZeroCopy(f);
        const match = f.cudaDevices.find((d) => d.uuid === f.vulkanUuid);
        const runs =
          f.externalMemoryFd && f.memoryExportable && f.externalSemaphoreFd && f.timelineSemaphore && f.semaphoreExportable &&
          f.cudaLoadError === '' && f.cudaInitError === '' && match !== undefined && !f.nvencError;
        expect(verdict.available).toBe(runs);
        if (runs) expect(verdict.cudaOrdinal).toBe(match.ordinal);
        else expect(verdict.reason).toMatch(/\S/);
      }),
    );
  });

  it('malformed facts are a TypeError or RangeError naming the field, never a crash', () => {
    const bad: [unknown, RegExp][] = [
      [7, /expected a ZeroCopyFacts object/],
      [{ ...runnableFacts(), externalMemoryFd: 'yes' }, /externalMemoryFd must be a boolean/],
      [{ ...runnableFacts(), vulkanUuid: 'not-a-uuid' }, /vulkanUuid must be a UUID of 32 hex digits/],
      [{ ...runnableFacts(), cudaDevices: 'none' }, /cudaDevices must be an array/],
      [{ ...runnableFacts(), cudaDevices: [{ ordinal: -1, name: 'x', uuid: uuidA }] }, /cudaDevices\[0\]\.ordinal must be an integer/],
      [{ ...runnableFacts(), cudaDevices: [{ ordinal: 0, name: 'x', uuid: 'zz' }] }, /cudaDevices\[0\]\.uuid must be a UUID/],
      [{ ...runnableFacts(), nvencError: 3 }, /nvencError must be a string/],
    ];
    for (const [facts, message] of bad) {
      // @ts-expect-error: deliberately malformed
      expect(() => native.decideZeroCopy(facts)).toThrow(message);
    }
    fc.assert(
      fc.property(fc.anything(), (value) => {
        try {
          // @ts-expect-error: anything at all
          native.decideZeroCopy(value);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_INPUT_INVALID');
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('zero-copy Vulkan half: export, import into a second device, compare with gpu-convert', () => {
  it('every frame read through the imported fd equals gpu-convert byte for byte; slots in ring order', async () => {
    const width = 640;
    const height = 360;
    const frames = 7;
    const check = await native.zeroCopyVulkanCheck({ width, height, frames, slots: 3 });
    expect(check.imported).toHaveLength(frames);
    expect(check.gpuConvert).toHaveLength(frames);
    expect(check.slots).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(check.allocationBytes).toBeGreaterThanOrEqual((width * height * 3) / 2);
    for (let i = 0; i < frames; i += 1) {
      const imported = check.imported[i]!;
      expect(imported.length).toBe((width * height * 3) / 2);
      expect(imported.equals(check.gpuConvert[i]!)).toBe(true);
      // The surface holds this frame, not a stale or blank one: its marker names it.
      const marker = native.readMarker(imported.subarray(0, width * height), width, height, width);
      expect(marker).toMatchObject({ ok: true, frameId: i });
      if (i > 0) expect(imported.equals(check.imported[i - 1]!)).toBe(false);
    }
  });

  it('rejects options it cannot honour, naming them', async () => {
    expect(() => native.zeroCopyVulkanCheck({ width: 642, height: 360, frames: 2 })).toThrow(/multiple of 4 \(got 642\)/);
    expect(() => native.zeroCopyVulkanCheck({ width: 640, height: 360, frames: 0 })).toThrow(/frames must be an integer in 1\.\.240/);
    expect(() => native.zeroCopyVulkanCheck({ width: 640, height: 360, frames: 2, slots: 1 })).toThrow(/slots must be an integer in 2\.\.16/);
    await expect(native.zeroCopyVulkanCheck({ width: 640, height: 360, frames: 1, device: 'no-such-gpu' })).rejects.toThrow(
      /matches no Vulkan device name/,
    );
  });
});

describe('zero-copy frames and encoders', () => {
  it('only NVENC takes cudaDevice; a host encoder refuses a GPU-surface frame, naming the fix', async () => {
    const options = { codec: 'x264' as const, width: 320, height: 180, fps: 30, bitrateBps: 300_000, gop: 0 };
    expect(() => new native.Encoder({ ...options, cudaDevice: 0 })).toThrow(
      'Encoder: cudaDevice (zero-copy input) is for h264_nvenc and hevc_nvenc only (codec x264)',
    );
    expect(() => new native.Encoder({ ...options, codec: 'h264_nvenc', cudaDevice: -1 })).toThrow(/cudaDevice must be a CUDA device ordinal 0\.\.64 \(got -1\)/);
    const encoder = new native.Encoder(options);
    const frame = {
      id: 0, width: 320, height: 180, format: 'nv12' as const, data: Buffer.alloc(0), strides: [320, 320], planeOffsets: [0, 57600],
      captureTimeNs: 1n, times: { renderSubmitNs: 0n, renderDoneNs: 0n, copyDoneNs: 0n, convertDoneNs: 0n },
      gpuSurface: { ring: 1, slot: 0, value: 1n },
    };
    expect(() => encoder.encode(frame)).toThrow('open an NVENC encoder with cudaDevice (FrameSource.cudaDevice)');
    expect(() => encoder.encode({ ...frame, gpuSurface: { ring: 0, slot: 0, value: 1n } })).toThrow(/open an NVENC encoder/);
    encoder.close();
  });
});

describe('NV12 frames into encoders opened for NV12', () => {
  it('x264 takes gpu-convert\'s NV12 as it is and an I420 frame after interleaving; both decode to the same marker', async () => {
    const width = 640;
    const height = 360;
    const source = new native.FrameSource({ width, height, fps: 30, capturePath: 'gpu-convert', pixelFormat: 'nv12', testCaptureTime: { firstNs: 5_000_000_000n, stepNs: 33_333_333n } });
    const i420Source = new native.FrameSource({ width, height, fps: 30, capturePath: 'readback', pixelFormat: 'i420', testCaptureTime: { firstNs: 5_000_000_000n, stepNs: 33_333_333n } });
    const options = { codec: 'x264' as const, width, height, fps: 30, bitrateBps: 1_000_000, gop: 0, inputFormat: 'nv12' as const };
    const encoder = new native.Encoder(options);
    expect(() => new native.Encoder({ ...options, inputFormat: 'yuv' as never })).toThrow("option 'inputFormat' must be 'i420' or 'nv12'");
    const decoder = new native.Decoder({ codec: 'h264' });
    try {
      const nv12 = await source.captureOne();
      const i420 = await i420Source.captureOne();
      for (const frame of [nv12, i420]) {
        const encoded = await encoder.encode(frame);
        expect(encoded).not.toBeNull();
        const pictures = await decoder.decode(encoded!.data);
        expect(pictures[0]?.marker).toMatchObject({ ok: true });
      }
    } finally {
      source.close();
      i420Source.close();
      encoder.close();
      decoder.close();
    }
  });
});
