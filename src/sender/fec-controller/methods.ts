/**
 * Protection methods as libwebrtc's VCMLossProtectionLogic selects them: FEC only
 * (VCMFecMethod), NACK only, and hybrid NACK+FEC (VCMNackFecMethod), which uses the same
 * factors but switches FEC off for delta frames at low RTT (NACK repairs in time) and entirely
 * when the bitrate is too low for FEC to pay off.
 */
import { convertFecRate, fecProtectionFactors, bitsPerFrameKbits, type FecMethodConfig, type ProtectionParameters, LIBWEBRTC_FEC_METHOD } from './protection-factor.ts';
import type { FecRateTable } from './rate-table.ts';

/** Which loss protection is on (FecControllerDefault::SetProtectionMethod). */
export type ProtectionMode = 'none' | 'nack' | 'fec' | 'nack-fec';

/** What a method asks of the RTP sender. */
export interface MethodDecision {
  /** Key-frame FEC factor relative to media packets, 1/255 (feeds NumFec). */
  readonly keyFactor: number;
  /** Delta-frame FEC factor relative to media packets, 1/255. */
  readonly deltaFactor: number;
  /** Most frames one FEC block may span. */
  readonly maxFecFrames: number;
  /** Low-packet-count multiplier on the FEC cost estimate (1, 0.5, 0). */
  readonly costCorrection: number;
}

/** Thresholds of the hybrid method (libwebrtc's values in {@link LIBWEBRTC_NACK_FEC}). */
export interface NackFecConfig {
  /** Below this RTT, delta frames get no FEC (kLowRttNackMs = 20); -1: never. */
  readonly lowRttNackMs: number;
  /** Above this RTT FEC runs unchanged (libwebrtc passes -1: no upper threshold). */
  readonly highRttNackMs: number;
  /** FEC is off when bytes per frame are below the limit and RTT is below this (200 ms). */
  readonly maxRttTurnOffFecMs: number;
  /** Bytes per frame under which FEC is off: ≤ 352×288 px, up to 640×480 px, larger. */
  readonly maxBytesPerFrameLow: number;
  readonly maxBytesPerFrame: number;
  readonly maxBytesPerFrameHigh: number;
  /** Upper bound on frames per FEC block (kUpperLimitFramesFec = 6). */
  readonly upperLimitFramesFec: number;
}

export const LIBWEBRTC_NACK_FEC: NackFecConfig = {
  lowRttNackMs: 20,
  highRttNackMs: -1,
  maxRttTurnOffFecMs: 200,
  maxBytesPerFrameLow: 400,
  maxBytesPerFrame: 700,
  maxBytesPerFrameHigh: 1000,
  upperLimitFramesFec: 6,
};

/** VCMFecMethod::UpdateParameters: factors, converted; one frame per FEC block. */
export function fecMethod(p: ProtectionParameters, table: FecRateTable, config: FecMethodConfig = LIBWEBRTC_FEC_METHOD): MethodDecision {
  const factors = fecProtectionFactors(p, table, config);
  return {
    keyFactor: convertFecRate(factors.key),
    deltaFactor: convertFecRate(factors.delta),
    maxFecFrames: 1,
    costCorrection: factors.costCorrection,
  };
}

/** VCMNackFecMethod::BitRateTooLowForFec. */
export function bitrateTooLowForFec(p: ProtectionParameters, config: NackFecConfig = LIBWEBRTC_NACK_FEC): boolean {
  const bytesPerFrame = Math.trunc((1000 * bitsPerFrameKbits(p)) / 8);
  const pixels = p.width * p.height;
  let limit = config.maxBytesPerFrame;
  if (pixels <= 352 * 288) limit = config.maxBytesPerFrameLow;
  else if (pixels > 640 * 480) limit = config.maxBytesPerFrameHigh;
  return bytesPerFrame < limit && p.numTemporalLayers < 3 && p.rttMs < config.maxRttTurnOffFecMs;
}

/** VCMNackFecMethod::ComputeMaxFramesFec: about one RTT of base-layer frames, 1..6. */
export function maxFramesFec(p: ProtectionParameters, config: NackFecConfig = LIBWEBRTC_NACK_FEC): number {
  if (p.numTemporalLayers > 2) return 1;
  const baseFrameRate = p.frameRate / 2 ** (Math.max(1, p.numTemporalLayers) - 1);
  const frames = Math.max(Math.trunc((2 * baseFrameRate * p.rttMs) / 1000 + 0.5), 1);
  return Math.min(frames, config.upperLimitFramesFec);
}

/** VCMNackFecMethod::UpdateParameters. */
export function nackFecMethod(
  p: ProtectionParameters,
  table: FecRateTable,
  config: NackFecConfig = LIBWEBRTC_NACK_FEC,
  fecConfig: FecMethodConfig = LIBWEBRTC_FEC_METHOD,
): MethodDecision {
  const factors = fecProtectionFactors(p, table, fecConfig);
  let key = factors.key;
  let delta = factors.delta;
  if (config.lowRttNackMs === -1 || p.rttMs < config.lowRttNackMs) delta = 0;
  // Between the thresholds libwebrtc scales delta by an RTT adjustment that is fixed at 1.0.
  if (bitrateTooLowForFec(p, config)) {
    key = 0;
    delta = 0;
  }
  return {
    keyFactor: convertFecRate(key),
    deltaFactor: convertFecRate(delta),
    maxFecFrames: maxFramesFec(p, config),
    costCorrection: factors.costCorrection,
  };
}
