import { type AddonLoader, accessAddon, defaultAddonLoader } from './addon.ts';
import { probeCapturePathChecks } from './capture-paths.ts';
import { probeAddonCheck, probeDecoderCheck, probeEncoderChecks } from './codecs.ts';
import { type CommandRunner, execaRunner } from './exec.ts';
import { type KernelProbeEnv, defaultKernelProbeEnv, deriveLinkBackend, probeNftables, probeQdisc, probeTun } from './kernel.ts';
import { probeNetns, probeUserns } from './namespaces.ts';
import { type PathExists, probeNvidia } from './nvidia.ts';
import { probeChromium, probeFfmpeg, probeSimpleTool, simpleTools } from './tools.ts';
import type { CheckResult, DoctorReport } from './types.ts';
import { probeVulkan, vulkanDeviceEnv } from './vulkan.ts';

/** Everything doctor reaches out to; each part has a real default and can be faked in tests. */
export interface DoctorDeps {
  loadAddon: AddonLoader;
  /** runs the tool probes (ffmpeg, chromium, tc, ip, iperf3, nvidia-smi) */
  exec: CommandRunner;
  kernel: KernelProbeEnv;
  pathExists?: PathExists;
  /** value of GLASSLAB_VULKAN_DEVICE */
  vulkanOverride: string | undefined;
}

/** The real machine's dependencies. */
export function defaultDoctorDeps(): DoctorDeps {
  return {
    loadAddon: defaultAddonLoader,
    exec: execaRunner,
    kernel: defaultKernelProbeEnv(),
    vulkanOverride: process.env[vulkanDeviceEnv],
  };
}

/**
 * Runs every probe (independent ones concurrently; the whole takes about a second) and returns
 * the checks in a fixed order. Never throws: a probe that fails ends as an 'error' check.
 */
export async function runDoctor(overrides: Partial<DoctorDeps> = {}): Promise<DoctorReport> {
  const deps: DoctorDeps = { ...defaultDoctorDeps(), ...overrides };
  const addon = accessAddon(deps.loadAddon);
  const env = deps.kernel;
  const [vulkan, capturePaths, encoders, netns, userns, tun, netem, tbf, htb, nftables, ffmpeg, chromium, tools, nvidia] =
    await Promise.all([
      probeVulkan(addon, deps.vulkanOverride),
      probeCapturePathChecks(addon),
      probeEncoderChecks(addon),
      probeNetns(env),
      probeUserns(env),
      probeTun(env),
      probeQdisc(env, 'netem'),
      probeQdisc(env, 'tbf'),
      probeQdisc(env, 'htb'),
      probeNftables(env),
      probeFfmpeg(deps.exec),
      probeChromium(deps.exec),
      Promise.all(simpleTools.map((tool) => probeSimpleTool(deps.exec, tool))),
      probeNvidia(deps.exec, deps.pathExists),
    ]);
  const checks: CheckResult[] = [
    probeAddonCheck(addon),
    vulkan,
    ...capturePaths,
    ...encoders,
    probeDecoderCheck(addon),
    netns,
    userns,
    tun,
    netem,
    deriveLinkBackend(netem, tun),
    tbf,
    htb,
    nftables,
    ffmpeg,
    chromium,
    ...tools,
    nvidia,
  ];
  return { version: 1, ok: requiredChecksPass(checks), checks };
}

/** True when every required check is 'ok'. */
export function requiredChecksPass(checks: readonly CheckResult[]): boolean {
  return checks.every((check) => !check.required || check.status === 'ok');
}

/** Counts for the final line. `missing` counts 'missing' and 'error' alike. */
export interface DoctorSummary {
  ok: number;
  missing: number;
  /** of `missing`, how many are required */
  missingRequired: number;
  skipped: number;
}

/** Tallies checks by outcome. */
export function summarize(checks: readonly CheckResult[]): DoctorSummary {
  const summary: DoctorSummary = { ok: 0, missing: 0, missingRequired: 0, skipped: 0 };
  for (const check of checks) {
    if (check.status === 'ok') summary.ok += 1;
    else if (check.status === 'skipped') summary.skipped += 1;
    else {
      summary.missing += 1;
      if (check.required) summary.missingRequired += 1;
    }
  }
  return summary;
}
