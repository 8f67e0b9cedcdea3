/**
 * The native encoder's options from a resolved scenario: every option the addon's Encoder
 * accepts (native/src/enc_input.cc ParseConfig) that a scenario can set, passed through as the
 * scenario says (the scenario schema has already checked each range), and a one-line summary the
 * sender puts in its ready detail (env.json) so a run records what the encoder was opened with.
 */
import type { ResolvedScenario } from '../../lab/scenario/schema.ts';
import type { EncoderOptions } from '../native/types.ts';

/** Encoder options for `scenario`: codec, frame size, fps, bitrate (bit/s), gop, vbvFrames, threads and qpMax when set. */
export function encoderOptionsOf(scenario: ResolvedScenario): EncoderOptions {
  const { encoder } = scenario;
  return {
    codec: encoder.codec,
    width: scenario.width,
    height: scenario.height,
    fps: scenario.fps,
    bitrateBps: encoder.bitrateBps,
    gop: encoder.gop,
    vbvFrames: encoder.vbvFrames,
    threads: encoder.threads,
    ...(encoder.qpMax !== undefined ? { qpMax: encoder.qpMax } : {}),
  };
}

/** "x264 1280x720@30 bitrateBps=2000000 gop=0 vbvFrames=1 threads=1 qpMax=default": what the encoder was opened with. */
export function describeEncoderOptions(options: EncoderOptions): string {
  return [
    `${options.codec} ${options.width}x${options.height}@${options.fps}`,
    `bitrateBps=${options.bitrateBps}`,
    `gop=${options.gop}`,
    `vbvFrames=${options.vbvFrames ?? 1}`,
    `threads=${options.threads ?? 1}`,
    `qpMax=${options.qpMax ?? 'default'}`,
  ].join(' ');
}
