/**
 * The scenario's protection block and what each end derives from it: default none (today's
 * pipeline), modes validated, recovery stream SSRCs distinct and shared by both ends, the
 * receiver's chain options matching the sender's streams (FlexFEC or RED/ULPFEC), the RTT bound
 * from the link, fixed or controller-driven FEC factors (0 at 0 % loss, nonzero at 5 %), the
 * scenario's rate table (a bad file is a ScenarioError naming protection.rateTable).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioError } from '../../lab/scenario/load.ts';
import { protectionStreams } from '../../src/shared/protection-streams.ts';
import { rateTableFromData, sendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';
import { realtimeReceiveOptions } from '../../src/receiver/protection/realtime-options.ts';
import { nackTailMs, rateTableOf, realtimeRecoveryPlan, rttBoundMs, sendProtectionPlan } from '../../lab/run/child-options.ts';
import type { ResolvedScenario } from '../../lab/scenario/schema.ts';
import { SendProtection } from '../../src/sender/protection/send-chain.ts';
import { ReceiveRecovery } from '../../src/receiver/protection/receive-chain.ts';
import { encodeReceiverReport } from '../../src/shared/rtcp/rr.ts';
import { FEC_RATE_TABLE_COLUMNS } from '../../src/sender/fec-controller/rate-table.ts';

/** The send chain's options for a scenario and media stream, as the orchestrator and the sender compose them. */
const realtimeSendProtectionOptions = (scenario: ResolvedScenario, media: { ssrc: number; payloadType: number }) => {
  const plan = sendProtectionPlan(scenario);
  return plan ? sendProtectionOptions(plan, media) : undefined;
};


const media = { ssrc: 0x12345678, payloadType: 102, extensions: {} };
const LINK = 'link:\n  backend: userspace\n  delay: 30ms\n  jitter: 4ms\n';

describe('scenario protection block', () => {
  it('defaults to none: neither end builds a chain', () => {
    const s = parseScenarioText('name: a\n', 'a.yaml', 1);
    expect(s.protection).toEqual({ mode: 'none', fec: 'flexfec', mask: 'random', rateTable: 'libwebrtc', fecRates: 'controller', lowRttNackMs: 20, highRttNackMs: null, maxRetries: 10 });
    expect(realtimeSendProtectionOptions(s, media)).toBeUndefined();
    expect(realtimeRecoveryPlan(s)).toBeUndefined();
  });

  it('refuses unknown modes, FEC formats and fields', () => {
    for (const bad of ['protection: { mode: arq }\n', 'protection: { mode: fec, fec: raptor }\n', 'protection: { mode: fec, mask: wide }\n', 'protection: { mode: nack, extra: 1 }\n']) {
      expect(() => parseScenarioText(`name: a\n${bad}`, 'a.yaml', 1)).toThrow(ScenarioError);
    }
  });

  it('each mode and FEC format gives both ends matching streams, and the chains accept the options', () => {
    for (const fecScheme of ['flexfec', 'ulpfec'] as const) {
      for (const mode of ['nack', 'fec', 'hybrid'] as const) {
        const s = parseScenarioText(`name: a\nprotection: { mode: ${mode}, fec: ${fecScheme}, mask: bursty, maxRetries: 4 }\n${LINK}`, 'a.yaml', 9);
        const send = realtimeSendProtectionOptions(s, media)!;
        const plan = realtimeRecoveryPlan(s)!;
        const recv = realtimeReceiveOptions(plan, media, 1);
        expect(send.mode).toBe(mode);
        expect(send.fecScheme).toBe(fecScheme);
        expect(send.maskType).toBe('bursty');
        expect(send.fixedFecRate255).toBeUndefined();
        expect(() => new SendProtection(send)).not.toThrow();
        expect(() => new ReceiveRecovery(recv)).not.toThrow();
        const nack = mode !== 'fec';
        const fec = mode !== 'nack';
        expect(recv.rtx).toEqual(nack ? { ssrc: send.rtx.ssrc, payloadType: send.rtx.payloadType } : undefined);
        expect(recv.nack?.maxRetries).toBe(nack ? 4 : undefined);
        expect(recv.flexfec).toEqual(fec && fecScheme === 'flexfec' ? { ssrc: send.flexfec.ssrc, payloadType: send.flexfec.payloadType } : undefined);
        expect(recv.red).toEqual(fec && fecScheme === 'ulpfec' ? send.red : undefined);
        expect(plan.assemblerMaxWaitMs).toBeGreaterThan(0);
      }
    }
  });

  it('fixed fecRates become the chain\'s fixed factors', () => {
    const s = parseScenarioText('name: a\nprotection: { mode: fec, fecRates: { key: 90, delta: 40 } }\n', 'a.yaml', 1);
    const chain = new SendProtection(realtimeSendProtectionOptions(s, media)!);
    expect(chain.fecRates255).toEqual({ key: 90, delta: 40 });
  });

  it('the RTT bound adds both directions\' delay and jitter', () => {
    const s = parseScenarioText(`name: a\n${LINK}`, 'a.yaml', 1);
    expect(rttBoundMs(s)).toBeCloseTo(2 * (30 + 2 * 4) + 10, 6);
    expect(rttBoundMs(parseScenarioText('name: a\n', 'a.yaml', 1))).toBe(10);
  });
});

describe('protection streams', () => {
  it('two distinct nonzero uint32 SSRCs per seed, the same on both ends', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
      const a = protectionStreams(seed);
      expect(a).toEqual(protectionStreams(seed));
      expect(a.rtx.ssrc).not.toBe(a.flexfec.ssrc);
      for (const ssrc of [a.rtx.ssrc, a.flexfec.ssrc]) expect(ssrc > 0 && ssrc <= 0xffffffff && Number.isInteger(ssrc)).toBe(true);
      expect(a.rtx.payloadType).not.toBe(a.flexfec.payloadType);
    }));
  });
});

/** Factors after 20 frames of `bytes` each (30 fps) and one RR reporting `loss255`. */
function factorsAfterRr(yaml: string, loss255: number, file = 'a.yaml'): { key: number; delta: number } {
  const s = parseScenarioText(`name: a\nresolution: 640x360\nencoder: { bitrate: 1Mbps }\n${yaml}`, file, 1);
  const chain = new SendProtection(realtimeSendProtectionOptions(s, media)!);
  for (let i = 0; i < 20; i++) {
    const packets = [0, 1, 2].map((k) => rtp(i * 3 + k, k === 2));
    chain.sendFrame({ packets, keyframe: i === 0, nowMs: 1000 + i * 33 });
  }
  const rr = encodeReceiverReport({ ssrc: 1, reports: [{ ssrc: media.ssrc, fractionLost: loss255, cumulativeLost: 0, extendedHighestSeq: 60, jitter: 0, lastSr: 0, delaySinceLastSr: 0 }] });
  expect(chain.handleRtcp(rr, 1700)).toBeUndefined();
  return chain.fecRates255;
}

/** A media RTP packet of `media.ssrc` with a 1000-byte payload. */
function rtp(seq: number, marker: boolean): Uint8Array {
  const p = Buffer.alloc(1012, 0x11);
  p[0] = 0x80;
  p[1] = (marker ? 0x80 : 0) | media.payloadType;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE(0x1000 + Math.floor(seq / 3) * 3000, 4);
  p.writeUInt32BE(media.ssrc, 8);
  return p;
}

describe('controller-driven FEC factors', () => {
  it('0 at 0 % loss, as libwebrtc; nonzero key and delta at 5 % loss', () => {
    expect(factorsAfterRr('protection: { mode: fec }\n', 0)).toEqual({ key: 0, delta: 0 });
    const at5 = factorsAfterRr('protection: { mode: fec }\n', 13);
    expect(at5.delta).toBeGreaterThan(0);
    expect(at5.key).toBeGreaterThanOrEqual(at5.delta);
  });

  it('hybrid below lowRttNackMs keeps delta frames FEC-free (loopback RTT bound 10 ms)', () => {
    expect(factorsAfterRr('protection: { mode: hybrid, lowRttNackMs: 20 }\n', 13).delta).toBe(0);
    expect(factorsAfterRr('protection: { mode: hybrid, lowRttNackMs: 5 }\n', 13).delta).toBeGreaterThan(0);
  });

  it('reads the scenario\'s rate table: a table of 255s protects more than the shipped one at 1 % loss', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'glasslab-table-'));
    writeFileSync(path.join(dir, 'full.json'), JSON.stringify({ table: Array.from({ length: 50 }, () => new Array<number>(FEC_RATE_TABLE_COLUMNS).fill(255)) }));
    const file = path.join(dir, 's.yaml');
    const full = factorsAfterRr('protection: { mode: fec, rateTable: full.json }\n', 3, file);
    const shipped = factorsAfterRr('protection: { mode: fec }\n', 3, file);
    expect(full.delta).toBeGreaterThan(shipped.delta);
  });

  it('a missing or bad table file is a ScenarioError naming protection.rateTable and the problem', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'glasslab-table-'));
    writeFileSync(path.join(dir, 'short.json'), JSON.stringify({ table: [[1, 2, 3]] }));
    const file = path.join(dir, 's.yaml');
    for (const [name, problem] of [['missing.json', /FEC_TABLE_READ.*cannot read/], ['short.json', /FEC_TABLE_SHAPE.*3 columns/]] as const) {
      let error: unknown;
      try {
        parseScenarioText(`name: a\nprotection:\n  mode: fec\n  rateTable: ${name}\n`, file, 1);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      const issue = (error as ScenarioError).issues[0]!;
      expect(issue.path).toBe('protection.rateTable');
      expect(issue.line).toBe(4);
      expect(issue.message).toMatch(problem);
    }
  });
});

describe('sender run end and rate tables', () => {
  it('answers NACKs for three RTT bounds + 100 ms after the last frame (at most 2 s), not at all without NACK', () => {
    const tail = (mode: string, delay: string) =>
      nackTailMs(parseScenarioText(`name: a\nprotection: { mode: ${mode} }\nlink:\n  backend: userspace\n  delay: ${delay}\n  jitter: 4ms\n`, 'a.yaml', 1));
    // RTT bound at 30 ms each way, 4 ms jitter: 60 + 16 + 10 = 86 ms
    expect(tail('nack', '30ms')).toBeCloseTo(3 * 86 + 100, 9);
    expect(tail('hybrid', '30ms')).toBeCloseTo(3 * 86 + 100, 9);
    expect(tail('fec', '30ms')).toBe(0);
    expect(tail('none', '30ms')).toBe(0);
    expect(tail('nack', '900ms')).toBe(2000);
  });

  it('the table a scenario names travels in the sender plan as data: the sender reads no file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gl-table-'));
    const file = path.join(dir, 't.json');
    writeFileSync(file, JSON.stringify({ table: [new Array(FEC_RATE_TABLE_COLUMNS).fill(7)] }));
    // (the scenario loader checks the path against its allowed folders; here the resolved field is set directly)
    const parsed = parseScenarioText('name: a\nprotection: { mode: fec }\n', 'a.yaml', 1);
    const s: ResolvedScenario = { ...parsed, protection: { ...parsed.protection!, rateTable: file } };
    const plan = sendProtectionPlan(s)!;
    // the file may change or go away once the orchestrator has read it
    writeFileSync(file, 'not json');
    expect(plan.rateTableName).toBe(file);
    const table = rateTableFromData(JSON.parse(JSON.stringify(plan.controller.table)) as typeof plan.controller.table);
    expect(table.rows).toBe(1);
    expect(table.columns).toBe(FEC_RATE_TABLE_COLUMNS);
    expect(table.values).toEqual(new Uint8Array(FEC_RATE_TABLE_COLUMNS).fill(7));
    expect(() => rateTableOf(file)).toThrow();
  });
});
