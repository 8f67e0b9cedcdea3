/**
 * FEC controller: libwebrtc's FecControllerDefault as a sans-I/O unit. Each update takes the
 * target bitrate, reported loss, RTT, frame rate and the current time; it filters the loss,
 * computes key/delta protection and splits the target into media and protection bitrate.
 * It owns no timers: nothing changes between updates, so there is no pollTimeout().
 */
import { checkRange } from './errors.ts';
import { clampLoss255, createLossFilter, type LossFilter, type LossFilterOptions } from './loss-filter.ts';
import { PacketsPerFrame } from './packets-per-frame.ts';
import { computeProtection, type ProtectionMethod, type ProtectionResult } from './protection.ts';
import { resolveProtectionOptions, type FecMaskType, type ProtectionOptions, type ResolvedProtectionOptions } from './protection-options.ts';

/** What the FEC encoder needs for one frame type (libwebrtc's FecProtectionParams). */
export interface FecProtectionParams {
  /** FEC packets per media packet, 1/255 units */
  fecRate: number;
  /** most frames one FEC block may span, frames */
  maxFecFrames: number;
  maskType: FecMaskType;
}

/** Rates the sender measured over the last second, bps (libwebrtc's ProtectionRequest outputs). */
export interface SentRates {
  videoBps: number;
  nackBps: number;
  fecBps: number;
}

/** One controller update (libwebrtc's UpdateFecRates). */
export interface FecControllerUpdate {
  /** current time, ms */
  nowMs: number;
  /** target bitrate from the BWE, bps */
  targetBitrateBps: number;
  /** reported loss, 1/255 units (unfiltered) */
  lossFraction255: number;
  /** round-trip time, ms */
  rttMs: number;
  /** actual sent frame rate, frames/s (below 1 counts as 1) */
  frameRateFps: number;
  /** measured send rates; without them the overhead is 0 or predicted (see config) */
  sentRates?: SentRates;
  /** override the tracked packets per delta / key frame (packets) */
  packetsPerDeltaFrame?: number;
  packetsPerKeyFrame?: number;
}

/** Result of one update. */
export interface FecControllerOutput {
  delta: FecProtectionParams;
  key: FecProtectionParams;
  /** loss after the max-window filter, 1/255 */
  filteredLoss255: number;
  /** source coding rate left for the encoder, bps */
  mediaBitrateBps: number;
  /** target − media: bitrate set aside for FEC and NACK, bps */
  protectionBitrateBps: number;
  /** protection share of the target used for the split, 0..overheadCap */
  protectionOverheadRate: number;
  /** where protectionOverheadRate came from */
  overheadSource: 'measured' | 'predicted' | 'none';
  /** the full protection computation (diagnostics) */
  protection: ProtectionResult;
}

/** Encoder settings the controller needs (libwebrtc's SetEncodingData). */
export interface EncodingData {
  /** encoded size, pixels */
  width: number;
  height: number;
  /** temporal layers, 1..4 */
  temporalLayers?: number;
  /** max RTP payload, bytes: divides encoded frame sizes into packets */
  maxPayloadBytes?: number;
}

/** A FEC controller strategy. */
export interface FecController {
  setMethod(method: ProtectionMethod): void;
  setEncodingData(data: EncodingData): void;
  /** One encoded frame (bytes) at `nowMs`; feeds the packets-per-frame averages. */
  onEncodedFrame(frame: { sizeBytes: number; isKeyFrame: boolean; nowMs: number }): void;
  update(input: FecControllerUpdate): FecControllerOutput;
}

/** Configuration of the real controller; all fields optional, libwebrtc's defaults. */
export interface FecControllerConfig {
  /** protection method (default 'nack-fec': both FEC and NACK negotiated) */
  method?: ProtectionMethod;
  /** initial encoding data (default 704 × 576, 1 layer, 1460-byte payloads, as libwebrtc starts) */
  encoding?: EncodingData;
  protection?: ProtectionOptions;
  lossFilter?: LossFilterOptions;
  /** cap on the protection share of the target, 0..1 (kProtectionOverheadRateThreshold = 0.5) */
  overheadCap?: number;
  /** without sentRates: 'none' = overhead 0 (libwebrtc), 'predicted' = from the delta factor × cost correction */
  overheadWithoutMeasurement?: 'none' | 'predicted';
  /** weight kept per elapsed ms in the packets-per-frame averages (0.9999) */
  packetsPerFrameAlphaPerMs?: number;
}

const noFec = (maskType: FecMaskType): FecProtectionParams => ({ fecRate: 0, maxFecFrames: 1, maskType });

/** libwebrtc's FecControllerDefault behaviour. */
export class DefaultFecController implements FecController {
  private method: ProtectionMethod;
  private encoding: Required<EncodingData>;
  private readonly options: ResolvedProtectionOptions;
  private readonly lossFilter: LossFilter;
  private readonly packetsPerFrame: PacketsPerFrame;
  private readonly overheadCap: number;
  private readonly predictOverhead: boolean;

  constructor(config: FecControllerConfig = {}) {
    this.method = config.method ?? 'nack-fec';
    this.encoding = { width: 704, height: 576, temporalLayers: 1, maxPayloadBytes: 1460 };
    this.setEncodingData(config.encoding ?? this.encoding);
    this.options = resolveProtectionOptions(config.protection);
    this.lossFilter = createLossFilter(config.lossFilter);
    this.packetsPerFrame = new PacketsPerFrame(checkRange('packetsPerFrameAlphaPerMs', config.packetsPerFrameAlphaPerMs ?? 0.9999, 0, 1));
    this.overheadCap = checkRange('overheadCap', config.overheadCap ?? 0.5, 0, 1);
    this.predictOverhead = config.overheadWithoutMeasurement === 'predicted';
  }

  setMethod(method: ProtectionMethod): void {
    this.method = method;
  }

  setEncodingData(data: EncodingData): void {
    this.encoding = {
      width: checkRange('encoding.width', data.width, 1),
      height: checkRange('encoding.height', data.height, 1),
      temporalLayers: checkRange('encoding.temporalLayers', data.temporalLayers ?? 1, 1, 4),
      maxPayloadBytes: checkRange('encoding.maxPayloadBytes', data.maxPayloadBytes ?? this.encoding.maxPayloadBytes, 1),
    };
  }

  onEncodedFrame(frame: { sizeBytes: number; isKeyFrame: boolean; nowMs: number }): void {
    this.packetsPerFrame.onEncodedFrame(frame.sizeBytes, frame.isKeyFrame, this.encoding.maxPayloadBytes, frame.nowMs);
  }

  update(input: FecControllerUpdate): FecControllerOutput {
    const target = Math.max(0, input.targetBitrateBps);
    const frameRateFps = Math.max(1, input.frameRateFps);
    const filteredLoss255 = this.lossFilter.update(input.lossFraction255, input.nowMs);
    const protection = computeProtection(
      {
        method: this.method,
        targetBitrateBps: target,
        frameRateFps,
        width: this.encoding.width,
        height: this.encoding.height,
        temporalLayers: this.encoding.temporalLayers,
        lossFraction255: filteredLoss255,
        rttMs: input.rttMs,
        packetsPerDeltaFrame: input.packetsPerDeltaFrame ?? this.packetsPerFrame.deltaPackets(),
        packetsPerKeyFrame: input.packetsPerKeyFrame ?? this.packetsPerFrame.keyPackets(),
      },
      this.options,
    );
    const maskType = this.options.maskType;
    const delta = { fecRate: protection.deltaFactor, maxFecFrames: protection.maxFramesFec, maskType };
    const key = { fecRate: protection.keyFactor, maxFecFrames: protection.maxFramesFec, maskType };
    if (this.method === 'none') {
      return { delta: noFec(maskType), key: noFec(maskType), filteredLoss255, mediaBitrateBps: target, protectionBitrateBps: 0, protectionOverheadRate: 0, overheadSource: 'none', protection };
    }
    let overhead = 0;
    let overheadSource: FecControllerOutput['overheadSource'] = 'none';
    const sent = input.sentRates;
    const sentTotal = sent ? sent.videoBps + sent.nackBps + sent.fecBps : 0;
    if (sent && sentTotal > 0) {
      overhead = (sent.nackBps + sent.fecBps) / sentTotal;
      overheadSource = 'measured';
    } else if (this.predictOverhead) {
      overhead = (protection.fecCostCorrection * protection.deltaFactorOfTotal) / 255;
      overheadSource = 'predicted';
    }
    overhead = Math.min(overhead, this.overheadCap);
    const mediaBitrateBps = Math.trunc(target * (1 - overhead));
    return { delta, key, filteredLoss255, mediaBitrateBps, protectionBitrateBps: target - mediaBitrateBps, protectionOverheadRate: overhead, overheadSource, protection };
  }
}

/** Controller that never asks for FEC and gives the whole target to media (tests, FEC-off runs). */
export class NullFecController implements FecController {
  setMethod(): void {}
  setEncodingData(): void {}
  onEncodedFrame(): void {}
  update(input: FecControllerUpdate): FecControllerOutput {
    const target = Math.max(0, input.targetBitrateBps);
    const zero = { fecRate: 0, maxFecFrames: 1, maskType: 'random' as const };
    const protection: ProtectionResult = {
      deltaFactor: 0, keyFactor: 0, deltaFactorOfTotal: 0, keyFactorOfTotal: 0,
      useUepProtection: { delta: false, key: false }, maskType: 'random', maxFramesFec: 1, fecCostCorrection: 1,
      bitsPerFrameKbits: 0, effectiveRateKbits: 0, deltaRateIndex: 0, keyRateIndex: 0, lossColumn: 0, limitedBy: 'method',
    };
    return { delta: zero, key: { ...zero }, filteredLoss255: clampLoss255(input.lossFraction255), mediaBitrateBps: target, protectionBitrateBps: 0, protectionOverheadRate: 0, overheadSource: 'none', protection };
  }
}

/** Builds the real controller, or the null one when `config` is 'null'. */
export function createFecController(config: FecControllerConfig | 'null' = {}): FecController {
  return config === 'null' ? new NullFecController() : new DefaultFecController(config);
}
