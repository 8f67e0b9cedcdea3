/**
 * Golden cases worked through by hand from libwebrtc's formulas and the shipped table
 * (table[row][loss] values read from data/libwebrtc/fec-rate-table.json).
 * conv(x) = trunc(min(255, 0.5 + 255·x / (255 − x))) is libwebrtc's ConvertFECRate.
 */
import { describe, expect, it } from 'vitest';
import { computeProtection, type ProtectionInput } from '../../src/sender/fec-controller/protection.ts';
import { defaultFecRateTable, tableFactor } from '../../src/sender/fec-controller/rate-table.ts';

const base: Omit<ProtectionInput, 'method' | 'targetBitrateBps' | 'frameRateFps' | 'width' | 'height' | 'lossFraction255' | 'rttMs'> = {
  packetsPerDeltaFrame: -1,
  packetsPerKeyFrame: -1,
};

describe('hand-checked protection factors', () => {
  it('the table cells used below hold the values the arithmetic assumes', () => {
    const t = defaultFecRateTable();
    expect([tableFactor(t, 4, 26), tableFactor(t, 25, 26)]).toEqual([58, 124]);
    expect([tableFactor(t, 3, 51), tableFactor(t, 27, 51)]).toEqual([80, 127]);
    expect([tableFactor(t, 0, 64), tableFactor(t, 1, 64)]).toEqual([39, 65]);
    expect([tableFactor(t, 11, 128), tableFactor(t, 49, 128)]).toEqual([127, 127]);
  });

  it('720p, 1 Mbps, 30 fps, loss 26/255 (~10 %), FEC only', () => {
    // bits/frame = trunc(1000 kbps / 30) = 33 kbits
    // resolution factor = (1280·720 / (704·576))^−0.3 = 2.2727^−0.3 = 0.78169
    // effective rate = trunc(0.78169 · 33) = trunc(25.80) = 25 → delta row = (25 − 5) / 5 = 4
    // delta = table[4][26] = 58; avg packets = trunc(1.5 + 33000 / 11680) = 4 > 1, floor 51 < 58: no change
    // key boost = max(2, round(15) / round(3)) = 5 → key row = 1 + (5·25 − 5) / 5 = 25; table[25][26] = 124
    // key = max(loss 26, 2·58 = 116, 124) = 124
    // conv(58) = trunc(0.5 + 14790 / 197) = trunc(75.58) = 75; conv(124) = trunc(0.5 + 31620 / 131) = 241
    // cost: packets = 1 + 2.825 + 0.5 = 4.325, expected FEC = 0.5 + 58·4.325/255 = 1.48 ≥ 1.1 → correction 1
    const r = computeProtection({ ...base, method: 'fec', targetBitrateBps: 1e6, frameRateFps: 30, width: 1280, height: 720, lossFraction255: 26, rttMs: 100, packetsPerDeltaFrame: 3, packetsPerKeyFrame: 15 });
    expect(r).toMatchObject({ bitsPerFrameKbits: 33, effectiveRateKbits: 25, deltaRateIndex: 4, keyRateIndex: 25 });
    expect(r).toMatchObject({ deltaFactorOfTotal: 58, keyFactorOfTotal: 124, deltaFactor: 75, keyFactor: 241, maxFramesFec: 1, fecCostCorrection: 1 });
  });

  it('360p, 300 kbps, 15 fps, loss 51/255 (20 %), hybrid at RTT 10 ms: key FEC only', () => {
    // bits/frame = trunc(300 / 15) = 20; resolution factor (640·360) = 0.56818^−0.3 = 1.18482
    // effective rate = trunc(23.70) = 23 → delta row = trunc(18 / 5) = 3; table[3][51] = 80 (≥ floor 51)
    // key boost = max(2, 12 / 2) = 6 → key row = 1 + (6·23 − 5) / 5 = 1 + 26 = 27; table[27][51] = 127
    // key = max(51, min(2·80, 128) = 128, 127) = 128 → conv(128) = min(255, 0.5 + 257) = 255
    // hybrid: RTT 10 < 20 ms → delta = 0 (libwebrtc keeps the key factor)
    // bytes/frame = 1000·20 / 8 = 2500 ≥ 700 (640·360 is between CIF and VGA): FEC not turned off
    // max frames = max(trunc(2·15·10/1000 + 0.5) = 0, 1) = 1
    const r = computeProtection({ ...base, method: 'nack-fec', targetBitrateBps: 300e3, frameRateFps: 15, width: 640, height: 360, lossFraction255: 51, rttMs: 10, packetsPerDeltaFrame: 2, packetsPerKeyFrame: 12 });
    expect(r).toMatchObject({ effectiveRateKbits: 23, deltaRateIndex: 3, keyRateIndex: 27, deltaFactor: 0, keyFactor: 255, keyFactorOfTotal: 128, maxFramesFec: 1, limitedBy: 'low-rtt' });
  });

  it('1080p, 200 kbps, 60 fps, loss 64/255 (25 %), hybrid: off at RTT 50 ms, on at 250 ms', () => {
    // bits/frame = trunc(200 / 60) = 3 kbits → 375 bytes/frame < 1000 (above VGA) and RTT 50 < 200 → FEC off
    // max frames = trunc(2·60·50/1000 + 0.5) = trunc(6.5) = 6 (limit 6)
    const off = computeProtection({ ...base, method: 'nack-fec', targetBitrateBps: 200e3, frameRateFps: 60, width: 1920, height: 1080, lossFraction255: 64, rttMs: 50 });
    expect(off).toMatchObject({ deltaFactor: 0, keyFactor: 0, maxFramesFec: 6, limitedBy: 'bitrate-too-low' });
    // RTT 250 ≥ 200: the bytes/frame rule no longer applies.
    // resolution factor (1920·1080) = 5.1136^−0.3 = 0.61289; effective rate = trunc(1.84) = 1 → row max(0, trunc(−4/5)) = 0
    // avg packets = trunc(1.5 + 3000/11680) = 1, not > 1 → no 20 % floor; delta = table[0][64] = 39
    // packets per frame unknown (−1) → rounded 0 → boost 2 → key row = 1 + trunc((2·1 − 5)/5) = 1; table[1][64] = 65
    // key = max(64, 2·39 = 78, 65) = 78; conv(39) = trunc(0.5 + 9945/216) = 46; conv(78) = trunc(0.5 + 19890/177) = 112
    // cost: packets = 1 + 0.257 + 0.5 = 1.757, expected FEC = 0.5 + 39·1.757/255 = 0.77 < 0.9 → correction 0
    const on = computeProtection({ ...base, method: 'nack-fec', targetBitrateBps: 200e3, frameRateFps: 60, width: 1920, height: 1080, lossFraction255: 64, rttMs: 250 });
    expect(on).toMatchObject({ effectiveRateKbits: 1, deltaRateIndex: 0, keyRateIndex: 1, deltaFactor: 46, keyFactor: 112, maxFramesFec: 6, fecCostCorrection: 0 });
    expect(on.limitedBy).toBeNull();
  });

  it('720p, 2.5 Mbps, 30 fps, loss 200/255 (capped at 128), FEC only', () => {
    // bits/frame = trunc(2500 / 30) = 83; effective rate = trunc(0.78169·83) = trunc(64.88) = 64 → row trunc(59/5) = 11
    // loss 200 ≥ 129 → column 128; delta = table[11][128] = 127 (cap 128 not reached); conv(127) = trunc(0.5 + 32385/128) = 253
    // key boost = max(2, 40/8) = 5 → key row = 1 + (5·64 − 5)/5 = 64 → clamped to 49; table[49][128] = 127
    // key = max(128, min(254, 128), 127) = 128 → conv = 255
    const r = computeProtection({ ...base, method: 'fec', targetBitrateBps: 2.5e6, frameRateFps: 30, width: 1280, height: 720, lossFraction255: 200, rttMs: 100, packetsPerDeltaFrame: 8, packetsPerKeyFrame: 40 });
    expect(r).toMatchObject({ lossColumn: 128, deltaRateIndex: 11, keyRateIndex: 49, deltaFactor: 253, keyFactor: 255 });
  });
});
