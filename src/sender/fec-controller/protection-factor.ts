/**
 * FEC protection factors as libwebrtc's VCMFecMethod computes them (media_opt_util.cc,
 * described in seed 004): table lookup by effective bits per frame (scaled by resolution) and
 * filtered loss, the 20 % first-partition floor, the key-frame boost, the 50 % caps and the
 * low-packet-count cost correction; then ConvertFECRate (factor relative to total packets →
 * relative to media packets, what the RTP sender's NumFec uses).
 *
 * Integer steps follow libwebrtc's casts: `sat8`/`sat16` are rtc::saturated_cast to uint8/uint16
 * (clamp, then truncate toward zero); float steps use float32 rounding (Math.fround) like the C++.
 */
import { lookupFecRate, type FecRateTable } from './rate-table.ts';

/** Inputs of one protection computation (libwebrtc's VCMProtectionParameters). */
export interface ProtectionParameters {
  /** Target encoder bitrate, kbit/s. */
  readonly bitrateKbps: number;
  /** Frame rate, frames/s. */
  readonly frameRate: number;
  /** Filtered packet loss, 1/255 units. */
  readonly loss255: number;
  /** Round-trip time, ms. */
  readonly rttMs: number;
  /** Coded size in pixels. */
  readonly width: number;
  readonly height: number;
  /** Filtered packets per delta frame (negative = unknown yet). */
  readonly packetsPerFrame: number;
  /** Filtered packets per key frame (negative = unknown yet). */
  readonly packetsPerFrameKey: number;
  /** Temporal layers (1 = none). */
  readonly numTemporalLayers: number;
  /** Largest RTP payload, bytes (libwebrtc's default 1460). */
  readonly maxPayloadBytes: number;
}

/** Constants of VCMFecMethod, as plain configuration. */
export interface FecMethodConfig {
  /** Rate bucket width and offset, kbit per frame (libwebrtc ratePar1 = 5). */
  readonly ratePar1: number;
  /** Highest rate bucket (ratePar2 = 49). */
  readonly ratePar2: number;
  /** Floor for delta protection once there is loss and > 1 packet per frame (255 × 0.20 = 51). */
  readonly firstPartitionProtection: number;
  /** Cap on factors before conversion: kPacketLossMax − 1 = 128 (50 %). */
  readonly maxFactor: number;
  /** Key-frame boost over the delta factor (_scaleProtKey = 2). */
  readonly keyScale: number;
  /** Below this delta factor the cost correction may apply (minProtLevelFec = 85). */
  readonly minProtectionLevelFec: number;
  /** Reference size for resolution scaling, pixels (704 × 576), and its exponent (0.3). */
  readonly referencePixels: number;
  readonly resolutionExponent: number;
}

/** libwebrtc's values. */
export const LIBWEBRTC_FEC_METHOD: FecMethodConfig = {
  ratePar1: 5,
  ratePar2: 49,
  firstPartitionProtection: 51,
  maxFactor: 128,
  keyScale: 2,
  minProtectionLevelFec: 85,
  referencePixels: 704 * 576,
  resolutionExponent: 0.3,
};

/** Protection factors before conversion, relative to total (media + FEC) packets. */
export interface FecFactors {
  /** Key-frame factor, 1/255. */
  readonly key: number;
  /** Delta-frame factor, 1/255. */
  readonly delta: number;
  /** Multiplier on the FEC cost estimate (1, 0.5 or 0): low-packet-count correction. */
  readonly costCorrection: number;
}

const f32 = Math.fround;

/** rtc::saturated_cast<uint8_t>. */
export function sat8(value: number): number {
  return Math.trunc(Math.min(255, Math.max(0, value)));
}

/** rtc::saturated_cast<uint16_t>. */
export function sat16(value: number): number {
  return Math.trunc(Math.min(65535, Math.max(0, value)));
}

/**
 * Base-layer share of the bitrate with `layers` temporal layers (libwebrtc's
 * SimulcastRateAllocator::GetTemporalRateAllocation(layers, 0)).
 */
export function baseLayerRateShare(layers: number): number {
  return [1, 0.6, 0.4, 0.25][Math.min(4, Math.max(1, layers)) - 1]!;
}

/** Average kbit per (base-layer) frame, truncated to an integer (VCMFecMethod::BitsPerFrame). */
export function bitsPerFrameKbits(p: ProtectionParameters): number {
  const layers = Math.max(1, p.numTemporalLayers);
  const bitrate = f32(p.bitrateKbps * f32(baseLayerRateShare(layers)));
  let frameRate = f32(p.frameRate * f32(0.5 ** (layers - 1)));
  if (frameRate < 1) frameRate = 1;
  return Math.trunc(f32(bitrate / frameRate));
}

/** Key/delta packet-count ratio, at least 2 (VCMFecMethod::BoostCodeRateKey). */
export function boostCodeRateKey(packetsPerDeltaFrame: number, packetsPerKeyFrame: number): number {
  const ratio = packetsPerDeltaFrame > 0 ? sat8(Math.trunc(packetsPerKeyFrame / packetsPerDeltaFrame)) : 1;
  return Math.max(2, ratio);
}

/** Factor relative to total packets → relative to media packets (VCMFecMethod::ConvertFECRate). */
export function convertFecRate(codeRate: number): number {
  if (codeRate >= 255) return 255;
  return sat8(Math.min(255, 0.5 + (255 * codeRate) / f32(255 - codeRate)));
}

/** VCMFecMethod::ProtectionFactor. */
export function fecProtectionFactors(
  p: ProtectionParameters,
  table: FecRateTable,
  config: FecMethodConfig = LIBWEBRTC_FEC_METHOD,
): FecFactors {
  let packetLoss = sat8(p.loss255);
  if (packetLoss === 0) return { key: 0, delta: 0, costCorrection: 1 };
  const { ratePar1, ratePar2, maxFactor } = config;
  const spatialSizeToRef = f32(f32(p.width * p.height) / f32(config.referencePixels));
  const resolutionFactor = f32(1 / f32(Math.pow(spatialSizeToRef, f32(config.resolutionExponent))));
  const bitsPerFrame = bitsPerFrameKbits(p);
  const avgTotalPackets = sat8(f32(1.5 + f32((bitsPerFrame * 1000) / (8 * p.maxPayloadBytes))));
  const effectiveRate = sat16(f32(resolutionFactor * bitsPerFrame));
  const rateIndex = sat8(Math.max(Math.min(Math.trunc((effectiveRate - ratePar1) / ratePar1), ratePar2), 0));
  if (packetLoss >= maxFactor + 1) packetLoss = maxFactor;

  let delta = lookupFecRate(table, rateIndex, packetLoss);
  if (packetLoss > 0 && avgTotalPackets > 1) delta = Math.max(delta, config.firstPartitionProtection);
  if (delta > maxFactor) delta = maxFactor;

  const packetsDelta = sat8(0.5 + p.packetsPerFrame);
  const packetsKey = sat8(0.5 + p.packetsPerFrameKey);
  const boost = boostCodeRateKey(packetsDelta, packetsKey);
  const keyRateIndex = sat8(
    Math.max(Math.min(1 + Math.trunc((boost * effectiveRate - ratePar1) / ratePar1), ratePar2), 0),
  );
  let key = lookupFecRate(table, keyRateIndex, packetLoss);
  const boostedDelta = Math.min(Math.trunc(config.keyScale * delta), maxFactor);
  key = sat8(Math.max(packetLoss, boostedDelta, key));
  if (key > maxFactor) key = maxFactor;

  // Low packet counts: rounding in the RTP sender may send no FEC at all; lower the cost.
  const numPackets = f32(1 + ((bitsPerFrame * 1000) / (8 * p.maxPayloadBytes) + 0.5));
  const estimatedFecPackets = f32(0.5 + f32((delta * numPackets) / 255));
  let costCorrection = 1;
  if (estimatedFecPackets < f32(1.1) && delta < config.minProtectionLevelFec) costCorrection = 0.5;
  if (estimatedFecPackets < f32(0.9) && delta < config.minProtectionLevelFec) costCorrection = 0;
  return { key, delta, costCorrection };
}
