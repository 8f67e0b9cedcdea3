/**
 * FEC controller (libwebrtc's FecControllerDefault + VCMLossProtectionLogic), sans-I/O: the
 * caller passes time, the bandwidth estimate, loss and RTT reports, encoded frame sizes and the
 * protection bitrates actually sent; the controller returns the FEC parameters for key and delta
 * frames and the bitrate left for the encoder after protection overhead (capped at 50 %).
 */
import { nackFecMethod, fecMethod, type MethodDecision, type ProtectionMode, LIBWEBRTC_NACK_FEC, type NackFecConfig } from './methods.ts';
import { MaxLossFilter, LIBWEBRTC_MAX_LOSS_FILTER, type MaxLossFilterConfig } from './loss-filter.ts';
import { LIBWEBRTC_FEC_METHOD, type FecMethodConfig, type ProtectionParameters } from './protection-factor.ts';
import { defaultFecRateTable, type FecRateTable } from './rate-table.ts';

/** FEC parameters for one frame type, handed to the RTP sender. */
export interface FecProtectionParams {
  /** Protection factor relative to media packets, 1/255 (NumFec's input). */
  readonly fecRate: number;
  /** Most frames one FEC block may span. */
  readonly maxFecFrames: number;
  /** Packet mask table; libwebrtc always uses 'random'. */
  readonly maskType: 'random' | 'bursty';
}

/** One bandwidth/loss update. */
export interface FecRateUpdate {
  readonly nowMs: number;
  /** Bandwidth available to video, bit/s. */
  readonly estimatedBitrateBps: number;
  /** Frame rate actually sent, frames/s. */
  readonly frameRate: number;
  /** Loss reported by the receiver (RTCP fraction lost), 1/255. */
  readonly fractionLost255: number;
  readonly rttMs: number;
  /** What was sent over the last second, bit/s: media, NACK retransmissions, FEC. */
  readonly sentVideoBps: number;
  readonly sentNackBps: number;
  readonly sentFecBps: number;
}

/** Result of an update. */
export interface FecRateDecision {
  readonly key: FecProtectionParams;
  readonly delta: FecProtectionParams;
  /** Filtered loss used, 1/255. */
  readonly filteredLoss255: number;
  /** Encoder bitrate after subtracting the protection overhead, bit/s. */
  readonly sourceBitrateBps: number;
}

/** Strategy interface: the default controller and the null one. */
export interface FecController {
  setProtectionMode(mode: ProtectionMode): void;
  /** Coded size, temporal layers and largest RTP payload (bytes). */
  setEncodingData(width: number, height: number, numTemporalLayers: number, maxPayloadBytes: number): void;
  /** An encoded frame of `bytes` bytes left the encoder at `nowMs`. */
  onEncodedFrame(bytes: number, isKeyFrame: boolean, nowMs: number): void;
  update(input: FecRateUpdate): FecRateDecision;
}

/** Configuration (every constant of libwebrtc's logic, overridable). */
export interface FecControllerConfig {
  readonly table: FecRateTable;
  readonly fecMethod: FecMethodConfig;
  readonly nackFec: NackFecConfig;
  readonly lossFilter: MaxLossFilterConfig;
  /** Cap on the protection overhead share of the bitrate (kProtectionOverheadRateThreshold 0.5). */
  readonly overheadCap: number;
  /** Per-ms weight of the packets-per-frame exponential filter (0.9999). */
  readonly packetsPerFrameAlpha: number;
}

/** libwebrtc's defaults, with its shipped rate table. */
export function libwebrtcFecControllerConfig(): FecControllerConfig {
  return {
    table: defaultFecRateTable(),
    fecMethod: LIBWEBRTC_FEC_METHOD,
    nackFec: LIBWEBRTC_NACK_FEC,
    lossFilter: LIBWEBRTC_MAX_LOSS_FILTER,
    overheadCap: 0.5,
    packetsPerFrameAlpha: 0.9999,
  };
}

/** rtc::ExpFilter with time-weighted exponent: unset until the first sample. */
class ExpFilter {
  value: number | undefined;
  private lastMs: number | undefined;
  constructor(private readonly alpha: number) {}
  apply(sample: number, nowMs: number): void {
    if (this.value === undefined || this.lastMs === undefined) this.value = sample;
    else {
      const weight = this.alpha ** (nowMs - this.lastMs);
      this.value = weight * this.value + (1 - weight) * sample;
    }
    this.lastMs = nowMs;
  }
}

const NO_FEC = (maxFecFrames: number): FecProtectionParams => ({ fecRate: 0, maxFecFrames, maskType: 'random' });

/** libwebrtc's FecControllerDefault behaviour. */
export class DefaultFecController implements FecController {
  private mode: ProtectionMode = 'none';
  private width = 640;
  private height = 480;
  private numTemporalLayers = 1;
  private maxPayloadBytes = 1460;
  private readonly lossFilter: MaxLossFilter;
  private readonly packetsPerFrame: ExpFilter;
  private readonly packetsPerFrameKey: ExpFilter;

  constructor(private readonly config: FecControllerConfig = libwebrtcFecControllerConfig()) {
    this.lossFilter = new MaxLossFilter(config.lossFilter);
    this.packetsPerFrame = new ExpFilter(config.packetsPerFrameAlpha);
    this.packetsPerFrameKey = new ExpFilter(config.packetsPerFrameAlpha);
  }

  setProtectionMode(mode: ProtectionMode): void {
    this.mode = mode;
  }

  setEncodingData(width: number, height: number, numTemporalLayers: number, maxPayloadBytes: number): void {
    this.width = width;
    this.height = height;
    this.numTemporalLayers = Math.max(1, numTemporalLayers);
    this.maxPayloadBytes = maxPayloadBytes;
  }

  onEncodedFrame(bytes: number, isKeyFrame: boolean, nowMs: number): void {
    if (bytes <= 0 || this.maxPayloadBytes <= 0) return;
    (isKeyFrame ? this.packetsPerFrameKey : this.packetsPerFrame).apply(bytes / this.maxPayloadBytes, nowMs);
  }

  /** Protection inputs as the methods see them. */
  parameters(input: FecRateUpdate, loss255: number): ProtectionParameters {
    return {
      bitrateKbps: input.estimatedBitrateBps / 1000,
      frameRate: Math.max(1, input.frameRate),
      loss255,
      rttMs: input.rttMs,
      width: this.width,
      height: this.height,
      packetsPerFrame: this.packetsPerFrame.value ?? -1,
      packetsPerFrameKey: this.packetsPerFrameKey.value ?? -1,
      numTemporalLayers: this.numTemporalLayers,
      maxPayloadBytes: this.maxPayloadBytes,
    };
  }

  update(input: FecRateUpdate): FecRateDecision {
    const filteredLoss255 = this.lossFilter.update(input.fractionLost255, input.nowMs);
    if (this.mode === 'none') {
      return { key: NO_FEC(1), delta: NO_FEC(1), filteredLoss255, sourceBitrateBps: input.estimatedBitrateBps };
    }
    const p = this.parameters(input, filteredLoss255);
    let decision: MethodDecision;
    if (this.mode === 'fec') decision = fecMethod(p, this.config.table, this.config.fecMethod);
    else if (this.mode === 'nack-fec') decision = nackFecMethod(p, this.config.table, this.config.nackFec, this.config.fecMethod);
    else decision = { keyFactor: 0, deltaFactor: 0, maxFecFrames: 1, costCorrection: 1 };
    const sentTotal = input.sentVideoBps + input.sentNackBps + input.sentFecBps;
    let overhead = sentTotal > 0 ? (input.sentNackBps + input.sentFecBps) / sentTotal : 0;
    overhead = Math.min(overhead, this.config.overheadCap);
    return {
      key: { fecRate: decision.keyFactor, maxFecFrames: decision.maxFecFrames, maskType: 'random' },
      delta: { fecRate: decision.deltaFactor, maxFecFrames: decision.maxFecFrames, maskType: 'random' },
      filteredLoss255,
      sourceBitrateBps: input.estimatedBitrateBps * (1 - overhead),
    };
  }
}

/** Never protects; the whole estimate goes to the encoder. For tests and FEC-off runs. */
export class NullFecController implements FecController {
  setProtectionMode(): void {}
  setEncodingData(): void {}
  onEncodedFrame(): void {}
  update(input: FecRateUpdate): FecRateDecision {
    return { key: NO_FEC(1), delta: NO_FEC(1), filteredLoss255: input.fractionLost255, sourceBitrateBps: input.estimatedBitrateBps };
  }
}
