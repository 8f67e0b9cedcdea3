/**
 * The scenario's `congestion` section: fixed by default; googcc with its start (default the
 * encoder bitrate), min and max (default 2 × start) resolved to bit/s and handed to the sender
 * (with the lab receiver's SSRC as the only feedback source) and to the receiver (send feedback);
 * a mode it does not know is refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioError } from '../../lab/scenario/load.ts';
import { receiverRunOptions, senderRunOptions } from '../../lab/run/child-options.ts';
import { RECEIVER_RTCP_SSRC } from '../../src/receiver/run-options.ts';

describe('scenario congestion', () => {
  it('fixed by default: no estimator, no feedback', () => {
    const s = parseScenarioText('name: a\n', 'a.yaml', 1);
    expect(s.congestion).toEqual({ mode: 'fixed' });
    expect(senderRunOptions(s).congestion).toBeUndefined();
    expect(receiverRunOptions(s).transportFeedback).toBeUndefined();
  });

  it('googcc: rates resolved, the sender estimates on the lab receiver\'s feedback, the receiver sends it', () => {
    const s = parseScenarioText('name: a\nencoder: { bitrate: 1mbps }\ncongestion: { mode: googcc, minRate: 100kbps }\n', 'a.yaml', 1);
    expect(s.congestion).toEqual({ mode: 'googcc', startBps: 1_000_000, minBps: 100_000, maxBps: 2_000_000 });
    expect(senderRunOptions(s).congestion).toEqual({ startBps: 1_000_000, minBps: 100_000, maxBps: 2_000_000, feedbackSenderSsrc: RECEIVER_RTCP_SSRC });
    expect(receiverRunOptions(s).transportFeedback).toBe(true);
  });

  it('an unknown mode is refused naming congestion.mode', () => {
    try {
      parseScenarioText('name: a\ncongestion: { mode: bbr }\n', 'a.yaml', 1);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      expect((error as ScenarioError).issues.map((i) => i.path)).toContain('congestion.mode');
    }
  });
});
