import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bitrateTooLowForFec, fecMethod, maxFramesFec, nackFecMethod } from '../../src/sender/fec-controller/methods.ts';
import { convertFecRate, fecProtectionFactors, type ProtectionParameters } from '../../src/sender/fec-controller/protection-factor.ts';
import { defaultFecRateTable } from '../../src/sender/fec-controller/rate-table.ts';

const reference = JSON.parse(
  readFileSync(new URL('../../../shared/reference/libwebrtc/fec-rate-table.json', import.meta.url), 'utf8'),
) as { table: number[][] };

/**
 * Expected factors written straight from VCMFecMethod::ProtectionFactor as seed 004 quotes it
 * (float32 arithmetic where the C++ uses float, integer division truncating toward zero, uint8 /
 * uint16 saturating casts), reading the reference table directly.
 */
function seedProtectionFactor(p: ProtectionParameters): { K: number; D: number; corr: number } {
  const F = Math.fround;
  const u8 = (x: number) => Math.trunc(Math.min(255, Math.max(0, x)));
  const u16 = (x: number) => Math.trunc(Math.min(65535, Math.max(0, x)));
  const cdiv = (a: number, b: number) => Math.trunc(a / b);
  let packetLoss = u8(p.loss255);
  if (packetLoss === 0) return { K: 0, D: 0, corr: 1 };
  const firstPartitionProt = u8(255 * 0.2);
  const minProtLevelFec = 85;
  const ratePar1 = 5;
  const ratePar2 = 49;
  const spatialSizeToRef = F(F(p.width * p.height) / F(704 * 576));
  const resolnFac = F(1 / F(Math.pow(spatialSizeToRef, F(0.3))));
  // BitsPerFrame with one temporal layer: bitRate (kbps) / frameRate, truncated.
  const bitRatePerFrame = Math.trunc(F(F(p.bitrateKbps) / F(Math.max(1, p.frameRate))));
  const avgTotPackets = u8(F(1.5 + F((bitRatePerFrame * 1000) / (8 * p.maxPayloadBytes))));
  const effRateFecTable = u16(F(resolnFac * bitRatePerFrame));
  let rateIndexTable = u8(Math.max(Math.min(cdiv(effRateFecTable - ratePar1, ratePar1), ratePar2), 0));
  if (packetLoss >= 129) packetLoss = 128;
  let codeRateDelta = reference.table[rateIndexTable]![packetLoss]!;
  if (packetLoss > 0 && avgTotPackets > 1 && codeRateDelta < firstPartitionProt) codeRateDelta = firstPartitionProt;
  if (codeRateDelta >= 129) codeRateDelta = 128;
  const packetFrameDelta = u8(0.5 + p.packetsPerFrame);
  const packetFrameKey = u8(0.5 + p.packetsPerFrameKey);
  // BoostCodeRateKey: ratio of key to delta packets per frame, at least 2.
  const boostKey = Math.max(2, packetFrameDelta > 0 ? cdiv(packetFrameKey, packetFrameDelta) : 1);
  rateIndexTable = u8(Math.max(Math.min(1 + cdiv(boostKey * effRateFecTable - ratePar1, ratePar1), ratePar2), 0));
  let codeRateKey = reference.table[rateIndexTable]![packetLoss]!;
  let boostKeyProt = Math.trunc(2.0 * codeRateDelta);
  if (boostKeyProt >= 129) boostKeyProt = 128;
  codeRateKey = u8(Math.max(packetLoss, Math.max(boostKeyProt, codeRateKey)));
  if (codeRateKey >= 129) codeRateKey = 128;
  const numPacketsFl = F(1 + ((bitRatePerFrame * 1000) / (8 * p.maxPayloadBytes) + 0.5));
  const estNumFecGen = F(0.5 + F((codeRateDelta * numPacketsFl) / 255));
  let corr = 1;
  if (estNumFecGen < F(1.1) && codeRateDelta < minProtLevelFec) corr = 0.5;
  if (estNumFecGen < F(0.9) && codeRateDelta < minProtLevelFec) corr = 0;
  return { K: codeRateKey, D: codeRateDelta, corr };
}

/** ConvertFECRate: 0.5 + 255·r / (255 − r), capped at 255, truncated. */
const seedConvert = (r: number) => Math.trunc(Math.min(255, 0.5 + (255 * r) / (255 - r)));

function* grid(): Generator<ProtectionParameters> {
  for (const bitrateKbps of [30, 80, 150, 300, 500, 1000, 2500, 5000, 8000, 20000]) {
    for (const frameRate of [0.5, 15, 30, 60]) {
      for (const [width, height] of [[176, 144], [320, 240], [640, 480], [704, 576], [1280, 720], [1920, 1080]] as const) {
        for (const loss255 of [0, 1, 3, 8, 13, 26, 51, 77, 102, 128, 129, 200, 255]) {
          for (const [packetsPerFrame, packetsPerFrameKey] of [[-1, -1], [1, 3], [3, 12], [10, 25], [40, 45]] as const) {
            for (const rttMs of [5, 19, 20, 60, 199, 300]) {
              yield { bitrateKbps, frameRate, loss255, rttMs, width, height, packetsPerFrame, packetsPerFrameKey, numTemporalLayers: 1, maxPayloadBytes: 1460 };
            }
          }
        }
      }
    }
  }
}

describe('FEC protection factors (VCMFecMethod / VCMNackFecMethod)', () => {
  const table = defaultFecRateTable();

  it('reproduces the seed formulas over a grid of rate × fps × resolution × loss × packets × RTT', () => {
    const mismatches: string[] = [];
    let cases = 0;
    for (const p of grid()) {
      cases++;
      const want = seedProtectionFactor(p);
      const got = fecProtectionFactors(p, table);
      if (got.key !== want.K || got.delta !== want.D || got.costCorrection !== want.corr) {
        mismatches.push(`${JSON.stringify(p)}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
      }
      const fec = fecMethod(p, table);
      if (fec.keyFactor !== seedConvert(want.K) || fec.deltaFactor !== seedConvert(want.D) || fec.maxFecFrames !== 1) {
        mismatches.push(`fec method ${JSON.stringify(p)}: ${JSON.stringify(fec)}`);
      }
      // Hybrid: delta FEC off below 20 ms RTT; all FEC off when bytes/frame are below the
      // resolution's limit (400/700/1000) with RTT < 200 ms and < 3 temporal layers.
      const bytesPerFrame = Math.trunc((1000 * Math.trunc(p.bitrateKbps / Math.max(1, p.frameRate))) / 8);
      const pixels = p.width * p.height;
      const limit = pixels <= 352 * 288 ? 400 : pixels > 640 * 480 ? 1000 : 700;
      const tooLow = bytesPerFrame < limit && p.rttMs < 200;
      const hybrid = nackFecMethod(p, table);
      const wantKey = tooLow ? 0 : seedConvert(want.K);
      const wantDelta = tooLow || p.rttMs < 20 ? 0 : seedConvert(want.D);
      const wantFrames = Math.min(6, Math.max(1, Math.trunc((2 * Math.max(1, p.frameRate) * p.rttMs) / 1000 + 0.5)));
      if (hybrid.keyFactor !== wantKey || hybrid.deltaFactor !== wantDelta || hybrid.maxFecFrames !== wantFrames) {
        mismatches.push(`nack-fec ${JSON.stringify(p)}: ${JSON.stringify(hybrid)} want ${wantKey}/${wantDelta}/${wantFrames}`);
      }
    }
    expect(cases).toBeGreaterThan(50_000);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('hand-worked case: 640×480, 30 fps, 1 Mbit/s, loss 26/255', () => {
    // resolnFac = (307200 / 405504)^-0.3 ≈ 1.0869; 33 kbit/frame → effective 35 → bucket (35−5)/5 = 6.
    const p: ProtectionParameters = { bitrateKbps: 1000, frameRate: 30, loss255: 26, rttMs: 50, width: 640, height: 480, packetsPerFrame: 3, packetsPerFrameKey: 12, numTemporalLayers: 1, maxPayloadBytes: 1460 };
    const delta = Math.max(reference.table[6]![26]!, 51); // ≈ 4 packets per frame → 20 % floor applies
    const keyBucket = 1 + Math.trunc((4 * 35 - 5) / 5); // boost = 12 / 3 = 4 → bucket 28
    const key = Math.max(26, Math.min(128, 2 * delta), reference.table[keyBucket]![26]!);
    const got = fecProtectionFactors(p, table);
    expect(got.delta).toBe(Math.min(delta, 128));
    expect(got.key).toBe(Math.min(key, 128));
    expect(convertFecRate(51)).toBe(64); // 0.5 + 255·51/204 = 64.25
    expect(convertFecRate(128)).toBe(255); // 0.5 + 255·128/127 ≈ 257.5, capped
  });

  it('hybrid thresholds', () => {
    const base: ProtectionParameters = { bitrateKbps: 2500, frameRate: 30, loss255: 26, rttMs: 100, width: 1280, height: 720, packetsPerFrame: 7, packetsPerFrameKey: 30, numTemporalLayers: 1, maxPayloadBytes: 1460 };
    expect(bitrateTooLowForFec(base)).toBe(false); // 83 kbit/frame = 10375 bytes ≥ 1000
    expect(bitrateTooLowForFec({ ...base, bitrateKbps: 200 })).toBe(true); // 6 kbit = 750 bytes < 1000
    expect(bitrateTooLowForFec({ ...base, bitrateKbps: 200, rttMs: 250 })).toBe(false);
    expect(bitrateTooLowForFec({ ...base, bitrateKbps: 200, numTemporalLayers: 3 })).toBe(false);
    expect(maxFramesFec(base)).toBe(6); // 2 × 30 × 0.1 + 0.5 = 6.5 → 6
    expect(maxFramesFec({ ...base, rttMs: 20 })).toBe(1);
    expect(maxFramesFec({ ...base, numTemporalLayers: 3 })).toBe(1);
    expect(nackFecMethod({ ...base, rttMs: 10 }, table).deltaFactor).toBe(0);
    expect(nackFecMethod({ ...base, rttMs: 10 }, table).keyFactor).toBeGreaterThan(0);
    expect(nackFecMethod(base, table).deltaFactor).toBe(fecMethod(base, table).deltaFactor);
  });
});
