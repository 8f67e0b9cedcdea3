/**
 * Average residual loss of an XOR packet mask, the metric libwebrtc's packet-mask test
 * (`modules/rtp_rtcp/test/testFec/test_packet_masks_metrics.cc`, FecXorMaxResidualLoss) checks
 * against `kMaxResidualLossRandomMask` / `kMaxResidualLossBurstyMask`. Re-implemented from its
 * description:
 *
 * - A code (k media, m FEC) is sent as k media packets then m FEC packets. Every one of the
 *   2^(k+m) loss configurations is enumerated. Residual loss of a configuration = lost media
 *   packets minus those recovered by iterating "a received FEC packet whose mask has exactly one
 *   missing media packet recovers it".
 * - Loss models: average loss rate p ∈ {2.5 %, 5 %, 10 %, 25 %} × average burst length
 *   b ∈ {1, 2, 4}. b = 1 is random (independent) loss: P = p^lost (1 − p)^received. b = 2, 4 are
 *   bursty: a two-state Markov chain (simple Gilbert-Elliott, loss in the bad state certain)
 *   with P(first packet lost) = p, P(lost → received) = 1/b, P(lost → lost) = 1 − 1/b,
 *   P(received → lost) = (1/b)·p/(1 − p), P(received → received) = 1 − that.
 * - Per model: average residual loss = Σ_config P(config) · residual(config) / (k + m)
 *   (libwebrtc normalizes by the total packet count).
 * - The test's figure: random masks averaged over the 4 random models; bursty masks averaged over
 *   the 8 bursty models.
 */
import { getMask, maskBit, type MaskKind } from './masks.ts';

/** One loss model. */
export interface LossModel {
  /** Mean loss probability (0..1). */
  readonly averageLossRate: number;
  /** Mean burst length in packets; 1 = independent losses. */
  readonly averageBurstLength: number;
}

/** libwebrtc's mask-test loss models, random (burst 1) first then bursty (2, 4). */
export const MASK_TEST_LOSS_MODELS: readonly LossModel[] = [1, 2, 4].flatMap((averageBurstLength) =>
  [0.025, 0.05, 0.1, 0.25].map((averageLossRate) => ({ averageLossRate, averageBurstLength })),
);

const POPCOUNT12 = new Uint8Array(4096);
for (let i = 1; i < 4096; i++) POPCOUNT12[i] = (i & 1) + POPCOUNT12[i >> 1]!;
function popcount24(x: number): number {
  return POPCOUNT12[x & 4095]! + POPCOUNT12[(x >> 12) & 4095]!;
}

/** Mask rows as k-bit integers, bit j = media packet j. */
function rowBits(mask: readonly Uint8Array[], numMedia: number): number[] {
  return mask.map((row) => {
    let bits = 0;
    for (let j = 0; j < numMedia; j++) if (maskBit(row, j)) bits |= 1 << j;
    return bits;
  });
}

/**
 * Average residual loss of `mask` (rows over `numMedia` ≤ 12 media packets) under each model,
 * in the order given.
 */
export function averageResidualLoss(
  mask: readonly Uint8Array[],
  numMedia: number,
  models: readonly LossModel[] = MASK_TEST_LOSS_MODELS,
): number[] {
  const numFec = mask.length;
  const total = numMedia + numFec;
  if (numMedia < 1 || numMedia > 12 || numFec < 1 || numFec > 12) {
    throw new RangeError(`code (${numMedia}, ${numFec}) outside 1..12`);
  }
  const rows = rowBits(mask, numMedia);
  // Residual summed per configuration signature: first state, #0→1, #1→0, #1→1 transitions.
  const dim = total;
  const histogram = new Float64Array(2 * dim * dim * dim);
  const firstMask = (1 << (total - 1)) - 1;
  // Closure of recovery: if a received row has exactly one missing packet x, the residual of
  // (lost set L) equals the residual of L \ {x} (recovery order does not change the closure).
  // For each FEC loss pattern, residual[L] is filled for increasing L from smaller sets.
  const mediaSets = 1 << numMedia;
  const singleRows = new Uint16Array(mediaSets); // rows with exactly one packet of L
  for (let lost = 1; lost < mediaSets; lost++) {
    for (let r = 0; r < numFec; r++) {
      const missing = rows[r]! & lost;
      if (missing !== 0 && (missing & (missing - 1)) === 0) singleRows[lost]! |= 1 << r;
    }
  }
  const residualOf = new Uint8Array(mediaSets);
  for (let fecLost = 0; fecLost < 1 << numFec; fecLost++) {
    const receivedRows = ~fecLost & ((1 << numFec) - 1);
    for (let mediaLost = 1; mediaLost < mediaSets; mediaLost++) {
      const usable = singleRows[mediaLost]! & receivedRows;
      let residual: number;
      if (usable === 0) {
        residual = popcount24(mediaLost);
      } else {
        const row = 31 - Math.clz32(usable & -usable);
        residual = residualOf[mediaLost ^ (rows[row]! & mediaLost)]!;
      }
      residualOf[mediaLost] = residual;
      if (residual === 0) continue;
      const state = mediaLost | (fecLost << numMedia);
      const n11 = popcount24(state & (state >> 1));
      const n10 = popcount24(state & firstMask) - n11;
      const n01 = popcount24(state >> 1) - n11;
      histogram[(((state & 1) * dim + n01) * dim + n10) * dim + n11]! += residual;
    }
  }
  return models.map((model) => weigh(histogram, dim, total, model) / total);
}

function weigh(histogram: Float64Array, dim: number, total: number, model: LossModel): number {
  const p = model.averageLossRate;
  const bursty = model.averageBurstLength > 1;
  const p10 = 1 / model.averageBurstLength;
  const p11 = 1 - p10;
  const p01 = (p10 * p) / (1 - p);
  const p00 = 1 - p01;
  let sum = 0;
  for (let s0 = 0; s0 < 2; s0++) {
    for (let n01 = 0; n01 < dim; n01++) {
      for (let n10 = 0; n10 < dim; n10++) {
        for (let n11 = 0; n11 < dim; n11++) {
          const residual = histogram[((s0 * dim + n01) * dim + n10) * dim + n11]!;
          if (residual === 0) continue;
          const n00 = total - 1 - n01 - n10 - n11;
          let probability: number;
          if (bursty) {
            probability = (s0 ? p : 1 - p) * p01 ** n01 * p10 ** n10 * p11 ** n11 * p00 ** n00;
          } else {
            const lost = s0 + n01 + n11;
            probability = p ** lost * (1 - p) ** (total - lost);
          }
          sum += residual * probability;
        }
      }
    }
  }
  return sum;
}

/**
 * The figure libwebrtc's mask test compares with its reference: random masks averaged over the
 * random models, bursty masks over the bursty models, for our mask (kind, k, m).
 */
export function maskTestResidualLoss(kind: MaskKind, numMedia: number, numFec: number): number {
  const models = MASK_TEST_LOSS_MODELS.filter((model) =>
    kind === 'random' ? model.averageBurstLength === 1 : model.averageBurstLength > 1,
  );
  const perModel = averageResidualLoss(getMask(kind, numMedia, numFec), numMedia, models);
  return perModel.reduce((a, b) => a + b, 0) / perModel.length;
}
