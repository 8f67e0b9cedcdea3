/**
 * The scenario's protection block and what each end derives from it: default none (today's
 * pipeline), modes validated, recovery stream SSRCs distinct and shared by both ends, the
 * receiver's chain options matching the sender's streams, the RTT bound from the link.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioError } from '../../lab/scenario/load.ts';
import { protectionStreams, rttBoundMs } from '../../src/shared/protection-streams.ts';
import { realtimeSendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';
import { realtimeReceiveOptions, realtimeRecoveryPlan } from '../../src/receiver/protection/realtime-options.ts';
import { SendProtection } from '../../src/sender/protection/send-chain.ts';
import { ReceiveRecovery } from '../../src/receiver/protection/receive-chain.ts';

const media = { ssrc: 0x12345678, payloadType: 102, extensions: {} };
const LINK = 'link:\n  backend: userspace\n  delay: 30ms\n  jitter: 4ms\n';

describe('scenario protection block', () => {
  it('defaults to none: neither end builds a chain', () => {
    const s = parseScenarioText('name: a\n', 'a.yaml', 1);
    expect(s.protection).toEqual({ mode: 'none', fec: 'flexfec' });
    expect(realtimeSendProtectionOptions(s, media)).toBeUndefined();
    expect(realtimeRecoveryPlan(s)).toBeUndefined();
  });

  it('refuses unknown modes, FEC formats and fields', () => {
    for (const bad of ['protection: { mode: arq }\n', 'protection: { mode: fec, fec: ulpfec }\n', 'protection: { mode: nack, extra: 1 }\n']) {
      expect(() => parseScenarioText(`name: a\n${bad}`, 'a.yaml', 1)).toThrow(ScenarioError);
    }
  });

  it('each mode gives both ends matching streams, and the chains accept the options', () => {
    for (const mode of ['nack', 'fec', 'hybrid'] as const) {
      const s = parseScenarioText(`name: a\nprotection: { mode: ${mode} }\n${LINK}`, 'a.yaml', 9);
      const send = realtimeSendProtectionOptions(s, media)!;
      const plan = realtimeRecoveryPlan(s)!;
      const recv = realtimeReceiveOptions(plan, media, 1);
      expect(send.mode).toBe(mode);
      expect(() => new SendProtection(send)).not.toThrow();
      expect(() => new ReceiveRecovery(recv)).not.toThrow();
      const nack = mode !== 'fec';
      const fec = mode !== 'nack';
      expect(recv.rtx).toEqual(nack ? { ssrc: send.rtx.ssrc, payloadType: send.rtx.payloadType } : undefined);
      expect(recv.nack !== undefined).toBe(nack);
      expect(recv.flexfec).toEqual(fec ? { ssrc: send.flexfec.ssrc, payloadType: send.flexfec.payloadType } : undefined);
      expect(plan.assemblerMaxWaitMs).toBeGreaterThan(0);
    }
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
