/**
 * Average packets per frame, from encoded frame sizes, as libwebrtc's FecControllerDefault
 * tracks them (UpdateWithEncodedData → rtc::ExpFilter with alpha 0.9999 per ms). Sans-I/O.
 */

/** Exponential filter whose weight decays per elapsed ms: w = alphaPerMs^(Δms). */
export class ElapsedTimeExpFilter {
  private value: number | undefined;
  private lastMs = 0;

  /** `alphaPerMs` in (0, 1]: weight kept per elapsed ms. */
  constructor(private readonly alphaPerMs: number) {}

  /** Folds `sample` in at `nowMs`; the first sample is taken as is. Returns the filtered value. */
  apply(sample: number, nowMs: number): number {
    const elapsedMs = nowMs - this.lastMs;
    this.lastMs = nowMs;
    if (this.value === undefined) {
      this.value = sample;
    } else {
      const weight = Math.pow(this.alphaPerMs, elapsedMs);
      this.value = weight * this.value + (1 - weight) * sample;
    }
    return this.value;
  }

  /** Filtered value, or undefined before the first sample. */
  filtered(): number | undefined {
    return this.value;
  }
}

/** Packets-per-frame trackers for delta and key frames (packets, fractional). */
export class PacketsPerFrame {
  private readonly delta: ElapsedTimeExpFilter;
  private readonly key: ElapsedTimeExpFilter;

  /** `alphaPerMs`: weight kept per elapsed ms (libwebrtc: 0.9999). */
  constructor(alphaPerMs: number) {
    this.delta = new ElapsedTimeExpFilter(alphaPerMs);
    this.key = new ElapsedTimeExpFilter(alphaPerMs);
  }

  /** One encoded frame of `sizeBytes` bytes; packets = sizeBytes / maxPayloadBytes (not rounded up, as libwebrtc). */
  onEncodedFrame(sizeBytes: number, isKeyFrame: boolean, maxPayloadBytes: number, nowMs: number): void {
    if (!(sizeBytes > 0) || !(maxPayloadBytes > 0)) return;
    (isKeyFrame ? this.key : this.delta).apply(sizeBytes / maxPayloadBytes, nowMs);
  }

  /** Average packets per delta frame; −1 before any (libwebrtc's kValueUndefined, which counts as 0). */
  deltaPackets(): number {
    return this.delta.filtered() ?? -1;
  }

  /** Average packets per key frame; −1 before any. */
  keyPackets(): number {
    return this.key.filtered() ?? -1;
  }
}
