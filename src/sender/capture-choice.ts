/**
 * Which capture path the sender runs: the one the scenario asks for, or, with
 * `capture.fallback`, the next one that can run (zero-copy → gpu-convert → readback), each
 * refusal kept with its reason for env.json and the report. Also the rule that ties zero-copy
 * to NVENC: its frames never reach host memory, so only an encoder on the same GPU can take them.
 */
import { NATIVE_ERROR_CODES, type CapturePath, type EncoderCodec, type FrameSourceOptions, type NativeAddon, type NativeFrameSource } from '../native/types.ts';

/** Encoders that take zero-copy frames (CUDA surfaces). */
export const zeroCopyCodecs: readonly EncoderCodec[] = ['h264_nvenc', 'hevc_nvenc'];

/** Why `codec` cannot take zero-copy frames, or undefined when it can. */
export function zeroCopyEncoderProblem(codec: EncoderCodec): string | undefined {
  if (zeroCopyCodecs.includes(codec)) return undefined;
  return `zero-copy hands each frame to NVENC on the GPU; encoder.codec ${codec} takes frames in host memory (use h264_nvenc or hevc_nvenc)`;
}

/** The paths to try, in order: the asked one, then (with fallback) the slower ones after it. */
export function captureAttempts(asked: CapturePath, fallback: boolean): CapturePath[] {
  const order: CapturePath[] = ['zero-copy', 'gpu-convert', 'readback'];
  return fallback ? order.slice(order.indexOf(asked)) : [asked];
}

/** A path that was asked for (or tried on the way) and could not run. */
export interface CaptureRefusal {
  path: CapturePath;
  reason: string;
}

export interface OpenedFrameSource {
  source: NativeFrameSource;
  /** the paths refused before `source.capturePath`, in order; empty when the asked one ran */
  refused: CaptureRefusal[];
}

/** A frame source error that says the path cannot run here (not a failure of a path that can). */
function unavailableReason(error: unknown, path: CapturePath): string | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== NATIVE_ERROR_CODES.sourceUnavailable) return undefined;
  const prefix = `FrameSource: capture path '${path}' is not available: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/**
 * Opens the frame source on the first path of `captureAttempts` that can run; throws the asked
 * path's own error when none can (or when fallback is off).
 */
export function openFrameSource(
  native: Pick<NativeAddon, 'FrameSource'>,
  options: FrameSourceOptions,
  codec: EncoderCodec,
  fallback: boolean,
): OpenedFrameSource {
  const refused: CaptureRefusal[] = [];
  let firstError: unknown;
  for (const path of captureAttempts(options.capturePath, fallback)) {
    const encoderProblem = path === 'zero-copy' ? zeroCopyEncoderProblem(codec) : undefined;
    if (encoderProblem !== undefined) {
      const error = Object.assign(new Error(`FrameSource: capture path 'zero-copy' is not available: ${encoderProblem}`), { code: NATIVE_ERROR_CODES.sourceUnavailable });
      firstError ??= error;
      refused.push({ path, reason: encoderProblem });
      continue;
    }
    try {
      return { source: new native.FrameSource({ ...options, capturePath: path }), refused };
    } catch (error) {
      const reason = unavailableReason(error, path);
      firstError ??= error;
      if (reason === undefined) throw error;
      refused.push({ path, reason });
    }
  }
  throw firstError;
}
