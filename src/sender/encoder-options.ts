/**
 * A one-line summary of the native encoder's options (built from the scenario by
 * lab/run/child-options.ts) that the sender puts in its ready detail (env.json), so a run
 * records what the encoder was opened with.
 */
import type { EncoderOptions } from '../native/types.ts';

/** "x264 1280x720@30 bitrateBps=2000000 gop=0 vbvFrames=1 threads=1 qpMax=default input=i420": what the encoder was opened with. */
export function describeEncoderOptions(options: EncoderOptions): string {
  return [
    `${options.codec} ${options.width}x${options.height}@${options.fps}`,
    `bitrateBps=${options.bitrateBps}`,
    `gop=${options.gop}`,
    `vbvFrames=${options.vbvFrames ?? 1}`,
    `threads=${options.threads ?? 1}`,
    `qpMax=${options.qpMax ?? 'default'}`,
    `input=${options.inputFormat ?? 'i420'}`,
    ...(options.cudaDevice !== undefined ? [`cudaDevice=${options.cudaDevice}`] : []),
  ].join(' ');
}
