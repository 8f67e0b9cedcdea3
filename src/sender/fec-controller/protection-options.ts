/**
 * Constants of the protection-factor computation, as options. Every default is libwebrtc's
 * (media_opt_util.cc / media_opt_util.h, snapshot 2025-09); the name it has there is given.
 */
import { checkRange } from './errors.ts';
import { defaultFecRateTable, type FecRateTable } from './rate-table.ts';

/** Packet mask family the FEC encoder should use. */
export type FecMaskType = 'random' | 'bursty';

/** Tunables of computeProtection(); all optional, libwebrtc's values by default. */
export interface ProtectionOptions {
  /** rate table (default: libwebrtc's kFecRateTable, 50 × 129) */
  table?: FecRateTable;
  /** width of one effective-rate bucket, kbits per frame (ratePar1 = 5) */
  rateBucketKbits?: number;
  /** highest row index used (ratePar2 = 49); default: table rows − 1 */
  maxRateIndex?: number;
  /** delta-factor floor when loss > lossThreshold and avg packets > packetCountThreshold, 1/255 (firstPartitionProt = 255 × 0.20 → 51) */
  firstPartitionProtection?: number;
  /** loss above which the first-partition floor applies, 1/255 (lossThr = 0) */
  lossThreshold?: number;
  /** average packets per frame above which the floor applies, packets (packetNumThr = 1) */
  packetCountThreshold?: number;
  /** cap for the key and delta factors before conversion, 1/255 (kPacketLossMax − 1 = 128, "50 % is max") */
  maxFactorOfTotal?: number;
  /** minimum key-frame boost of the effective rate, × (boostRateKey = 2 in BoostCodeRateKey) */
  minKeyBoost?: number;
  /** key factor is at least this × delta factor, × (_scaleProtKey = 2.0) */
  keyProtectionScale?: number;
  /** payload size used to count packets per frame, bytes (_maxPayloadSize = 1460) */
  maxPayloadBytes?: number;
  /** delta factor at or above which the low-count cost correction never applies, 1/255 (minProtLevelFec = 85) */
  minProtectionForFecCost?: number;
  /** reference resolution for the resolution factor, pixels (704 × 576) */
  referenceWidth?: number;
  /** reference resolution height, pixels (576) */
  referenceHeight?: number;
  /** resolution factor = (pixels / reference pixels)^−exponent (0.3) */
  resolutionExponent?: number;
  /** hybrid: below this RTT the delta factor is 0, ms; null = always (kLowRttNackMs = 20) */
  lowRttNackMs?: number | null;
  /** hybrid: at or above this RTT FEC is kept unscaled, ms; null = never reached (libwebrtc passes −1) */
  highRttNackMs?: number | null;
  /** hybrid: delta factor scale between the thresholds, × (adjustRtt = 1.0: libwebrtc's adjustment is disabled) */
  midRttDeltaScale?: number;
  /** hybrid: keep the key factor below lowRttNackMs (true in libwebrtc: only the delta factor is zeroed) */
  keyFecBelowLowRtt?: boolean;
  /** hybrid: upper limit of frames one FEC block may span, frames (kUpperLimitFramesFec = 6) */
  maxFramesFecLimit?: number;
  /** hybrid: FEC off below these bytes/frame when RTT < bitrateTooLowMaxRttMs, bytes (kMaxBytesPerFrameForFecLow/ /High = 400/700/1000) */
  minBytesPerFrameLowRes?: number;
  /** bytes/frame threshold for 352×288 < pixels ≤ 640×480, bytes (kMaxBytesPerFrameForFec = 700) */
  minBytesPerFrame?: number;
  /** bytes/frame threshold above 640×480, bytes (kMaxBytesPerFrameForFecHigh = 1000) */
  minBytesPerFrameHighRes?: number;
  /** hybrid: the bytes/frame rule applies only below this RTT, ms (kMaxRttTurnOffFec = 200) */
  bitrateTooLowMaxRttMs?: number;
  /** mask type asked of the FEC encoder (kFecMaskRandom) */
  maskType?: FecMaskType;
  /** base temporal layer's share of the bitrate for 1..4 layers (kLayerRateAllocation[n−1][0] = 1, 0.6, 0.4, 0.25) */
  baseLayerRateShare?: readonly number[];
}

/** Options with every default filled in. */
export type ResolvedProtectionOptions = Required<ProtectionOptions>;

/** libwebrtc's defaults (the table is read lazily from the shipped JSON). */
export const LIBWEBRTC_PROTECTION_DEFAULTS: Omit<ResolvedProtectionOptions, 'table' | 'maxRateIndex'> = {
  rateBucketKbits: 5,
  firstPartitionProtection: 51,
  lossThreshold: 0,
  packetCountThreshold: 1,
  maxFactorOfTotal: 128,
  minKeyBoost: 2,
  keyProtectionScale: 2,
  maxPayloadBytes: 1460,
  minProtectionForFecCost: 85,
  referenceWidth: 704,
  referenceHeight: 576,
  resolutionExponent: 0.3,
  lowRttNackMs: 20,
  highRttNackMs: null,
  midRttDeltaScale: 1,
  keyFecBelowLowRtt: true,
  maxFramesFecLimit: 6,
  minBytesPerFrameLowRes: 400,
  minBytesPerFrame: 700,
  minBytesPerFrameHighRes: 1000,
  bitrateTooLowMaxRttMs: 200,
  maskType: 'random',
  baseLayerRateShare: [1, 0.6, 0.4, 0.25],
};

/** Fills defaults and checks ranges; throws FecControllerError naming the bad option. */
export function resolveProtectionOptions(options: ProtectionOptions = {}): ResolvedProtectionOptions {
  const table = options.table ?? defaultFecRateTable();
  const o: ResolvedProtectionOptions = { ...LIBWEBRTC_PROTECTION_DEFAULTS, maxRateIndex: table.rows - 1, ...stripUndefined(options), table };
  checkRange('rateBucketKbits', o.rateBucketKbits, 1);
  checkRange('maxRateIndex', o.maxRateIndex, 0, table.rows - 1);
  checkRange('firstPartitionProtection', o.firstPartitionProtection, 0, 255);
  checkRange('lossThreshold', o.lossThreshold, 0, 255);
  checkRange('packetCountThreshold', o.packetCountThreshold, 0, 255);
  checkRange('maxFactorOfTotal', o.maxFactorOfTotal, 0, 254);
  checkRange('minKeyBoost', o.minKeyBoost, 1, 255);
  checkRange('keyProtectionScale', o.keyProtectionScale, 0);
  checkRange('maxPayloadBytes', o.maxPayloadBytes, 1);
  checkRange('minProtectionForFecCost', o.minProtectionForFecCost, 0, 256);
  checkRange('referenceWidth', o.referenceWidth, 1);
  checkRange('referenceHeight', o.referenceHeight, 1);
  checkRange('resolutionExponent', o.resolutionExponent, 0);
  if (o.lowRttNackMs !== null) checkRange('lowRttNackMs', o.lowRttNackMs, 0);
  if (o.highRttNackMs !== null) checkRange('highRttNackMs', o.highRttNackMs, o.lowRttNackMs ?? 0);
  checkRange('midRttDeltaScale', o.midRttDeltaScale, 0, 1);
  checkRange('maxFramesFecLimit', o.maxFramesFecLimit, 1);
  checkRange('bitrateTooLowMaxRttMs', o.bitrateTooLowMaxRttMs, 0);
  if (o.baseLayerRateShare.length === 0) checkRange('baseLayerRateShare.length', 0, 1);
  o.baseLayerRateShare.forEach((share, i) => checkRange(`baseLayerRateShare[${i}]`, share, 0, 1));
  resolved.add(o);
  return o;
}

const resolved = new WeakSet<object>();

/** True for objects returned by resolveProtectionOptions (so hot paths skip re-validation). */
export function isResolvedProtectionOptions(options: ProtectionOptions): options is ResolvedProtectionOptions {
  return resolved.has(options);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
