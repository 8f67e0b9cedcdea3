import { describe, expect, it } from 'vitest';
import { createFecController, DefaultFecController, NullFecController, type FecControllerUpdate } from '../../src/sender/fec-controller/controller.ts';
import { computeProtection } from '../../src/sender/fec-controller/protection.ts';

const tick = (nowMs: number, over: Partial<FecControllerUpdate> = {}): FecControllerUpdate => ({
  nowMs,
  targetBitrateBps: 2_000_000,
  lossFraction255: 0,
  rttMs: 80,
  frameRateFps: 30,
  ...over,
});

describe('DefaultFecController', () => {
  it('computes the same factors as computeProtection on the filtered loss and encoding data', () => {
    const controller = new DefaultFecController({ method: 'fec', encoding: { width: 1280, height: 720 } });
    const out = controller.update(tick(0, { lossFraction255: 26, packetsPerDeltaFrame: 3, packetsPerKeyFrame: 15 }));
    const direct = computeProtection({ method: 'fec', targetBitrateBps: 2e6, frameRateFps: 30, width: 1280, height: 720, lossFraction255: 26, rttMs: 80, packetsPerDeltaFrame: 3, packetsPerKeyFrame: 15 });
    expect(out.delta).toEqual({ fecRate: direct.deltaFactor, maxFecFrames: 1, maskType: 'random' });
    expect(out.key.fecRate).toBe(direct.keyFactor);
    expect(out.delta.fecRate).toBeGreaterThan(0);
  });

  it('keeps protecting for 10 s after a loss spike (max filter), then stops', () => {
    const controller = new DefaultFecController({ method: 'fec', encoding: { width: 1280, height: 720 } });
    expect(controller.update(tick(0, { lossFraction255: 51 })).delta.fecRate).toBeGreaterThan(0);
    let t = 0;
    for (t = 1000; t < 10_000; t += 1000) expect(controller.update(tick(t)).filteredLoss255).toBe(51);
    const after = controller.update(tick(11_000));
    expect(after.filteredLoss255).toBe(0);
    expect([after.delta.fecRate, after.key.fecRate]).toEqual([0, 0]);
  });

  it('splits the target using measured overhead, capped at 50 %', () => {
    const controller = new DefaultFecController({ method: 'nack-fec' });
    const measured = controller.update(tick(0, { lossFraction255: 20, sentRates: { videoBps: 1_500_000, nackBps: 100_000, fecBps: 400_000 } }));
    expect(measured.overheadSource).toBe('measured');
    expect(measured.protectionOverheadRate).toBeCloseTo(0.25, 12);
    expect(measured.mediaBitrateBps).toBe(1_500_000);
    expect(measured.protectionBitrateBps).toBe(500_000);
    const capped = controller.update(tick(100, { sentRates: { videoBps: 100_000, nackBps: 300_000, fecBps: 600_000 } }));
    expect(capped.protectionOverheadRate).toBe(0.5);
    expect(capped.mediaBitrateBps).toBe(1_000_000);
  });

  it('without measurements: overhead 0 (libwebrtc) or predicted from the delta factor', () => {
    const plain = new DefaultFecController({ method: 'fec', encoding: { width: 1280, height: 720 } });
    const predicted = new DefaultFecController({ method: 'fec', encoding: { width: 1280, height: 720 }, overheadWithoutMeasurement: 'predicted', overheadCap: 0.3 });
    const a = plain.update(tick(0, { lossFraction255: 51 }));
    const b = predicted.update(tick(0, { lossFraction255: 51 }));
    expect([a.overheadSource, a.mediaBitrateBps]).toEqual(['none', 2_000_000]);
    expect(b.overheadSource).toBe('predicted');
    const share = Math.min(0.3, (b.protection.fecCostCorrection * b.protection.deltaFactorOfTotal) / 255);
    expect(share).toBeGreaterThan(0);
    expect(b.mediaBitrateBps).toBe(Math.trunc(2_000_000 * (1 - share)));
  });

  it("method 'none' gives the whole target to media; 'nack' still accounts NACK overhead", () => {
    const controller = new DefaultFecController({ method: 'none' });
    const sentRates = { videoBps: 900_000, nackBps: 100_000, fecBps: 0 };
    const none = controller.update(tick(0, { lossFraction255: 100, sentRates }));
    expect([none.mediaBitrateBps, none.delta.fecRate, none.key.fecRate]).toEqual([2_000_000, 0, 0]);
    controller.setMethod('nack');
    const nack = controller.update(tick(10, { lossFraction255: 100, sentRates }));
    expect([nack.delta.fecRate, nack.key.fecRate]).toEqual([0, 0]);
    expect(nack.mediaBitrateBps).toBe(1_800_000);
  });

  it('tracks packets per frame from encoded frames and uses them for the key-frame boost', () => {
    const controller = new DefaultFecController({ method: 'fec', encoding: { width: 1280, height: 720, maxPayloadBytes: 1000 } });
    const before = controller.update(tick(0, { lossFraction255: 26, targetBitrateBps: 1e6 }));
    expect(before.protection.keyRateIndex).toBe(1 + Math.trunc((2 * before.protection.effectiveRateKbits - 5) / 5)); // boost 2 without data
    controller.onEncodedFrame({ sizeBytes: 3000, isKeyFrame: false, nowMs: 10 }); // 3 packets
    controller.onEncodedFrame({ sizeBytes: 30_000, isKeyFrame: true, nowMs: 20 }); // 30 packets → boost 10
    const after = controller.update(tick(30, { lossFraction255: 26, targetBitrateBps: 1e6 }));
    expect(after.protection.keyRateIndex).toBe(Math.min(49, 1 + Math.trunc((10 * after.protection.effectiveRateKbits - 5) / 5)));
    expect(after.key.fecRate).toBeGreaterThanOrEqual(before.key.fecRate);
  });

  it('follows resolution changes (setEncodingData) and rejects bad values with a typed error', () => {
    const controller = new DefaultFecController({ method: 'fec' });
    const ref = controller.update(tick(0, { lossFraction255: 40, targetBitrateBps: 800_000 }));
    controller.setEncodingData({ width: 1920, height: 1080 });
    const big = controller.update(tick(10, { lossFraction255: 40, targetBitrateBps: 800_000 }));
    expect(big.protection.effectiveRateKbits).toBeLessThan(ref.protection.effectiveRateKbits);
    expect(() => controller.setEncodingData({ width: 0, height: 10 })).toThrow(expect.objectContaining({ code: 'FEC_OPTION_INVALID', option: 'encoding.width' }));
    expect(() => new DefaultFecController({ overheadCap: 1.5 })).toThrow(/overheadCap/);
  });
});

describe('NullFecController', () => {
  it('never asks for FEC and gives the whole target to media', () => {
    const controller = createFecController('null');
    expect(controller).toBeInstanceOf(NullFecController);
    const out = controller.update(tick(0, { lossFraction255: 128, sentRates: { videoBps: 1, nackBps: 1, fecBps: 1 } }));
    expect([out.delta.fecRate, out.key.fecRate, out.mediaBitrateBps, out.protectionBitrateBps]).toEqual([0, 0, 2_000_000, 0]);
  });
});
