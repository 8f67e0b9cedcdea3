import { loadNative } from '../../src/native/addon.ts';
import type { NativeAddon } from '../../src/native/types.ts';
import { errorMessage } from './types.ts';

/**
 * Loads the native addon. Typed as Partial because doctor must cope with an addon built without
 * some modules (each native module registers its own exports); tests pass a fake with only a few.
 */
export type AddonLoader = () => Partial<NativeAddon>;

/** The default loader: the real addon from native/build. */
export const defaultAddonLoader: AddonLoader = loadNative;

/**
 * Which native module (its name in `addon.modules`) provides each export, for "built without
 * the X module" messages.
 */
const moduleOfExport: Partial<Record<keyof NativeAddon, string>> = {
  listVulkanDevices: 'vulkan',
  probeCapturePaths: 'zero-copy',
  decideZeroCopy: 'zero-copy',
  zeroCopyVulkanCheck: 'zero-copy',
  RelayMuxer: 'relay',
  FrameSource: 'frame-source',
  probeEncoders: 'encoder',
  Encoder: 'encoder',
  Decoder: 'decoder',
  readMarker: 'marker',
  writeMarker: 'marker',
  monotonicNowNs: 'marker',
};

/** The addon, or why it could not be had. Loading happens once per doctor run. */
export type AddonAccess = { ok: true; addon: Partial<NativeAddon> } | { ok: false; reason: string };

/** Calls the loader and turns any throw into a reason. */
export function accessAddon(load: AddonLoader): AddonAccess {
  try {
    return { ok: true, addon: load() };
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
}

/**
 * Looks up one export; undefined with a reason when the addon is absent or lacks it, e.g.
 * "native addon lacks probeEncoders (built without the encoder module; modules: marker)".
 */
export function addonExport<K extends keyof NativeAddon>(
  access: AddonAccess,
  key: K,
): { ok: true; value: NativeAddon[K] } | { ok: false; reason: string } {
  if (!access.ok) return access;
  const value = access.addon[key];
  if (typeof value !== 'function') {
    const moduleName = moduleOfExport[key];
    const built = Array.isArray(access.addon.modules) ? access.addon.modules.join(', ') || 'none' : 'unknown';
    const why = moduleName ? `built without the ${moduleName} module; modules: ${built}` : `modules: ${built}`;
    return { ok: false, reason: `native addon lacks ${String(key)} (${why})` };
  }
  return { ok: true, value: value as NativeAddon[K] };
}

/** Rejects with a timeout error when `promise` has not settled within `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
