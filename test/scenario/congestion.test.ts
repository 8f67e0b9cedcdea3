/**
 * The scenario's `congestion` section: fixed by default; googcc with its start (default the
 * encoder bitrate), min and max (default 2 × start) resolved to bit/s and handed to the sender
 * (with the lab receiver's SSRC as the only feedback source) and to the receiver (send feedback);
 * a mode it does not know is refused naming the field. `feedback` (twcc by default, or ccfb: RFC
 * 8888) goes to both: the sender reads it, the receiver sends it; a bad value is refused naming
 * congestion.feedback, and so is ccfb with a Chromium peer (libwebrtc sends and reads twcc).
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioError } from '../../lab/scenario/load.ts';
import { receiverRunOptions, senderRunOptions } from '../../lab/run/child-options.ts';
import { RECEIVER_RTCP_SSRC } from '../../src/receiver/run-options.ts';
import { iperfSummary } from '../../lab/run/cross-traffic.ts';

describe('scenario congestion', () => {
  it('fixed by default: no estimator, no feedback', () => {
    const s = parseScenarioText('name: a\n', 'a.yaml', 1);
    expect(s.congestion).toEqual({ mode: 'fixed' });
    expect(senderRunOptions(s).congestion).toBeUndefined();
    expect(receiverRunOptions(s).transportFeedback).toBeUndefined();
  });

  it('googcc: rates resolved, the sender estimates on the lab receiver\'s feedback, the receiver sends it', () => {
    const s = parseScenarioText('name: a\nencoder: { bitrate: 1mbps }\ncongestion: { mode: googcc, minRate: 100kbps }\n', 'a.yaml', 1);
    expect(s.congestion).toEqual({ mode: 'googcc', startBps: 1_000_000, minBps: 100_000, maxBps: 2_000_000, feedback: 'twcc' });
    expect(senderRunOptions(s).congestion).toEqual({ startBps: 1_000_000, minBps: 100_000, maxBps: 2_000_000, feedback: 'twcc', feedbackSenderSsrc: RECEIVER_RTCP_SSRC });
    expect(receiverRunOptions(s).transportFeedback).toBe(true);
    expect(receiverRunOptions(s).ccfb).toBeUndefined();
  });

  it('feedback: ccfb goes to the sender\'s estimator and makes the receiver send RFC 8888 instead of transport-wide feedback', () => {
    const s = parseScenarioText('name: a\nencoder: { bitrate: 1mbps }\ncongestion: { mode: googcc, feedback: ccfb }\n', 'a.yaml', 1);
    expect(s.congestion).toEqual({ mode: 'googcc', startBps: 1_000_000, minBps: 50_000, maxBps: 2_000_000, feedback: 'ccfb' });
    expect(senderRunOptions(s).congestion).toMatchObject({ feedback: 'ccfb', feedbackSenderSsrc: RECEIVER_RTCP_SSRC });
    expect(receiverRunOptions(s)).toMatchObject({ ccfb: true });
    expect(receiverRunOptions(s).transportFeedback).toBeUndefined();
    // runs resolved before the field existed read as twcc
    const old = { ...s, congestion: { mode: 'googcc' as const, startBps: 1_000_000, minBps: 50_000, maxBps: 2_000_000 } };
    expect(senderRunOptions(old).congestion?.feedback).toBe('twcc');
    expect(receiverRunOptions(old).transportFeedback).toBe(true);
  });

  it('a feedback format it does not know is refused naming congestion.feedback; so is ccfb with a Chromium peer', () => {
    for (const text of [
      'name: a\ncongestion: { mode: googcc, feedback: remb }\n',
      'name: a\ncongestion: { mode: googcc, feedback: ccfb }\nreceiver: { kind: chromium }\n',
      'name: a\ncongestion: { mode: googcc, feedback: ccfb }\nsender: { kind: chromium }\n',
    ]) {
      try {
        parseScenarioText(text, 'a.yaml', 1);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ScenarioError);
        expect((error as ScenarioError).issues.map((i) => i.path)).toContain('congestion.feedback');
      }
    }
    expect(parseScenarioText('name: a\ncongestion: { mode: googcc, feedback: twcc }\nreceiver: { kind: chromium }\n', 'a.yaml', 1).congestion).toMatchObject({ feedback: 'twcc' });
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

describe('crossTraffic', () => {
  it('resolves flows with their times and refuses them without a link', () => {
    const link = 'link: { backend: userspace, delay: 20ms, rate: 2mbit }\n';
    const s = parseScenarioText(`name: x\nduration: 20s\n${link}crossTraffic:\n  - { kind: tcp, at: 6s, duration: 8s }\n  - { kind: tcp, direction: down }\n`, 'x.yaml', 1);
    expect(s.crossTraffic).toEqual([
      { kind: 'tcp', direction: 'up', atMs: 6000, durationMs: 8000 },
      { kind: 'tcp', direction: 'down', atMs: 0, durationMs: 20_000 },
    ]);
    expect(() => parseScenarioText('name: x\ncrossTraffic:\n  - { kind: tcp }\n', 'x.yaml', 1)).toThrow(/crossTraffic: competing flows share the link/);
    expect(() => parseScenarioText(`name: x\n${link}crossTraffic:\n  - { kind: udp }\n`, 'x.yaml', 1)).toThrow(/crossTraffic\.0\.kind/);
    expect(() => parseScenarioText(`name: x\n${link}crossTraffic:\n  - { kind: tcp, at: soon }\n`, 'x.yaml', 1)).toThrow(/expected a time such as "5s"/);
  });

  it("reads iperf3's JSON summary, and says so when there is none", () => {
    expect(iperfSummary(JSON.stringify({ end: { sum_received: { bits_per_second: 1.2e6 }, sum_sent: { retransmits: 3 } } }))).toEqual({ receivedBps: 1.2e6, retransmits: 3, error: null });
    expect(iperfSummary(JSON.stringify({ error: 'unable to connect to server: Connection refused' })).error).toBe('unable to connect to server: Connection refused');
    expect(iperfSummary('iperf3: error').error).toMatch(/^iperf3 printed no JSON/);
  });
});
