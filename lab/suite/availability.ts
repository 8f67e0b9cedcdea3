/**
 * Whether this machine can run a suite's configuration, asked before the suite starts: a run
 * whose capture path or encoder cannot work here is listed in suite.json as `skipped` with the
 * reason (never dropped). The capture path is asked of the native addon's probeCapturePaths
 * (or, in an addon built without it, of the FrameSource constructor, whose
 * ERR_SOURCE_UNAVAILABLE message names the reason); the encoder of probeEncoders.
 */
import { loadNative } from '../../src/native/addon.ts';
import { NATIVE_ERROR_CODES, type CapturePath, type EncoderCodec, type EncoderProbe, type NativeAddon, type PixelFormat } from '../../src/native/types.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import { captureAttempts, zeroCopyEncoderProblem } from '../../src/sender/capture-choice.ts';
import { withTimeout } from '../doctor/addon.ts';

/** Whether one thing can run, with the reason when it cannot. */
export interface Verdict {
  available: boolean;
  reason?: string;
}

/** One capture-path question: the path at a frame size and pixel format on a device. */
export interface CaptureQuery {
  path: CapturePath;
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  device?: number | string;
}

/** What the check asks the machine (the native addon; tests pass a fake). */
export interface SenderProbes {
  capturePath(query: CaptureQuery): Promise<Verdict>;
  encoder(codec: EncoderCodec): Promise<Verdict>;
}

/**
 * Why a capture path and encoder cannot go together anywhere, or undefined: the sender's own rule
 * (zero-copy hands each NV12 surface to NVENC in CUDA memory, which a CPU encoder cannot read).
 */
export function pairingReason(path: CapturePath, codec: EncoderCodec): string | undefined {
  return path === 'zero-copy' ? zeroCopyEncoderProblem(codec) : undefined;
}

/** Why one capture path cannot run with the scenario's encoder here, or undefined. */
async function captureUnavailable(scenario: ResolvedScenario, path: CapturePath, probes: SenderProbes): Promise<string | undefined> {
  const pairing = pairingReason(path, scenario.encoder.codec);
  if (pairing !== undefined) return pairing;
  const { format } = scenario.capture;
  const query: CaptureQuery = { path, width: scenario.width, height: scenario.height, pixelFormat: format, ...(scenario.capture.device !== undefined ? { device: scenario.capture.device } : {}) };
  const capture = await probes.capturePath(query);
  return capture.available ? undefined : `capture path ${path} (${format}, ${scenario.width}x${scenario.height}): ${capture.reason ?? 'not available (no reason given)'}`;
}

/**
 * Why this machine cannot run the scenario's sender, or undefined when it can (or is not the
 * lab's). With capture.fallback the run can go ahead when any path of its fallback order can.
 */
export async function senderUnavailable(scenario: ResolvedScenario, probes: SenderProbes): Promise<string | undefined> {
  if ((scenario.sender?.kind ?? 'glasslab') !== 'glasslab') return undefined;
  const codec = scenario.encoder.codec;
  const [encoder, ...captures] = await Promise.all([
    probes.encoder(codec),
    ...captureAttempts(scenario.capture.path, scenario.capture.fallback === true).map((path) => captureUnavailable(scenario, path, probes)),
  ]);
  const reasons: string[] = [];
  if (captures.every((why) => why !== undefined)) reasons.push(captures[0]!);
  if (!encoder.available) reasons.push(`encoder ${codec}: ${encoder.reason ?? 'not available (no reason given)'}`);
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Time allowed for one probe, ms (opening NVENC on a real GPU takes a few hundred ms). */
const PROBE_TIMEOUT_MS = 20_000;

/**
 * The capture path asked of a FrameSource (an addon without probeCapturePaths): created and
 * closed at once. ERR_SOURCE_UNAVAILABLE and ERR_SOURCE_OPTIONS say this machine or geometry
 * cannot; any other failure is left to the run, which then fails naming it.
 */
function constructorVerdict(addon: Partial<NativeAddon>, query: CaptureQuery): Verdict {
  if (typeof addon.FrameSource !== 'function') return { available: false, reason: 'native addon lacks FrameSource (built without the frame-source module)' };
  try {
    const source = new addon.FrameSource({ width: query.width, height: query.height, fps: 30, capturePath: query.path, pixelFormat: query.pixelFormat, ...(query.device !== undefined ? { device: query.device } : {}) });
    source.close();
    return { available: true };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === NATIVE_ERROR_CODES.sourceUnavailable || code === NATIVE_ERROR_CODES.sourceOptions) return { available: false, reason: errorText(error) };
    return { available: true };
  }
}

/**
 * Probes the native addon answers, each question asked once (a suite asks the same path and
 * size for several encoders). `load` throws when the addon is missing: every answer is then
 * "not available" with its message.
 */
export function nativeSenderProbes(load: () => Partial<NativeAddon> = loadNative): SenderProbes {
  let addon: Partial<NativeAddon> | Error | undefined;
  const get = (): Partial<NativeAddon> | Error => {
    if (addon === undefined) {
      try {
        addon = load();
      } catch (error) {
        addon = error instanceof Error ? error : new Error(String(error));
      }
    }
    return addon;
  };
  const captures = new Map<string, Promise<Verdict>>();
  let encoders: Promise<EncoderProbe[] | Error> | undefined;

  const probeCapture = async (query: CaptureQuery): Promise<Verdict> => {
    const native = get();
    if (native instanceof Error) return { available: false, reason: native.message };
    if (typeof native.probeCapturePaths === 'function') {
      try {
        const report = await withTimeout(native.probeCapturePaths({ width: query.width, height: query.height, pixelFormat: query.pixelFormat, ...(query.device !== undefined ? { device: query.device } : {}) }), PROBE_TIMEOUT_MS, 'probeCapturePaths()');
        const found = report.paths.find((p) => p.path === query.path);
        if (found !== undefined) return found.available ? { available: true } : { available: false, reason: found.reason ?? 'not available (no reason given)' };
      } catch {
        // the constructor below names the reason as well
      }
    }
    return constructorVerdict(native, query);
  };

  return {
    capturePath(query) {
      const key = JSON.stringify([query.path, query.width, query.height, query.pixelFormat, query.device ?? null]);
      let verdict = captures.get(key);
      if (verdict === undefined) captures.set(key, (verdict = probeCapture(query)));
      return verdict;
    },
    async encoder(codec) {
      encoders ??= (async (): Promise<EncoderProbe[] | Error> => {
        const native = get();
        if (native instanceof Error) return native;
        if (typeof native.probeEncoders !== 'function') return new Error('native addon lacks probeEncoders (built without the encoder module)');
        try {
          return await withTimeout(native.probeEncoders(), PROBE_TIMEOUT_MS, 'probeEncoders()');
        } catch (error) {
          return new Error(`probeEncoders() failed: ${errorText(error)}`);
        }
      })();
      const probes = await encoders;
      if (probes instanceof Error) return { available: false, reason: probes.message };
      const found = probes.find((p) => p.codec === codec);
      if (found === undefined) return { available: false, reason: `probeEncoders() did not report ${codec}` };
      return found.available ? { available: true } : { available: false, reason: found.reason ?? 'not available (no reason given)' };
    },
  };
}

/** The runner's check (runner.ts `unavailable`): the scenario's sender asked of `probes` (default: the native addon). */
export function senderAvailability(probes: SenderProbes = nativeSenderProbes()): (scenario: ResolvedScenario) => Promise<string | undefined> {
  return (scenario) => senderUnavailable(scenario, probes);
}
