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
  /** capture time after the first frame's, ms (recorded traces); absent: at the frame rate */
  captureOffsetMs?: number;
}

/** A source of frames: frame `index` (from 0), or undefined past its end. */
export interface FrameTraceSource {
  /** `forceKeyframe`: a keyframe request is pending (PLI/FIR); the source decides what that means */
  next(index: number, forceKeyframe: boolean): TraceFrame | undefined;
  /** when frame `index` is captured, ms after the first; undefined past the end */
  captureOffsetMs(index: number, frameIntervalMs: number): number | undefined;
  /** one line saying what the frames are (the report's "simulated from") */
  readonly description: string;
  /** the encoder's new target (congestion control); a source that cannot follow ignores it */
  setBitrate?(bps: number): void;
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

  captureOffsetMs(index: number, frameIntervalMs: number): number | undefined {
    const frame = this.frames[index];
    return frame === undefined ? undefined : (frame.captureOffsetMs ?? index * frameIntervalMs);
  }

  next(index: number, forceKeyframe: boolean): TraceFrame | undefined {
    const frame = this.frames[index];
    if (!frame) return undefined;
    if (this.keyframes === 'on-request' && forceKeyframe && !frame.keyframe) return { ...frame, keyframe: true, bytes: Math.max(frame.bytes, this.keyframeBytes) };
    return frame;
  }
}

/**
 * Frames from a rate model: the encoder's target spread over the frame rate, a keyframe
 * `keyframeRatio` times a delta frame first, every `gop` frames (0: never periodically) and
 * after a request, sizes varying ±`spread` uniformly (seeded), a fixed encode latency. Periodic
 * keyframes are paid for from the GOP's budget (delta frames shrink); requested ones overshoot.
 */
export class ModelFrames implements FrameTraceSource {
  private readonly random: () => number;
  readonly description: string;
  private deltaBytes: number;

  constructor(private readonly o: { bitrateBps: number; fps: number; gop: number; keyframeRatio: number; spread: number; encodeLatencyMs: number; frames: number; seed: number }) {
    this.deltaBytes = this.deltaBytesAt(o.bitrateBps);
    this.random = makeRng(o.seed);
    const every = o.gop > 0 ? `every ${o.gop} frames and on request` : 'first and on request';
    this.description = `rate model: ${Math.round(o.bitrateBps / 1000)} kbit/s at ${o.fps} fps, a keyframe ${o.keyframeRatio}× a delta frame ${every}, sizes ±${Math.round(o.spread * 100)} %, encode ${o.encodeLatencyMs} ms`;
  }

  captureOffsetMs(index: number, frameIntervalMs: number): number | undefined {
    return index < this.o.frames ? index * frameIntervalMs : undefined;
  }

  /** The next frames are sized for `bps` (an encoder with a one-frame VBV follows within a frame or two). */
  setBitrate(bps: number): void {
    this.deltaBytes = this.deltaBytesAt(bps);
  }

  private deltaBytesAt(bps: number): number {
    const bytesPerFrame = bps / 8 / this.o.fps;
    return this.o.gop > 1 ? (bytesPerFrame * this.o.gop) / (this.o.gop - 1 + this.o.keyframeRatio) : bytesPerFrame;
  }

  next(index: number, forceKeyframe: boolean): TraceFrame | undefined {
    if (index >= this.o.frames) return undefined;
    const keyframe = index === 0 || forceKeyframe || (this.o.gop > 0 && index % this.o.gop === 0);
    const base = keyframe ? this.deltaBytes * this.o.keyframeRatio : this.deltaBytes;
    const bytes = Math.max(64, Math.round(base * (1 + this.o.spread * (2 * this.random() - 1))));
    return { bytes, keyframe, encodeLatencyMs: this.o.encodeLatencyMs };
  }

}

/** 32-bit xorshift PRNG, seeded; returns [0, 1). */
export function makeRng(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x1_0000_0000;
  };
}

const START_CODE = [0, 0, 0, 1];
/**
 * x264's user-data SEI (its version and options as text) in a stream's first IDR, bytes: read off
 * a real 360p run's first packet (a 751-byte STAP-A of SPS, PPS and this SEI). Without it the
 * first keyframe's bytes would packetize differently from x264's.
 */
export const X264_FIRST_IDR_SEI_BYTES = 665;

/**
 * An Annex-B access unit of `bytes` bytes for frame `frameId`: SPS, PPS (and in the stream's
 * first keyframe x264's SEI) and an IDR slice for a keyframe, one non-IDR slice otherwise, as
 * x264 at the lab's settings writes them (one slice, no AUD). The slice's bytes are nonzero (no
 * start-code emulation); after the slice header's first byte comes the frame id, so every frame's
 * bytes differ.
 */
export function accessUnitOf(frameId: number, bytes: number, keyframe: boolean, firstKeyframe = false): Buffer {
  const nals: number[][] = [];
  if (keyframe) {
    nals.push([0x67, 0x42, 0xe0, 0x1f, 0x8d, 0x68, 0x0a, 0x03, 0xda, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc8, 0xf1, 0x83, 0x2a]);
    nals.push([0x68, 0xce, 0x3c, 0x80]);
  }
  const headBytes = nals.reduce((sum, nal) => sum + START_CODE.length + nal.length, 0);
  const seiBytes = keyframe && firstKeyframe && bytes > 2 * X264_FIRST_IDR_SEI_BYTES ? X264_FIRST_IDR_SEI_BYTES : 0;
  const sliceBytes = Math.max(16, bytes - headBytes - (seiBytes > 0 ? START_CODE.length + seiBytes : 0) - START_CODE.length);
  const unit = Buffer.alloc(headBytes + (seiBytes > 0 ? START_CODE.length + seiBytes : 0) + START_CODE.length + sliceBytes, 1 + (frameId % 251));
  let at = 0;
  for (const nal of nals) {
    unit.set(START_CODE, at);
    unit.set(nal, at + START_CODE.length);
    at += START_CODE.length + nal.length;
  }
  if (seiBytes > 0) {
    unit.set(START_CODE, at);
    unit[at + START_CODE.length] = 0x06; // SEI
    unit[at + START_CODE.length + seiBytes - 1] = 0x80; // rbsp trailing bits
    at += START_CODE.length + seiBytes;
  }
  unit.set(START_CODE, at);
  const slice = at + START_CODE.length;
  unit[slice] = keyframe ? 0x65 : 0x41;
  // slice header as x264 starts it: first_mb_in_slice = 0 (ue(v) "1"), then slice_type (I: 7, P: 5)
  // and pic_parameter_set_id 0; a receiver may take a picture's first slice for the start of its frame
  unit[slice + 1] = keyframe ? 0x88 : 0x9a;
  unit.write(`F${frameId};`, slice + 2, 'latin1');
  return unit;
}
