import type { CapturePathProbe, CapturePathReport } from '../../src/native/types.ts';
import { type AddonAccess, addonExport, withTimeout } from './addon.ts';
import { type CheckResult, errorMessage, makeCheck } from './types.ts';

/** The geometry doctor asks about: 720p NV12, what every path supports when it runs at all. */
const probeGeometry = { width: 1280, height: 720, pixelFormat: 'nv12' } as const;

/** The CUDA driver load and the NVENC session probe can take a few seconds on a cold GPU. */
const probeTimeoutMs = 20_000;

const pathAreas = { readback: 'vulkan', 'gpu-convert': 'vulkan', 'zero-copy': 'nvidia' } as const;

/** One capture path as a doctor row: ok, or missing with the path's own reason. */
export function capturePathCheck(probe: CapturePathProbe, report: CapturePathReport): CheckResult {
  const base = { name: `capture-${probe.path}`, area: pathAreas[probe.path], required: false } as const;
  const on = `on ${report.device.name}`;
  if (probe.available) {
    const cuda = probe.cudaOrdinal !== undefined ? ` (CUDA device ${probe.cudaOrdinal})` : '';
    return makeCheck(base, 'ok', `capture path ${probe.path} can run ${on}${cuda}`);
  }
  const data = probe.path === 'zero-copy' ? { data: report.zeroCopy } : {};
  const more =
    probe.path === 'zero-copy'
      ? report.zeroCopy.cudaDevices.map((d) => `CUDA ${d.ordinal}: ${d.name} sm_${d.computeCapability} uuid ${d.uuid}`)
      : [];
  return makeCheck(base, 'missing', `capture path ${probe.path} cannot run ${on}: ${probe.reason ?? 'no reason given'}`, {
    more,
    ...data,
  });
}

/** Asks the addon which capture paths can run on the chosen Vulkan device; one row per path. */
export async function probeCapturePathChecks(access: AddonAccess): Promise<CheckResult[]> {
  const probe = addonExport(access, 'probeCapturePaths');
  const names = ['readback', 'gpu-convert', 'zero-copy'] as const;
  const failed = (reason: string): CheckResult[] =>
    names.map((path) => makeCheck({ name: `capture-${path}`, area: pathAreas[path], required: false }, 'error', reason));
  if (!probe.ok) return failed(probe.reason);
  try {
    const report = await withTimeout(probe.value(probeGeometry), probeTimeoutMs, 'probeCapturePaths()');
    return report.paths.map((p) => capturePathCheck(p, report));
  } catch (error) {
    return failed(`probeCapturePaths() failed: ${errorMessage(error)}`);
  }
}
