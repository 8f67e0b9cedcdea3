// The configure messages cross a JSON-lines socket: the options the orchestrator derives from a
// scenario must survive JSON unchanged, whatever the scenario's protection.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { receiverRunOptions, senderRunOptions } from '../../lab/run/child-options.ts';
import { sendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';

const scenarios = [
  'name: a\n',
  'name: b\nseed: 9\nprotection: { mode: hybrid, fec: ulpfec, mask: bursty }\npacer: { mode: leaky, factor: 2.5 }\n',
  'name: c\nprotection: { mode: fec, fecRates: { key: 40, delta: 20 } }\nlink: { backend: userspace, delay: 30ms, jitter: 4ms }\n',
  'name: d\nprotection: { mode: nack, maxRetries: 3 }\ncapture: { path: gpu-convert, format: nv12 }\n',
];

describe('child options', () => {
  it.each(scenarios)('survive JSON: %j', (text) => {
    const scenario = parseScenarioText(text, 'x.yaml', 1);
    const sender = senderRunOptions(scenario);
    const receiver = receiverRunOptions(scenario);
    expect(JSON.parse(JSON.stringify(sender))).toEqual(sender);
    expect(JSON.parse(JSON.stringify(receiver))).toEqual(receiver);
    // both ends agree on the recovery streams
    if (sender.protection && receiver.recovery) {
      expect(receiver.recovery.streams.rtx.ssrc).toBe(sender.protection.rtx.ssrc);
      expect(receiver.recovery.streams.flexfec.ssrc).toBe(sender.protection.flexfec.ssrc);
      expect(receiver.recovery.fecScheme).toBe(sender.protection.fecScheme);
      const chain = sendProtectionOptions(JSON.parse(JSON.stringify(sender.protection)) as typeof sender.protection, { ssrc: 5, payloadType: 102 });
      expect(chain.mediaSsrc).toBe(5);
    } else {
      expect(sender.protection).toBeUndefined();
      expect(receiver.recovery).toBeUndefined();
    }
  });
});
