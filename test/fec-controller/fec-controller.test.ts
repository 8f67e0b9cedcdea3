import { describe, expect, it } from 'vitest';
import { DefaultFecController, NullFecController, type FecRateUpdate } from '../../src/sender/fec-controller/fec-controller.ts';
import { MaxLossFilter } from '../../src/sender/fec-controller/loss-filter.ts';
import { fecMethod, nackFecMethod } from '../../src/sender/fec-controller/methods.ts';
import { defaultFecRateTable } from '../../src/sender/fec-controller/rate-table.ts';

const update = (over: Partial<FecRateUpdate>): FecRateUpdate => ({
  nowMs: 0,
  estimatedBitrateBps: 2_500_000,
  frameRate: 30,
  fractionLost255: 26,
  rttMs: 100,
  sentVideoBps: 2_000_000,
  sentNackBps: 0,
  sentFecBps: 500_000,
  ...over,
});

describe('max loss filter', () => {
  it('keeps the largest report of the last 10 one-second windows', () => {
    const filter = new MaxLossFilter();
    expect(filter.update(10, 0)).toBe(10);
    expect(filter.update(40, 500)).toBe(40); // same window, running max
    expect(filter.update(5, 1000)).toBe(40); // opens a window that records 40 (libwebrtc quirk: 5 itself dropped)
    expect(filter.update(0, 2000)).toBe(40);
    expect(filter.update(0, 10_999)).toBe(40); // 40 recorded at t = 1000 is ≤ 10 s old
    expect(filter.update(0, 12_001)).toBe(0); // now older than 10 s
  });
});

describe('DefaultFecController', () => {
  const table = defaultFecRateTable();

  it('no protection: FEC off, whole estimate to the encoder', () => {
    const controller = new DefaultFecController();
    const out = controller.update(update({}));
    expect([out.key.fecRate, out.delta.fecRate, out.sourceBitrateBps]).toEqual([0, 0, 2_500_000]);
    const nulls = new NullFecController().update(update({}));
    expect([nulls.key.fecRate, nulls.delta.fecRate, nulls.sourceBitrateBps]).toEqual([0, 0, 2_500_000]);
  });

  it('FEC mode uses VCMFecMethod on the filtered loss and the filtered packets per frame', () => {
    const controller = new DefaultFecController();
    controller.setProtectionMode('fec');
    controller.setEncodingData(1280, 720, 1, 1200);
    controller.onEncodedFrame(36_000, true, 0); // 30 packets per key frame
    controller.onEncodedFrame(8_400, false, 0); // 7 per delta frame
    controller.update(update({ nowMs: 0, fractionLost255: 60 }));
    const out = controller.update(update({ nowMs: 3000, fractionLost255: 0 }));
    expect(out.filteredLoss255).toBe(60);
    const want = fecMethod(
      { bitrateKbps: 2500, frameRate: 30, loss255: 60, rttMs: 100, width: 1280, height: 720, packetsPerFrame: 7, packetsPerFrameKey: 30, numTemporalLayers: 1, maxPayloadBytes: 1200 },
      table,
    );
    expect([out.key.fecRate, out.delta.fecRate, out.delta.maxFecFrames]).toEqual([want.keyFactor, want.deltaFactor, 1]);
    expect(out.delta.fecRate).toBeGreaterThan(0);
    expect(out.key.maskType).toBe('random');
    expect(out.sourceBitrateBps).toBeCloseTo(2_500_000 * (1 - 0.2));
  });

  it('hybrid NACK+FEC turns delta FEC off at low RTT and spans frames by RTT', () => {
    const controller = new DefaultFecController();
    controller.setProtectionMode('nack-fec');
    controller.setEncodingData(1280, 720, 1, 1200);
    const low = controller.update(update({ nowMs: 0, rttMs: 10 }));
    expect(low.delta.fecRate).toBe(0);
    expect(low.key.fecRate).toBeGreaterThan(0);
    const mid = controller.update(update({ nowMs: 100, rttMs: 50 }));
    const want = nackFecMethod(
      { bitrateKbps: 2500, frameRate: 30, loss255: 26, rttMs: 50, width: 1280, height: 720, packetsPerFrame: -1, packetsPerFrameKey: -1, numTemporalLayers: 1, maxPayloadBytes: 1200 },
      table,
    );
    expect([mid.key.fecRate, mid.delta.fecRate, mid.delta.maxFecFrames]).toEqual([want.keyFactor, want.deltaFactor, 3]);
  });

  it('caps the protection overhead at 50 %', () => {
    const controller = new DefaultFecController();
    controller.setProtectionMode('nack');
    const out = controller.update(update({ sentVideoBps: 1_000_000, sentNackBps: 900_000, sentFecBps: 600_000 }));
    expect([out.key.fecRate, out.delta.fecRate]).toEqual([0, 0]);
    expect(out.sourceBitrateBps).toBe(1_250_000);
  });
});
