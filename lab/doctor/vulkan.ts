import type { VulkanDeviceInfo } from '../../src/native/types.ts';
import { type AddonAccess, addonExport, withTimeout } from './addon.ts';
import { type CheckResult, errorMessage, makeCheck } from './types.ts';

/** Environment variable naming the Vulkan device to use: a device index, or a name substring. */
export const vulkanDeviceEnv = 'GLASSLAB_VULKAN_DEVICE';

/** PCI vendor id of NVIDIA (uint16). */
export const nvidiaVendorId = 0x10de;

/**
 * Preference rank of a device, lower is better: NVIDIA (any type) 0, other discrete 1,
 * integrated 2, virtual or cpu (lavapipe) 3, other 4. Same order as the native FrameSource's
 * automatic choice (native/src/vk_context.cc Rank), which also skips devices without a compute queue.
 */
export function vulkanDeviceRank(device: VulkanDeviceInfo): number {
  if (device.vendorId === nvidiaVendorId) return 0;
  switch (device.type) {
    case 'discrete':
      return 1;
    case 'integrated':
      return 2;
    case 'virtual':
    case 'cpu':
      return 3;
    case 'other':
      return 4;
  }
}

const rankReasons = [
  'NVIDIA GPU, preferred over every other device',
  'discrete GPU, no NVIDIA device present',
  'integrated GPU, no discrete GPU present',
  'virtual or CPU device (lavapipe), no discrete or integrated GPU present',
  'device of type "other", nothing better present',
] as const;

/** The device chosen and why, or why none could be. */
export type VulkanChoice = { ok: true; device: VulkanDeviceInfo; reason: string } | { ok: false; reason: string };

/** Best-ranked device; ties go to the lowest index. Undefined for an empty list. */
function bestRanked(devices: readonly VulkanDeviceInfo[]): VulkanDeviceInfo | undefined {
  let best: VulkanDeviceInfo | undefined;
  for (const device of devices) {
    if (!best) {
      best = device;
      continue;
    }
    const byRank = vulkanDeviceRank(device) - vulkanDeviceRank(best);
    if (byRank < 0 || (byRank === 0 && device.index < best.index)) best = device;
  }
  return best;
}

/** The device with the lowest index among `devices`; undefined for an empty list. */
function lowestIndex(devices: readonly VulkanDeviceInfo[]): VulkanDeviceInfo | undefined {
  return devices.reduce<VulkanDeviceInfo | undefined>((low, d) => (!low || d.index < low.index ? d : low), undefined);
}

/**
 * Chooses the Vulkan device to render on. Without an override: the best-ranked device (see
 * vulkanDeviceRank), ties to the lowest index. `override` (the value of GLASSLAB_VULKAN_DEVICE):
 * all digits selects the device with that `index`; anything else is a case-insensitive substring
 * of the device name (the first match in enumeration order, i.e. lowest index, wins, as natively).
 * Blank means no override. Pure function.
 */
export function chooseVulkanDevice(devices: readonly VulkanDeviceInfo[], override?: string): VulkanChoice {
  if (devices.length === 0) return { ok: false, reason: 'no Vulkan device' };
  const wanted = override?.trim() ?? '';
  if (wanted === '') {
    const device = bestRanked(devices) as VulkanDeviceInfo;
    return { ok: true, device, reason: rankReasons[vulkanDeviceRank(device)] ?? 'best ranked' };
  }
  const asked = `asked for by ${vulkanDeviceEnv}=${wanted}`;
  if (/^\d+$/.test(wanted)) {
    const index = Number(wanted);
    const device = devices.find((d) => d.index === index);
    if (device) return { ok: true, device, reason: asked };
    const indexes = devices.map((d) => d.index).join(', ');
    return { ok: false, reason: `${vulkanDeviceEnv}=${wanted}: no device with index ${index} (indexes: ${indexes})` };
  }
  const needle = wanted.toLowerCase();
  const device = lowestIndex(devices.filter((d) => d.name.toLowerCase().includes(needle)));
  if (device) return { ok: true, device, reason: asked };
  const names = devices.map((d) => `"${d.name}"`).join(', ');
  return { ok: false, reason: `${vulkanDeviceEnv}=${wanted}: no device name contains it (devices: ${names})` };
}

/** One line describing a device, for the human table. */
export function describeVulkanDevice(device: VulkanDeviceInfo): string {
  const vendor = `0x${device.vendorId.toString(16).padStart(4, '0')}`;
  const driver = [device.driverName, device.driverInfo].filter((s) => s !== '').join(' ');
  return [
    `#${device.index} ${device.name}`,
    device.type,
    `vendor ${vendor}`,
    `driver ${driver || '?'}`,
    `Vulkan ${device.apiVersion}`,
    `external memory fd: ${device.externalMemoryFd ? 'yes' : 'no'}`,
    `external semaphore fd: ${device.externalSemaphoreFd ? 'yes' : 'no'}`,
    `UUID ${device.deviceUuid}`,
  ].join(' · ');
}

/** Facts behind the Vulkan check. */
export interface VulkanCheckData {
  devices: VulkanDeviceInfo[];
  chosenIndex?: number;
  reason: string;
  override?: string;
}

const base = { name: 'vulkan', area: 'vulkan', required: true } as const;

/** Time allowed for enumerating devices, ms (the loader and lavapipe start in ~100 ms). */
const listTimeoutMs = 10_000;

/** Lists Vulkan devices through the addon and reports which one would be chosen. */
export async function probeVulkan(
  access: AddonAccess,
  override: string | undefined,
): Promise<CheckResult<VulkanCheckData>> {
  const list = addonExport(access, 'listVulkanDevices');
  if (!list.ok) return makeCheck(base, 'error', list.reason);
  let devices: VulkanDeviceInfo[];
  try {
    devices = await withTimeout(list.value(), listTimeoutMs, 'listVulkanDevices()');
  } catch (error) {
    return makeCheck(base, 'error', `listVulkanDevices() failed: ${errorMessage(error)}`);
  }
  if (!Array.isArray(devices)) return makeCheck(base, 'error', 'listVulkanDevices() did not return an array');
  const more = devices.map(describeVulkanDevice);
  const overrideData = override?.trim() ? { override: override.trim() } : {};
  if (devices.length === 0) {
    const reason = 'no Vulkan device (for a CPU device install mesa-vulkan-drivers: lavapipe)';
    return makeCheck(base, 'missing', reason, { data: { devices, reason, ...overrideData } });
  }
  const choice = chooseVulkanDevice(devices, override);
  if (!choice.ok) {
    return makeCheck(base, 'error', choice.reason, { more, data: { devices, reason: choice.reason, ...overrideData } });
  }
  const count = `${devices.length} device${devices.length === 1 ? '' : 's'}`;
  const detail = `${count}; chosen #${choice.device.index} ${choice.device.name}: ${choice.reason}`;
  const data = { devices, chosenIndex: choice.device.index, reason: choice.reason, ...overrideData };
  return makeCheck(base, 'ok', detail, { more, data });
}
