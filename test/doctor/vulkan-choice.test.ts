import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseVulkanDevice } from '../../lab/doctor/vulkan.ts';
import type { VulkanDeviceInfo } from '../../src/native/types.ts';

const NVIDIA = 0x10de;

/** The rule as the brief states it, written independently of the implementation's rank table. */
function preference(device: VulkanDeviceInfo): number {
  if (device.vendorId === NVIDIA) return 0;
  const order: VulkanDeviceInfo['type'][][] = [['discrete'], ['integrated'], ['virtual', 'cpu'], ['other']];
  return order.findIndex((types) => types.includes(device.type)) + 1;
}

function isBetter(a: VulkanDeviceInfo, b: VulkanDeviceInfo): boolean {
  return preference(a) < preference(b) || (preference(a) === preference(b) && a.index < b.index);
}

function device(index: number, name: string, type: VulkanDeviceInfo['type'], vendorId: number): VulkanDeviceInfo {
  return {
    index,
    name,
    type,
    vendorId,
    deviceId: 0,
    driverName: 'drv',
    driverInfo: '1.0',
    apiVersion: '1.3.0',
    externalMemoryFd: false,
    externalSemaphoreFd: false,
    timelineSemaphore: false,
    deviceUuid: '00000000-0000-0000-0000-000000000000',
  };
}

const typeArb = fc.constantFrom<VulkanDeviceInfo['type']>('discrete', 'integrated', 'virtual', 'cpu', 'other');
const vendorArb = fc.constantFrom(NVIDIA, 0x1002, 0x8086, 0x10005, 0x13b5);
/** Device lists with distinct indexes (as the loader enumerates them), in shuffled order. */
const devicesArb = fc
  .uniqueArray(fc.nat({ max: 15 }), { minLength: 1, maxLength: 8 })
  .chain((indexes) =>
    fc.tuple(...indexes.map((index) => fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), typeArb, vendorArb).map(
      ([name, type, vendor]) => device(index, name, type, vendor),
    ))),
  );

describe('chooseVulkanDevice', () => {
  it('without override picks a device no other device beats', () => {
    fc.assert(
      fc.property(devicesArb, fc.constantFrom(undefined, '', '  '), (devices, override) => {
        const choice = chooseVulkanDevice(devices, override);
        expect(choice.ok).toBe(true);
        if (!choice.ok) return;
        expect(devices).toContain(choice.device);
        for (const other of devices) expect(isBetter(other, choice.device)).toBe(false);
      }),
    );
  });

  it('an all-digit override selects the device with that index, and fails naming the indexes otherwise', () => {
    fc.assert(
      fc.property(devicesArb, fc.nat({ max: 20 }), (devices, index) => {
        const choice = chooseVulkanDevice(devices, String(index));
        const wanted = devices.find((d) => d.index === index);
        if (wanted) {
          expect(choice).toMatchObject({ ok: true, device: wanted });
          if (choice.ok) expect(choice.reason).toContain('GLASSLAB_VULKAN_DEVICE');
        } else {
          expect(choice.ok).toBe(false);
          expect(choice.reason).toContain(`no device with index ${index}`);
        }
      }),
    );
  });

  it('a name override matches a case-insensitive substring and takes the first match (lowest index)', () => {
    fc.assert(
      fc.property(devicesArb, fc.nat(), fc.nat(), fc.nat(), fc.boolean(), (devices, pick, from, length, upper) => {
        const target = devices[pick % devices.length] as VulkanDeviceInfo;
        const start = from % target.name.length;
        let needle = target.name.slice(start, start + 1 + (length % (target.name.length - start)));
        if (/^\d+$/.test(needle.trim()) || needle.trim() === '') return; // those mean an index / no override
        needle = upper ? needle.toUpperCase() : needle;
        const choice = chooseVulkanDevice(devices, needle);
        expect(choice.ok).toBe(true);
        if (!choice.ok) return;
        const trimmed = needle.trim().toLowerCase();
        expect(choice.device.name.toLowerCase()).toContain(trimmed);
        for (const other of devices) {
          if (other.name.toLowerCase().includes(trimmed)) expect(other.index).toBeGreaterThanOrEqual(choice.device.index);
        }
      }),
    );
  });

  it('follows the stated order on concrete machines', () => {
    const lavapipe = device(0, 'llvmpipe (LLVM 15.0.6, 256 bits)', 'cpu', 0x10005);
    const intel = device(1, 'Intel(R) UHD Graphics 630', 'integrated', 0x8086);
    const amd = device(2, 'AMD Radeon RX 7900', 'discrete', 0x1002);
    const nvidiaIntegrated = device(3, 'NVIDIA Tegra Orin', 'integrated', NVIDIA);
    const swiftshader = device(4, 'SwiftShader Device', 'virtual', 0x1ae0);
    expect(chooseVulkanDevice([lavapipe])).toMatchObject({ ok: true, device: lavapipe });
    expect(chooseVulkanDevice([lavapipe, intel])).toMatchObject({ ok: true, device: intel });
    expect(chooseVulkanDevice([lavapipe, intel, amd])).toMatchObject({ ok: true, device: amd });
    expect(chooseVulkanDevice([amd, nvidiaIntegrated, lavapipe])).toMatchObject({ ok: true, device: nvidiaIntegrated });
    expect(chooseVulkanDevice([swiftshader, lavapipe])).toMatchObject({ ok: true, device: lavapipe }); // equal rank: lower index
    expect(chooseVulkanDevice([amd, lavapipe], 'LLVMPIPE')).toMatchObject({ ok: true, device: lavapipe });
    expect(chooseVulkanDevice([amd, lavapipe], 'E')).toMatchObject({ ok: true, device: lavapipe }); // first match, not best-ranked
    expect(chooseVulkanDevice([amd, lavapipe], '0')).toMatchObject({ ok: true, device: lavapipe });
    const none = chooseVulkanDevice([amd, lavapipe], 'geforce');
    expect(none.ok).toBe(false);
    expect(none.reason).toContain('"AMD Radeon RX 7900"');
    expect(chooseVulkanDevice([]).ok).toBe(false);
  });
});
