import { describe, expect, it } from 'vitest';
import { runProtectionSim } from '../../src/sim/protection-sim.ts';
import { fecRecoverableCount } from '../../src/sim/sim-report.ts';
import { simOptions } from './sim-options.ts';

describe('protection harness (virtual time, LinkModel both ways)', () => {
  for (const scheme of ['flexfec', 'ulpfec'] as const) {
    it(`FEC only (${scheme}) at 5 % random loss recovers exactly what the masks allow, never a wrong packet`, () => {
      let recovered = 0;
      for (const seed of [3, 4]) {
        const { report, truth } = runProtectionSim(simOptions({ seed, mode: 'fec', scheme, lossP: 0.05, fixedFecRate255: { key: 60, delta: 60 } }));
        expect(report.lostOnLink).toBeGreaterThan(5);
        expect(report.wrongPackets).toBe(0);
        expect(report.recoveredByFec + report.recoveredTooLate).toBe(fecRecoverableCount(truth));
        expect(report.recoveredByRtx).toBe(0);
        expect(report.nacksSent).toBe(0);
        expect(report.lostOnLink).toBe(report.recoveredByFec + report.recoveredTooLate + report.neverRecovered);
        expect(report.fecOverhead).toBeGreaterThan(0.1);
        recovered += report.recoveredByFec;
      }
      expect(recovered).toBeGreaterThan(0);
    });

    it(`FEC only (${scheme}) at 5 % loss: frames complete and decodable behind FEC seqs (seed 3)`, () => {
      const { report } = runProtectionSim(simOptions({ seed: 3, mode: 'fec', scheme, lossP: 0.05, fixedFecRate255: { key: 60, delta: 60 } }));
      // ULPFEC seqs sit between frames in the media seq space: neither received nor lost ones may stall them
      expect(report.framesIncomplete).toBeLessThanOrEqual(1);
      expect(report.framesDecodable).toBeGreaterThanOrEqual(report.framesSent - 5);
      expect(report.keyframeRequests).toBeLessThanOrEqual(1);
    });

    it(`hybrid (${scheme}) at 5 % loss: every frame complete and decodable, no keyframe request`, () => {
      const { report } = runProtectionSim(simOptions({ seed: 1, mode: 'hybrid', scheme, lossP: 0.05, jitterMs: 2 }));
      expect(report.lostOnLink).toBeGreaterThan(5);
      expect(report.framesIncomplete).toBe(0);
      expect(report.framesDecodable).toBe(report.framesSent);
      expect(report.keyframeRequests).toBe(0);
    });
  }

  it('NACK only at 40 ms RTT recovers nearly every loss within about one RTT plus jitter', () => {
    const jitterMs = 2;
    const { report, truth } = runProtectionSim(simOptions({ seed: 7, mode: 'nack', lossP: 0.05, oneWayDelayMs: 20, jitterMs }));
    expect(report.lostOnLink).toBeGreaterThan(10);
    expect(report.recoveredByFec).toBe(0);
    expect(report.neverRecovered + report.recoveredTooLate).toBeLessThanOrEqual(1);
    expect(report.recoveredByRtx).toBeGreaterThanOrEqual(report.lostOnLink - 1);
    // first-round recoveries: gap seen → RTX in ≤ RTT + jitter both ways + pacing slack
    const withinOneRound = truth.rtxDetectToRecoveryMs.filter((ms) => ms <= 40 + 2 * 2 * jitterMs + 5).length;
    expect(withinOneRound / truth.rtxDetectToRecoveryMs.length).toBeGreaterThanOrEqual(0.85);
    expect(report.wrongPackets).toBe(0);
    expect(report.fecOverhead).toBe(0);
    expect(report.framesIncomplete).toBeLessThanOrEqual(1);
  });

  it('hybrid: FEC first, RTX for the rest, nothing lost for good', () => {
    const { report, truth } = runProtectionSim(simOptions({ seed: 11, mode: 'hybrid', lossP: 0.05, jitterMs: 2, fixedFecRate255: { key: 40, delta: 40 } }));
    expect(report.recoveredByFec).toBeGreaterThan(0);
    expect(report.recoveredByFec).toBeGreaterThanOrEqual(fecRecoverableCount(truth) - report.recoveredByRtx);
    expect(report.neverRecovered).toBe(0);
    expect(report.wrongPackets).toBe(0);
    expect(report.recoveredByFec + report.recoveredByRtx + report.recoveredTooLate).toBe(report.lostOnLink);
  });

  it('FEC factors come from the FEC controller once RRs report loss', () => {
    const lossless = runProtectionSim(simOptions({ seed: 5, mode: 'fec', lossP: 0 })).report;
    expect(lossless.fecOverhead).toBe(0);
    const lossy = runProtectionSim(simOptions({ seed: 5, mode: 'fec', lossP: 0.1 })).report;
    expect(lossy.fecOverhead).toBeGreaterThan(0);
    expect(lossy.recoveredByFec).toBeGreaterThan(0);
    expect(lossy.wrongPackets).toBe(0);
  });

  it('waiting before the first NACK lets FEC act first: fewer spurious RTX, same recovery', () => {
    const base = { seed: 1, mode: 'hybrid' as const, lossP: 0.05, jitterMs: 2, fixedFecRate255: { key: 60, delta: 60 } };
    const eager = runProtectionSim(simOptions(base)).report;
    const patient = runProtectionSim(simOptions({ ...base, nackReorderWait: { packets: 100, ms: 15 } })).report;
    expect(eager.spuriousRtx).toBeGreaterThan(0);
    expect(patient.spuriousRtx).toBeLessThan(eager.spuriousRtx);
    expect(patient.neverRecovered).toBe(0);
  });

  it('the sender measures the RTT from SR/RR through both links', () => {
    const { truth } = runProtectionSim(simOptions({ seed: 2, mode: 'nack', lossP: 0, oneWayDelayMs: 30 }));
    // 2 × 30 ms plus at most one RR interval of DLSR rounding (1/65536 s) and pacing of the SR
    expect(truth.senderRttMs).toBeGreaterThanOrEqual(59);
    expect(truth.senderRttMs).toBeLessThan(62);
  });

  it('the same seed gives the same counts; another seed gives other losses', () => {
    const a = runProtectionSim(simOptions({ seed: 21, mode: 'hybrid', lossP: 0.05, jitterMs: 2 })).report;
    const b = runProtectionSim(simOptions({ seed: 21, mode: 'hybrid', lossP: 0.05, jitterMs: 2 })).report;
    expect(b).toEqual(a);
    const c = runProtectionSim(simOptions({ seed: 22, mode: 'hybrid', lossP: 0.05, jitterMs: 2 })).report;
    expect(c).not.toEqual(a);
  });
});
