/**
 * Loss protection end to end in virtual time, through the one composition every run uses
 * (SendPipeline → native link model → ReceivePipeline, the scenario mapping of lab/sim) and
 * judged by the lab's own wire-truth analysis (computeRecovery over the records and fate log):
 * FEC alone recovers exactly what its masks allow, never a wrong packet; hybrid loses nothing
 * and needs no keyframe; NACK alone repairs within about one round trip; the FEC controller turns
 * FEC on from the RRs; waiting before the first NACK lets FEC act first; the sender measures the
 * RTT from SR/RR through both links. (These were the protection harness's cases, src/sim's
 * second composition of the same units, which this replaces.)
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { virtualSessionOptions } from '../../lab/sim/session-options.ts';
import { frameSourceOf } from '../../lab/sim/run-sim.ts';
import { computeRecovery } from '../../lab/metrics/recovery.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import { parseFateLog } from '../../src/link/fate.ts';
import { runVirtualSession } from '../../src/sim/virtual-session.ts';
import type { LabRecord } from '../../src/shared/records.ts';

interface Case {
  seed: number;
  protection: string;
  lossPercent?: number;
  oneWayMs?: number;
  jitterMs?: number;
  nackReorderWait?: { packets: number; ms: number };
}

function simulate(c: Case) {
  const loss = c.lossPercent ? `, up: { loss: { model: random, p: ${c.lossPercent}% } }` : '';
  const scenario = parseScenarioText(
    `name: p\nduration: 4s\nresolution: 1280x720\nfps: 30\nseed: ${c.seed}\nencoder: { codec: x264, bitrate: 2mbps }\nprotection: ${c.protection}\n` +
      `link: { backend: userspace, delay: ${c.oneWayMs ?? 20}ms, jitter: ${c.jitterMs ?? 0}ms, keep_order: true${loss} }\n`,
    'p.yaml', c.seed,
  );
  const records: LabRecord[] = [];
  let fateText = '';
  const options = virtualSessionOptions(scenario, { frames: frameSourceOf(scenario, undefined), startMs: 1000, sender: { write: (r) => records.push(r) }, receiver: { write: (r) => records.push(r) }, linkFates: (t) => { fateText += t; } });
  if (c.nackReorderWait && options.receive.recovery) options.receive.recovery = { ...options.receive.recovery, nackReorderWait: c.nackReorderWait };
  const result = runVirtualSession(options);
  const fates = parseFateLog(fateText);
  if (!('records' in fates)) throw fates.error;
  const sorted = sortRecords(records);
  const recovery = computeRecovery({ records: sorted, fates: fates.records, originMs: 1000, freezes: 0, protection: scenario.protection ?? {} })!.summary;
  const receiverFrames = sorted.receiverFrames;
  return {
    result, recovery,
    misread: receiverFrames.filter((f) => f.marker === 'check-failed').length,
    displayed: receiverFrames.filter((f) => f.marker === 'ok').length,
    plis: sorted.feedback.filter((f) => f.side === 'receiver' && f.kind === 'pli').length,
  };
}

describe('loss protection in virtual time (the pipelines, the link model, wire truth)', () => {
  for (const scheme of ['flexfec', 'ulpfec'] as const) {
    it(`FEC only (${scheme}) at 5 % random loss recovers exactly what the masks allow, never a wrong packet`, () => {
      for (const seed of [3, 4]) {
        const s = simulate({ seed, protection: `{ mode: fec, fec: ${scheme}, mask: random, fecRates: { key: 60, delta: 60 } }`, lossPercent: 5 });
        const t = s.recovery.totals;
        expect(t.dropped).toBeGreaterThan(5);
        expect(s.misread).toBe(0);
        expect(t.fec + t.tooLate).toBe(s.recovery.fecRecoverable);
        expect(t.rtx).toBe(0);
        expect(s.recovery.nacksSent).toBe(0);
        expect(t.dropped).toBe(t.fec + t.tooLate + t.never);
        expect(s.recovery.fecOverhead).toBeGreaterThan(0.1);
        expect(t.fec).toBeGreaterThan(0);
      }
    });

    it(`hybrid (${scheme}) at 5 % loss, 2 ms jitter: every frame displayed, nothing lost for good, no keyframe request`, () => {
      const s = simulate({ seed: 1, protection: `{ mode: hybrid, fec: ${scheme} }`, lossPercent: 5, jitterMs: 2 });
      expect(s.recovery.totals.dropped).toBeGreaterThan(5);
      expect(s.recovery.totals.never).toBe(0);
      expect(s.displayed).toBe(s.result.framesCaptured);
      expect(s.misread).toBe(0);
      expect(s.plis).toBe(0);
    });
  }

  it('NACK only at 40 ms RTT: nearly every loss repaired by RTX, about one round trip after the NACK', () => {
    const s = simulate({ seed: 7, protection: '{ mode: nack }', lossPercent: 5, oneWayMs: 20, jitterMs: 2 });
    const t = s.recovery.totals;
    expect(t.dropped).toBeGreaterThan(10);
    expect(t.fec).toBe(0);
    expect(t.never + t.tooLate).toBeLessThanOrEqual(1);
    expect(t.rtx).toBeGreaterThanOrEqual(t.dropped - 1);
    // NACK out → RTX in: the RTT, both directions' jitter, and pacing slack; an RTX the link
    // dropped too (5 % of them) costs another round
    const oneRoundMs = 40 + 2 * 2 * 2 + 5;
    expect(s.recovery.nackToRtxMs.p50).toBeLessThanOrEqual(oneRoundMs);
    expect(s.recovery.nackToRtxMs.max).toBeLessThanOrEqual(3 * oneRoundMs);
    expect(s.misread).toBe(0);
    expect(s.recovery.fecOverhead).toBe(0);
  });

  it('hybrid with fixed factors: FEC first, RTX for the rest, nothing lost for good', () => {
    const s = simulate({ seed: 11, protection: '{ mode: hybrid, fecRates: { key: 40, delta: 40 } }', lossPercent: 5, jitterMs: 2 });
    const t = s.recovery.totals;
    expect(t.fec).toBeGreaterThan(0);
    expect(t.rtx).toBeGreaterThan(0);
    expect(t.never).toBe(0);
    expect(t.fec + t.rtx + t.tooLate).toBe(t.dropped);
    expect(s.misread).toBe(0);
  });

  it('FEC factors come from the FEC controller once RRs report loss', () => {
    const lossless = simulate({ seed: 5, protection: '{ mode: fec }' });
    expect(lossless.recovery.fecOverhead).toBe(0);
    const lossy = simulate({ seed: 5, protection: '{ mode: fec }', lossPercent: 10 });
    expect(lossy.recovery.fecOverhead).toBeGreaterThan(0);
    expect(lossy.recovery.totals.fec).toBeGreaterThan(0);
    expect(lossy.misread).toBe(0);
  });

  it('waiting before the first NACK lets FEC act first: fewer spurious RTX, nothing lost', () => {
    const base = { seed: 1, protection: '{ mode: hybrid, fecRates: { key: 60, delta: 60 } }', lossPercent: 5, jitterMs: 2 };
    const eager = simulate({ ...base, nackReorderWait: { packets: 0, ms: 0 } });
    const patient = simulate({ ...base, nackReorderWait: { packets: 100, ms: 15 } });
    expect(eager.recovery.spuriousRtx).toBeGreaterThan(0);
    expect(patient.recovery.spuriousRtx).toBeLessThan(eager.recovery.spuriousRtx);
    expect(patient.recovery.totals.never).toBe(0);
  });

  it('the sender measures the RTT from SR/RR through both links', () => {
    const s = simulate({ seed: 2, protection: '{ mode: nack }', oneWayMs: 30 });
    // 2 × 30 ms plus DLSR rounding (1/65536 s) and the pacing of the SR
    expect(s.result.senderRttMs).toBeGreaterThanOrEqual(59);
    expect(s.result.senderRttMs).toBeLessThan(62);
  });
});
