import { describe, expect, it } from 'vitest';
import { type AddonLoader, accessAddon } from '../../lab/doctor/addon.ts';
import { probeAddonCheck, probeDecoderCheck, probeEncoderChecks } from '../../lab/doctor/codecs.ts';
import { probeVulkan } from '../../lab/doctor/vulkan.ts';
import { NativeAddonError } from '../../src/native/addon.ts';
import type { DecoderOptions, EncoderProbe, NativeAddon, NativeDecoder, VulkanDeviceInfo } from '../../src/native/types.ts';

const notBuilt: AddonLoader = () => {
  throw new NativeAddonError('native addon not built (/x/glasslab_native.node missing): run "npm run setup"');
};

const lavapipe: VulkanDeviceInfo = {
  index: 0,
  name: 'llvmpipe (LLVM 15.0.6, 256 bits)',
  type: 'cpu',
  vendorId: 0x10005,
  deviceId: 0,
  driverName: 'llvmpipe',
  driverInfo: 'Mesa 22.3.6',
  apiVersion: '1.3.230',
  externalMemoryFd: true,
  externalSemaphoreFd: false,
  timelineSemaphore: true,
  deviceUuid: '6d657361-3232-2e33-2e36-000000000000',
};

describe('native probes when the addon is absent or partial', () => {
  it('an unbuilt addon makes every native check an error carrying the loader reason', async () => {
    const access = accessAddon(notBuilt);
    const checks = [probeAddonCheck(access), await probeVulkan(access, undefined), ...(await probeEncoderChecks(access)), probeDecoderCheck(access)];
    expect(checks.map((c) => c.name)).toEqual([
      'addon',
      'vulkan',
      'encoder:x264',
      'encoder:openh264',
      'encoder:h264_nvenc',
      'encoder:hevc_nvenc',
      'decoder:h264',
    ]);
    for (const check of checks) {
      expect(check.status).toBe('error');
      expect(check.detail).toContain('native addon not built');
    }
  });

  it('an addon built without the encoder, decoder and vulkan modules names the missing function and module', async () => {
    const access = accessAddon(() => ({ modules: ['marker'] }));
    expect(probeAddonCheck(access)).toMatchObject({ status: 'ok', data: { modules: ['marker'] } });
    const [x264] = await probeEncoderChecks(access);
    expect(x264).toMatchObject({ status: 'error', required: true });
    expect(x264?.detail).toBe('native addon lacks probeEncoders (built without the encoder module; modules: marker)');
    expect(probeDecoderCheck(access).detail).toBe('native addon lacks Decoder (built without the decoder module; modules: marker)');
    expect((await probeVulkan(access, undefined)).detail).toContain('lacks listVulkanDevices (built without the vulkan module');
  });
});

describe('encoder probe', () => {
  it('maps each probe to ok / missing and reports codecs the addon left out as errors', async () => {
    const probes: EncoderProbe[] = [
      { codec: 'x264', available: true, implementation: 'libavcodec libx264 (x264 core 164)' },
      { codec: 'openh264', available: false, reason: 'libopenh264 not linked' },
      { codec: 'hevc_nvenc', available: false, reason: 'no NVIDIA device' },
    ];
    const access = accessAddon(() => ({ modules: ['codec'], probeEncoders: async () => probes }));
    const checks = await probeEncoderChecks(access);
    expect(checks.map((c) => [c.name, c.status, c.detail])).toEqual([
      ['encoder:x264', 'ok', 'libavcodec libx264 (x264 core 164)'],
      ['encoder:openh264', 'missing', 'libopenh264 not linked'],
      ['encoder:h264_nvenc', 'error', 'probeEncoders() did not report h264_nvenc'],
      ['encoder:hevc_nvenc', 'missing', 'no NVIDIA device'],
    ]);
    expect(checks.filter((c) => c.required).map((c) => c.name)).toEqual(['encoder:x264']);
  });

  it('a rejecting probeEncoders becomes an error on every encoder, not a crash', async () => {
    const access = accessAddon(() => ({ probeEncoders: async () => Promise.reject(new Error('avcodec exploded')) }));
    const checks = await probeEncoderChecks(access);
    for (const check of checks) expect(check).toMatchObject({ status: 'error', detail: 'probeEncoders() failed: avcodec exploded' });
  });
});

describe('decoder probe', () => {
  it('opens and closes a decoder, asking for h264', () => {
    const seen: DecoderOptions[] = [];
    let closed = 0;
    class FakeDecoder implements NativeDecoder {
      constructor(options: DecoderOptions) {
        seen.push(options);
      }
      async decode() {
        return [];
      }
      close() {
        closed += 1;
      }
    }
    const check = probeDecoderCheck(accessAddon(() => ({ Decoder: FakeDecoder })));
    expect(check).toMatchObject({ name: 'decoder:h264', status: 'ok', required: true });
    expect(seen[0]?.codec).toBe('h264');
    expect(closed).toBe(1);
  });

  it('a decoder that cannot open is missing, with the native reason', () => {
    const Decoder = class {
      constructor() {
        throw new Error('avcodec_find_decoder(h264) returned null');
      }
    } as unknown as NativeAddon['Decoder'];
    const check = probeDecoderCheck(accessAddon(() => ({ Decoder })));
    expect(check.status).toBe('missing');
    expect(check.detail).toContain('avcodec_find_decoder(h264) returned null');
  });
});

describe('vulkan probe', () => {
  it('reports devices and the choice with its reason', async () => {
    const access = accessAddon(() => ({ listVulkanDevices: async () => [lavapipe] }));
    const check = await probeVulkan(access, undefined);
    expect(check.status).toBe('ok');
    expect(check.data).toMatchObject({ chosenIndex: 0, devices: [lavapipe] });
    expect(check.detail).toContain('chosen #0 llvmpipe');
    expect(check.data?.reason).toContain('lavapipe');
    expect(check.more?.[0]).toContain('external memory fd: yes');
    expect(check.more?.[0]).toContain('Vulkan 1.3.230');
  });

  it('no device is missing; an override matching nothing is an error naming it', async () => {
    const empty = await probeVulkan(accessAddon(() => ({ listVulkanDevices: async () => [] })), undefined);
    expect(empty.status).toBe('missing');
    const wrong = await probeVulkan(accessAddon(() => ({ listVulkanDevices: async () => [lavapipe] })), 'quadro');
    expect(wrong).toMatchObject({ status: 'error', data: { override: 'quadro' } });
    expect(wrong.detail).toContain('GLASSLAB_VULKAN_DEVICE=quadro');
  });

  it('a throwing listVulkanDevices is an error, not a crash', async () => {
    const access = accessAddon(() => ({
      listVulkanDevices: () => {
        throw new Error('vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER');
      },
    }));
    const check = await probeVulkan(access, undefined);
    expect(check).toMatchObject({ status: 'error' });
    expect(check.detail).toContain('VK_ERROR_INCOMPATIBLE_DRIVER');
  });
});
