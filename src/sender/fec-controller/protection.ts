/**
 * Protection factors for key and delta frames, as libwebrtc's VCMFecMethod / VCMNackFecMethod
 * compute them (media_opt_util.cc). Pure: same inputs, same result; no clock.
 *
 * Arithmetic follows libwebrtc's types: values that are C++ `float` are rounded to float32
 * (Math.fround) at the same points and float → integer conversions truncate and saturate, so
 * results match libwebrtc's at bucket edges too.
 */
import { isResolvedProtectionOptions, resolveProtectionOptions, type FecMaskType, type ProtectionOptions, type ResolvedProtectionOptions } from './protection-options.ts';
import { tableFactor } from './rate-table.ts';

/** Loss protection method: FEC only, hybrid NACK+FEC, NACK only, or nothing. */
export type ProtectionMethod = 'fec' | 'nack-fec' | 'nack' | 'none';

/** Inputs of one protection computation. */
export interface ProtectionInput {
  method: ProtectionMethod;
  /** target bitrate of the stream, bps */
  targetBitrateBps: number;
  /** actual (sent) frame rate, frames/s; below 1 counts as 1 */
  frameRateFps: number;
  /** encoded width and height, pixels */
  width: number;
  height: number;
  /** filtered loss, 1/255 units (values above 128 are capped at 128 for the table) */
  lossFraction255: number;
  /** round-trip time, ms */
  rttMs: number;
  /** average packets per delta frame (fractional; ≤ 0 when unknown) */
  packetsPerDeltaFrame: number;
  /** average packets per key frame (fractional; ≤ 0 when unknown) */
  packetsPerKeyFrame: number;
  /** temporal layers, 1..4 (default 1); FEC is sized for the base layer */
  temporalLayers?: number;
}

/** Why protection was turned off or lowered, when it was. */
export type ProtectionLimit = 'method' | 'no-loss' | 'low-rtt' | 'bitrate-too-low' | 'mid-rtt-scaled';

/** Result of computeProtection(). Factors feed NumFec = (n × factor + 128) >> 8 in the FEC encoder. */
export interface ProtectionResult {
  /** delta-frame FEC packets per media packet, 1/255 (after libwebrtc's ConvertFECRate) */
  deltaFactor: number;
  /** key-frame FEC packets per media packet, 1/255 */
  keyFactor: number;
  /** delta factor relative to media + FEC packets, before conversion, 1/255 (0..128) */
  deltaFactorOfTotal: number;
  /** key factor relative to media + FEC packets, before conversion, 1/255 (0..128) */
  keyFactorOfTotal: number;
  /** unequal protection of the first packets; libwebrtc never enables it */
  useUepProtection: { delta: boolean; key: boolean };
  maskType: FecMaskType;
  /** most frames one FEC block may span, frames (1 except in hybrid mode) */
  maxFramesFec: number;
  /** share of the nominal FEC cost expected to go out at low packet counts (libwebrtc's _corrFecCost: 0, 0.5 or 1) */
  fecCostCorrection: number;
  /** base-layer bits per frame, kbits */
  bitsPerFrameKbits: number;
  /** bits per frame scaled by the resolution factor, kbits (table row = (this − 5) / 5) */
  effectiveRateKbits: number;
  /** table rows used for delta and key frames, and the loss column (1/255, ≤ 128) */
  deltaRateIndex: number;
  keyRateIndex: number;
  lossColumn: number;
  /** the rule that lowered or removed FEC, or null */
  limitedBy: ProtectionLimit | null;
}

const f32 = Math.fround;
/** C++ float → uint8_t/uint16_t/int through rtc::saturated_cast: truncate, saturate, NaN → 0. */
const sat = (x: number, max: number): number => (Number.isNaN(x) || x <= 0 ? 0 : x >= max ? max : Math.trunc(x));
/** Table row clamped to 0..maxRow. */
function clampRow(row: number, maxRow: number): number {
  return row <= 0 ? 0 : row > maxRow ? maxRow : row;
}
/** C++ integer division (truncates toward zero). */
const idiv = (a: number, b: number): number => Math.trunc(a / b) | 0;

/** Base-layer bits per frame, kbits (libwebrtc's BitsPerFrame). */
export function bitsPerFrameKbits(input: ProtectionInput, o: ResolvedProtectionOptions): number {
  const layers = Math.max(1, Math.min(input.temporalLayers ?? 1, o.baseLayerRateShare.length));
  const rateShare = f32(o.baseLayerRateShare[layers - 1]!);
  const bitRate = f32(f32(f32(input.targetBitrateBps) / 1000) * rateShare);
  let frameRate = f32(input.frameRateFps * f32(0.5 ** (layers - 1)));
  if (frameRate < 1) frameRate = 1;
  return sat(f32(bitRate / frameRate), 2 ** 31 - 1);
}

/** libwebrtc's ConvertFECRate: factor of total packets → factor of media packets, 1/255. */
export function convertFecRate(factorOfTotal: number): number {
  return sat(Math.min(255, 0.5 + (255 * factorOfTotal) / f32(255 - factorOfTotal)), 255);
}

interface FecFactors {
  delta: number;
  key: number;
  corr: number;
  bpf: number;
  eff: number;
  deltaRow: number;
  keyRow: number;
  lossColumn: number;
}

/** VCMFecMethod::ProtectionFactor: factors relative to total packets, before conversion. */
function fecFactors(input: ProtectionInput, o: ResolvedProtectionOptions): FecFactors {
  const loss = sat(input.lossFraction255, 255);
  const bpf = bitsPerFrameKbits(input, o);
  const spatial = f32(f32(input.width * input.height) / f32(o.referenceWidth * o.referenceHeight));
  const resolutionFactor = f32(1 / f32(Math.pow(spatial, f32(o.resolutionExponent))));
  const eff = sat(f32(resolutionFactor * bpf), 65535);
  const lossColumn = Math.min(loss, o.table.columns - 1);
  const p1 = o.rateBucketKbits;
  const deltaRow = clampRow(idiv(eff - p1, p1), o.maxRateIndex);
  const packetsDelta = sat(0.5 + input.packetsPerDeltaFrame, 255);
  const packetsKey = sat(0.5 + input.packetsPerKeyFrame, 255);
  const boost = Math.max(o.minKeyBoost, packetsDelta > 0 ? idiv(packetsKey, packetsDelta) : 1);
  const keyRow = clampRow(1 + idiv(boost * eff - p1, p1), o.maxRateIndex);
  if (loss === 0) return { delta: 0, key: 0, corr: 1, bpf, eff, deltaRow, keyRow, lossColumn };

  const avgTotalPackets = sat(f32(1.5 + f32(f32(bpf * 1000) / f32(8 * o.maxPayloadBytes))), 255);
  let delta = tableFactor(o.table, deltaRow, lossColumn);
  if (lossColumn > o.lossThreshold && avgTotalPackets > o.packetCountThreshold && delta < o.firstPartitionProtection) {
    delta = o.firstPartitionProtection;
  }
  delta = Math.min(delta, o.maxFactorOfTotal);

  const keyFromTable = tableFactor(o.table, keyRow, lossColumn);
  const boostedDelta = Math.min(Math.trunc(f32(f32(o.keyProtectionScale) * delta)), o.maxFactorOfTotal);
  const key = Math.min(Math.max(lossColumn, boostedDelta, keyFromTable), o.maxFactorOfTotal);

  // Low-count correction: with few packets per frame, rounding in the FEC encoder sends fewer
  // FEC packets than the factor suggests; libwebrtc lowers the cost estimate, not the factor.
  const packetsPerFrame = f32(1 + ((f32(bpf) * 1000) / f32(8 * o.maxPayloadBytes) + 0.5));
  const expectedFecPackets = f32(0.5 + f32(f32(delta * packetsPerFrame) / 255));
  let corr = 1;
  if (expectedFecPackets < f32(1.1) && delta < o.minProtectionForFecCost) corr = 0.5;
  if (expectedFecPackets < f32(0.9) && delta < o.minProtectionForFecCost) corr = 0;
  return { delta, key, corr, bpf, eff, deltaRow, keyRow, lossColumn };
}

/** VCMNackFecMethod::ComputeMaxFramesFec: frames per FEC block so a block completes within ~1 RTT. */
export function maxFramesFecForRtt(input: ProtectionInput, o: ResolvedProtectionOptions): number {
  const layers = Math.max(1, input.temporalLayers ?? 1);
  if (layers > 2) return 1;
  const baseFrameRate = f32(Math.max(1, input.frameRateFps) / f32(2 ** (layers - 1)));
  const frames = Math.max(sat(f32(f32(f32(f32(2 * baseFrameRate) * input.rttMs) / 1000) + 0.5), 2 ** 31 - 1), 1);
  return Math.min(frames, o.maxFramesFecLimit);
}

/** VCMNackFecMethod::BitRateTooLowForFec: hybrid turns FEC off for small frames at moderate RTT. */
export function bitrateTooLowForFec(input: ProtectionInput, bpf: number, o: ResolvedProtectionOptions): boolean {
  const bytesPerFrame = idiv(1000 * bpf, 8);
  const pixels = input.width * input.height;
  const threshold = pixels <= 352 * 288 ? o.minBytesPerFrameLowRes : pixels > 640 * 480 ? o.minBytesPerFrameHighRes : o.minBytesPerFrame;
  return bytesPerFrame < threshold && (input.temporalLayers ?? 1) < 3 && input.rttMs < o.bitrateTooLowMaxRttMs;
}

/**
 * Computes key and delta protection factors for `input.method`. Pass options resolved once
 * (resolveProtectionOptions) on hot paths; plain ProtectionOptions are resolved per call.
 */
export function computeProtection(input: ProtectionInput, options: ProtectionOptions | ResolvedProtectionOptions = {}): ProtectionResult {
  const o = isResolvedProtectionOptions(options) ? options : resolveProtectionOptions(options);
  const ff = fecFactors(input, o);
  let delta = ff.delta;
  let key = ff.key;
  let limitedBy: ProtectionLimit | null = sat(input.lossFraction255, 255) === 0 ? 'no-loss' : null;
  let maxFramesFec = 1;
  let fecCostCorrection = ff.corr;
  if (input.method === 'none' || input.method === 'nack') {
    delta = 0;
    key = 0;
    fecCostCorrection = 1;
    limitedBy = 'method';
  } else if (input.method === 'nack-fec') {
    if (o.lowRttNackMs === null || input.rttMs < o.lowRttNackMs) {
      delta = 0;
      if (!o.keyFecBelowLowRtt) key = 0;
      limitedBy ??= 'low-rtt';
    } else if ((o.highRttNackMs === null || input.rttMs < o.highRttNackMs) && o.midRttDeltaScale < 1) {
      delta = Math.trunc(f32(f32(o.midRttDeltaScale) * delta));
      limitedBy ??= 'mid-rtt-scaled';
    }
    maxFramesFec = maxFramesFecForRtt(input, o);
    if (bitrateTooLowForFec(input, ff.bpf, o)) {
      delta = 0;
      key = 0;
      if (limitedBy !== 'no-loss') limitedBy = 'bitrate-too-low';
    }
  }
  return {
    deltaFactor: convertFecRate(delta),
    keyFactor: convertFecRate(key),
    deltaFactorOfTotal: delta,
    keyFactorOfTotal: key,
    useUepProtection: { delta: false, key: false },
    maskType: o.maskType,
    maxFramesFec,
    fecCostCorrection,
    bitsPerFrameKbits: ff.bpf,
    effectiveRateKbits: ff.eff,
    deltaRateIndex: ff.deltaRow,
    keyRateIndex: ff.keyRow,
    lossColumn: ff.lossColumn,
    limitedBy,
  };
}
