/**
 * A second, independent model of libwebrtc's protection-factor computation, written straight
 * from the formulas in the FEC+NACK seed (VCMFecMethod::ProtectionFactor, UpdateParameters,
 * ConvertFECRate, BoostCodeRateKey) and media_opt_util's hybrid rules, as one straight-line
 * function over the flat 1-D table (index = rateIndex × 129 + loss), in libwebrtc's variable
 * names. It shares no code with src/sender/fec-controller: the tests compare the two.
 */

export interface ReferenceCase {
  method: 'fec' | 'nack-fec' | 'nack' | 'none';
  bitrateBps: number;
  fps: number;
  width: number;
  height: number;
  loss255: number;
  rttMs: number;
  packetsPerFrame: number;
  packetsPerFrameKey: number;
}

export interface ReferenceFactors {
  /** after ConvertFECRate, 1/255 */
  fecRateDelta: number;
  fecRateKey: number;
  maxFecFrames: number;
  /** _corrFecCost after the FEC computation (1 when loss is 0 or FEC is not used) */
  corrFecCost: number;
}

const fl = Math.fround;
// rtc::saturated_cast from float to an unsigned type: NaN and negatives → 0, clamp to max, truncate.
function toU8(v: number): number {
  if (!(v > 0)) return 0;
  return v > 255 ? 255 : Math.floor(v);
}
function toU16(v: number): number {
  if (!(v > 0)) return 0;
  return v > 65535 ? 65535 : Math.floor(v);
}
function cDiv(a: number, b: number): number {
  const q = a / b;
  return q < 0 ? Math.ceil(q) : Math.floor(q);
}

/** kFecRateTable as one flat array of 50 × 129 entries. */
export function referenceFactors(flatTable: readonly number[], c: ReferenceCase): ReferenceFactors {
  if (c.method === 'none' || c.method === 'nack') return { fecRateDelta: 0, fecRateKey: 0, maxFecFrames: 1, corrFecCost: 1 };
  const kPacketLossMax = 129;
  const fps = c.fps < 1 ? 1 : c.fps;
  // UpdateFecRates: bitrate in kbps as float, frame rate as given (>= 1).
  const bitRate = fl(fl(c.bitrateBps) / 1000);
  // BitsPerFrame (one temporal layer: ratios are 1).
  const bitRatePerFrame = Math.floor(fl(bitRate / fl(fps)));
  // UpdateFilteredLossPr then ProtectionFactor: lossPr = loss/255, packetLoss = uint8(255 * lossPr).
  const lossPr = fl(c.loss255 / 255.0);
  let packetLoss = toU8(fl(255 * lossPr));

  let protectionFactorD = 0;
  let protectionFactorK = 0;
  let corrFecCost = 1;
  if (packetLoss !== 0) {
    const firstPartitionProt = toU8(255 * 0.2);
    const spatialSizeToRef = fl(fl(c.width * c.height) / fl(704 * 576));
    const resolnFac = fl(1.0 / fl(Math.pow(spatialSizeToRef, fl(0.3))));
    const avgTotPackets = toU8(fl(fl(1.5) + fl(fl(fl(bitRatePerFrame) * 1000) / fl(8.0 * 1460))));
    const effRateFecTable = toU16(fl(resolnFac * bitRatePerFrame));
    let rateIndexTable = Math.max(Math.min(cDiv(effRateFecTable - 5, 5), 49), 0);
    if (packetLoss >= kPacketLossMax) packetLoss = kPacketLossMax - 1;
    let codeRateDelta = flatTable[rateIndexTable * kPacketLossMax + packetLoss]!;
    if (packetLoss > 0 && avgTotPackets > 1 && codeRateDelta < firstPartitionProt) codeRateDelta = firstPartitionProt;
    if (codeRateDelta >= kPacketLossMax) codeRateDelta = kPacketLossMax - 1;

    const packetFrameDelta = toU8(0.5 + c.packetsPerFrame);
    const packetFrameKey = toU8(0.5 + c.packetsPerFrameKey);
    let ratio = 1;
    if (packetFrameDelta > 0) ratio = Math.floor(packetFrameKey / packetFrameDelta);
    const boostKey = ratio > 2 ? ratio : 2;
    rateIndexTable = Math.max(Math.min(1 + cDiv(boostKey * effRateFecTable - 5, 5), 49), 0);
    const indexTableKey = Math.min(rateIndexTable * kPacketLossMax + packetLoss, 50 * kPacketLossMax);
    let codeRateKey = flatTable[indexTableKey]!;
    let boostKeyProt = Math.floor(2.0 * codeRateDelta);
    if (boostKeyProt >= kPacketLossMax) boostKeyProt = kPacketLossMax - 1;
    codeRateKey = toU8(Math.max(packetLoss, Math.max(boostKeyProt, codeRateKey)));
    if (codeRateKey >= kPacketLossMax) codeRateKey = kPacketLossMax - 1;
    protectionFactorK = codeRateKey;
    protectionFactorD = codeRateDelta;
    const numPacketsFl = fl(1.0 + ((fl(bitRatePerFrame) * 1000.0) / fl(8.0 * 1460) + 0.5));
    const estNumFecGen = fl(fl(0.5) + fl(fl(protectionFactorD * numPacketsFl) / fl(255.0)));
    if (estNumFecGen < fl(1.1) && protectionFactorD < 85) corrFecCost = 0.5;
    if (estNumFecGen < fl(0.9) && protectionFactorD < 85) corrFecCost = 0.0;
  }

  let maxFecFrames = 1;
  if (c.method === 'nack-fec') {
    // VCMNackFecMethod with (kLowRttNackMs = 20, high = -1): delta off below 20 ms; adjustRtt = 1 above.
    if (c.rttMs < 20) protectionFactorD = 0;
    maxFecFrames = Math.max(Math.floor(fl(fl(fl(fl(2.0 * fl(fps)) * c.rttMs) / 1000) + 0.5)), 1);
    if (maxFecFrames > 6) maxFecFrames = 6;
    const bytesPerFrame = Math.floor((1000 * bitRatePerFrame) / 8);
    const pixels = c.width * c.height;
    const limit = pixels <= 352 * 288 ? 400 : pixels > 640 * 480 ? 1000 : 700;
    if (bytesPerFrame < limit && c.rttMs < 200) {
      protectionFactorD = 0;
      protectionFactorK = 0;
    }
  }
  const convert = (r: number): number => toU8(Math.min(255, 0.5 + (255.0 * r) / fl(255 - r)));
  return { fecRateDelta: convert(protectionFactorD), fecRateKey: convert(protectionFactorK), maxFecFrames, corrFecCost };
}
