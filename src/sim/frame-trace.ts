/**
 * Where a virtual-time session's frames come from: sizes, keyframe flags and encode latency,
 * either recorded (a real run's sender frame records, `sender.ndjson`) or synthetic from a stated
 * model. Each frame becomes an Annex-B access unit of exactly that size whose bytes name the
 * frame, so the receiving end can tell a frame that arrived intact from one that did not.
 */

/** One frame as the encoder gave it. */
export interface TraceFrame {
  /** encoded access unit, bytes */
  bytes: number;
  keyframe: boolean;
  /** capture → encoded (the access unit reached the packetizer), ms */
  encodeLatencyMs: number;
}

/** A source of frames: frame `index` (from 0), or undefined past its end. */
export interface FrameTraceSource {
  /** `forceKeyframe`: a keyframe request is pending (PLI/FIR); the source decides what that means */
  next(index: number, forceKeyframe: boolean): TraceFrame | undefined;
  /** one line saying what the frames are (the report's "simulated from") */
  readonly description: string;
}

/**
 * Frames recorded from a real run, one per sender frame record that went out (in frame order).
 * `keyframes: 'trace'` keeps the recorded keyframe flags (a replay: the real run's PLIs are in
 * them); `'on-request'` makes a frame after a keyframe request a keyframe, sized as the trace's
 * median keyframe (a new run from the recorded sizes).
 */
export class RecordedFrames implements FrameTraceSource {
  private readonly keyframeBytes: number;
  readonly description: string;

  constructor(private readonly frames: readonly TraceFrame[], private readonly keyframes: 'trace' | 'on-request', from: string) {
    const keySizes = frames.filter((f) => f.keyframe).map((f) => f.bytes).sort((a, b) => a - b);
    const allSizes = frames.map((f) => f.bytes).sort((a, b) => a - b);
    this.keyframeBytes = keySizes[Math.floor(keySizes.length / 2)] ?? (allSizes.at(-1) ?? 1000);
    this.description = `${frames.length} frames recorded in ${from}${keyframes === 'trace' ? ', keyframes as recorded' : ', keyframes on request'}`;
  }

  next(index: number, forceKeyframe: boolean): TraceFrame | undefined {
    const frame = this.frames[index];
    if (!frame) return undefined;
    if (this.keyframes === 'on-request' && forceKeyframe && !frame.keyframe) return { ...frame, keyframe: true, bytes: Math.max(frame.bytes, this.keyframeBytes) };
    return frame;
  }
}

/**
 * Frames from a rate model: the encoder's target spread over the frame rate, keyframes
 * `keyframeRatio` times a delta frame (x264 at the lab's settings: 4–8×), every `gop` frames
 * and after a request, sizes varying ±`spread` uniformly (seeded), a fixed encode latency.
 */
export class ModelFrames implements FrameTraceSource {
  private state: number;
  readonly description: string;
  private readonly deltaBytes: number;

  constructor(private readonly o: { bitrateBps: number; fps: number; gop: number; keyframeRatio: number; spread: number; encodeLatencyMs: number; frames: number; seed: number }) {
    // one keyframe per GOP, the rest delta frames: the GOP's bits at the target rate
    const gop = Math.max(1, o.gop);
    const bytesPerGop = (o.bitrateBps / 8) * (gop / o.fps);
    this.deltaBytes = bytesPerGop / (gop - 1 + o.keyframeRatio);
    this.state = (o.seed >>> 0) || 0x9e3779b9;
    this.description = `model: ${Math.round(o.bitrateBps / 1000)} kbit/s at ${o.fps} fps, keyframe ${o.keyframeRatio}× a delta frame every ${o.gop} frames and on request, sizes ±${Math.round(o.spread * 100)} %, encode ${o.encodeLatencyMs} ms`;
  }

  next(index: number, forceKeyframe: boolean): TraceFrame | undefined {
    if (index >= this.o.frames) return undefined;
    const keyframe = index === 0 || forceKeyframe || index % Math.max(1, this.o.gop) === 0;
    const base = keyframe ? this.deltaBytes * this.o.keyframeRatio : this.deltaBytes;
    const bytes = Math.max(64, Math.round(base * (1 + this.o.spread * (2 * this.random() - 1))));
    return { bytes, keyframe, encodeLatencyMs: this.o.encodeLatencyMs };
  }

  /** xorshift32 in [0, 1) */
  private random(): number {
    let s = this.state;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    this.state = s;
    return s / 0x1_0000_0000;
  }
}

const START_CODE = [0, 0, 0, 1];

/**
 * An Annex-B access unit of `bytes` bytes for frame `frameId`: SPS, PPS and an IDR slice for a
 * keyframe, one non-IDR slice otherwise. The slice's bytes are nonzero (no start-code emulation)
 * and start with the frame id, so every frame's bytes differ.
 */
export function accessUnitOf(frameId: number, bytes: number, keyframe: boolean): Buffer {
  const head = keyframe ? [...START_CODE, 0x67, 0x42, 0xe0, 0x1f, ...START_CODE, 0x68, 0xce, 0x3c, 0x80] : [];
  const sliceBytes = Math.max(16, bytes - head.length - START_CODE.length);
  const unit = Buffer.alloc(head.length + START_CODE.length + sliceBytes, 1 + (frameId % 251));
  unit.set(head, 0);
  unit.set(START_CODE, head.length);
  const slice = head.length + START_CODE.length;
  unit[slice] = keyframe ? 0x65 : 0x41;
  unit.write(`F${frameId};`, slice + 1, 'latin1');
  return unit;
}
