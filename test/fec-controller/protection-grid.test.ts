/**
 * Reference grid: the controller's protection factors against an independent transcription of
 * libwebrtc's formulas (reference-model.ts), over bitrate 100 k..5 M, 15/30/60 fps, 360p/720p/1080p,
 * loss 0..50 % (and beyond, which libwebrtc caps), RTT 10..300 ms, all four methods.
 */
import { describe, expect, it } from 'vitest';
import { computeProtection, type ProtectionMethod } from '../../src/sender/fec-controller/protection.ts';
import { resolveProtectionOptions } from '../../src/sender/fec-controller/protection-options.ts';
import { referenceFactors } from './reference-model.ts';
import { readReferenceJson } from '../helpers/reference.ts';

const reference = readReferenceJson<{ table: number[][] }>('fec-rate-table.json');
const flatTable = reference.table.flat();

const bitrates = [100e3, 150e3, 200e3, 300e3, 450e3, 600e3, 800e3, 1e6, 1.25e6, 1.5e6, 2e6, 2.5e6, 3e6, 4e6, 5e6];
const frameRates = [15, 30, 60];
const resolutions: [number, number][] = [[640, 360], [1280, 720], [1920, 1080]];
// 0..50 % in 1/255 units, with the bucket edges of the table, plus values above the 128 cap.
const losses = [0, 1, 2, 3, 5, 8, 13, 19, 26, 33, 38, 47, 51, 64, 77, 90, 102, 115, 119, 120, 127, 128, 129, 160, 255];
const rtts = [10, 19, 20, 21, 100, 199, 200, 201, 300];
const methods: ProtectionMethod[] = ['fec', 'nack-fec', 'nack', 'none'];
const packetCounts: [number, number][] = [[-1, -1], [1.2, 9.6], [0.4, 40]];

describe('reference grid', () => {
  it('matches the independent model on every grid point', () => {
    const options = resolveProtectionOptions();
    let compared = 0;
    let withFec = 0;
    const mismatches: string[] = [];
    for (const method of methods)
      for (const bitrateBps of bitrates)
        for (const fps of frameRates)
          for (const [width, height] of resolutions)
            for (const loss255 of losses)
              for (const rttMs of method === 'nack-fec' ? rtts : [100])
                for (const [packetsPerFrame, packetsPerFrameKey] of packetCounts) {
                  const want = referenceFactors(flatTable, { method, bitrateBps, fps, width, height, loss255, rttMs, packetsPerFrame, packetsPerFrameKey });
                  const got = computeProtection(
                    { method, targetBitrateBps: bitrateBps, frameRateFps: fps, width, height, lossFraction255: loss255, rttMs, packetsPerDeltaFrame: packetsPerFrame, packetsPerKeyFrame: packetsPerFrameKey },
                    options,
                  );
                  compared++;
                  if (want.fecRateDelta > 0) withFec++;
                  if (got.deltaFactor !== want.fecRateDelta || got.keyFactor !== want.fecRateKey || got.maxFramesFec !== want.maxFecFrames || got.fecCostCorrection !== want.corrFecCost) {
                    mismatches.push(`${method} ${bitrateBps}bps ${fps}fps ${width}x${height} loss ${loss255} rtt ${rttMs} ppf ${packetsPerFrame}/${packetsPerFrameKey}: got D${got.deltaFactor}/K${got.keyFactor}/F${got.maxFramesFec}/C${got.fecCostCorrection} want D${want.fecRateDelta}/K${want.fecRateKey}/F${want.maxFecFrames}/C${want.corrFecCost}`);
                  }
                }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // The grid must exercise FEC, not only its absence.
    expect(compared).toBeGreaterThan(80_000);
    expect(withFec).toBeGreaterThan(compared / 4);
  });

  it('covers every row the grid can reach, with distinct delta factors', () => {
    const options = resolveProtectionOptions();
    const rows = new Set<number>();
    const factors = new Set<number>();
    for (const bitrateBps of bitrates)
      for (const fps of frameRates)
        for (const [width, height] of resolutions) {
          const r = computeProtection({ method: 'fec', targetBitrateBps: bitrateBps, frameRateFps: fps, width, height, lossFraction255: 51, rttMs: 100, packetsPerDeltaFrame: 3, packetsPerKeyFrame: 15 }, options);
          rows.add(r.deltaRateIndex);
          factors.add(r.deltaFactor);
        }
    expect(rows.size).toBeGreaterThan(15);
    expect(factors.size).toBeGreaterThan(10);
  });

  it.each([
    ['firstPartitionProtection', { firstPartitionProtection: 52 }],
    ['rateBucketKbits', { rateBucketKbits: 6 }],
    ['resolutionExponent', { resolutionExponent: 0.31 }],
    ['keyProtectionScale', { keyProtectionScale: 1.5 }],
    ['lowRttNackMs', { lowRttNackMs: 25 }],
  ])('detects a changed constant (%s)', (_name, change) => {
    const options = resolveProtectionOptions(change);
    let differs = 0;
    for (const bitrateBps of bitrates)
      for (const [width, height] of resolutions)
        for (const loss255 of losses)
          for (const rttMs of [10, 22, 100, 300]) {
            const c = { method: 'nack-fec' as const, bitrateBps, fps: 30, width, height, loss255, rttMs, packetsPerFrame: 2, packetsPerFrameKey: 12 };
            const want = referenceFactors(flatTable, c);
            const got = computeProtection({ method: c.method, targetBitrateBps: bitrateBps, frameRateFps: 30, width, height, lossFraction255: loss255, rttMs, packetsPerDeltaFrame: 2, packetsPerKeyFrame: 12 }, options);
            if (got.deltaFactor !== want.fecRateDelta || got.keyFactor !== want.fecRateKey) differs++;
          }
    expect(differs).toBeGreaterThan(0);
  });
});
