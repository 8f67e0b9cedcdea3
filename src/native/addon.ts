import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fromRepositoryRoot } from '../shared/repository-root.ts';
import type { NativeAddon } from './types.ts';

/** Absolute path of the built addon. */
export const addonPath = fromRepositoryRoot('native/build/Release/glasslab_native.node');

/** Raised when the native addon cannot be loaded. */
export class NativeAddonError extends Error {
  readonly code = 'NATIVE_ADDON_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'NativeAddonError';
  }
}

let cached: NativeAddon | undefined;

/** Loads the addon once; throws NativeAddonError naming the cause and the fix. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  if (!existsSync(addonPath)) {
    throw new NativeAddonError(`native addon not built (${addonPath} missing): run "npm run setup"`);
  }
  try {
    const require = createRequire(import.meta.url);
    cached = require(addonPath) as NativeAddon;
    return cached;
  } catch (error) {
    throw new NativeAddonError(`native addon failed to load: ${(error as Error).message}`);
  }
}
