/**
 * Keyframe requests reach the encoder only when they are for our media stream, a repeated FIR
 * (same command sequence number, RFC 5104 §4.3.1.2) costs no second IDR, and the sender gives
 * the same answer with and without the protection chain (which used to drop its own
 * keyframe-request output while the plain path ignored the SSRC).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyframeRequestFilter } from '../../src/sender/keyframe-requests.ts';
import { encodeCompound, parseCompound, type RtcpPacket } from '../../src/shared/rtcp/compound.ts';
import { VideoSender } from '../../src/sender/video-sender.ts';
import { sendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';
import { sendProtectionPlan } from '../../lab/run/child-options.ts';
import type { ResolvedScenario } from '../../lab/scenario/schema.ts';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import type { NativeEncoder } from '../../src/native/types.ts';

/** The send chain's options for a scenario and media stream, as the orchestrator and the sender compose them. */
const realtimeSendProtectionOptions = (scenario: ResolvedScenario, media: { ssrc: number; payloadType: number }) => {
  const plan = sendProtectionPlan(scenario);
  return plan ? sendProtectionOptions(plan, media) : undefined;
};


const MEDIA_SSRC = 0x0badcafe;
const OTHER_SSRC = 0x12345678;
const pli = (mediaSsrc: number): RtcpPacket => ({ type: 'pli', senderSsrc: 1, mediaSsrc });
const fir = (senderSsrc: number, ssrc: number, seqNr: number): RtcpPacket => ({ type: 'fir', senderSsrc, entries: [{ ssrc, seqNr }] });

describe('KeyframeRequestFilter', () => {
  it('takes a PLI or FIR for our media SSRC and ignores one for another stream', () => {
    const filter = new KeyframeRequestFilter(MEDIA_SSRC);
    expect(filter.requestsIn([pli(MEDIA_SSRC), pli(OTHER_SSRC)])).toEqual(['pli']);
    expect(filter.requestsIn([fir(1, OTHER_SSRC, 0)])).toEqual([]);
    expect(filter.requestsIn([{ type: 'fir', senderSsrc: 1, entries: [{ ssrc: OTHER_SSRC, seqNr: 0 }, { ssrc: MEDIA_SSRC, seqNr: 0 }] }])).toEqual(['fir']);
  });

  it('counts a FIR once per new command sequence number and requester, whatever the sequence', () => {
    const requesters = [7, 8];
    fc.assert(
      fc.property(fc.array(fc.record({ requester: fc.constantFrom(...requesters), seqNr: fc.integer({ min: 0, max: 3 }) }), { maxLength: 40 }), (firs) => {
        const filter = new KeyframeRequestFilter(MEDIA_SSRC);
        const last = new Map<number, number>();
        let expected = 0;
        for (const { requester, seqNr } of firs) {
          if (last.get(requester) !== seqNr) expected++;
          last.set(requester, seqNr);
        }
        const accepted = firs.flatMap(({ requester, seqNr }) => filter.requestsIn([fir(requester, MEDIA_SSRC, seqNr)]));
        expect(accepted.length).toBe(expected);
      }),
    );
  });
});

describe('VideoSender keyframe requests', () => {
  const build = (protection: string) => {
    const scenario = parseScenarioText(`name: a\nseed: 3\nencoder: { bitrate: 400kbps }\nprotection: ${protection}\n`, 'a.yaml', 1);
    const media = { ssrc: MEDIA_SSRC, payloadType: 102, extensions: {} };
    let keyframes = 0;
    const feedback: string[] = [];
    const encoder: NativeEncoder = {
      codec: 'x264', implementation: 'fake',
      encode: () => Promise.reject(new Error('not used')),
      setBitrate: () => {}, requestKeyframe: () => void keyframes++, close: () => {},
    };
    const options = realtimeSendProtectionOptions(scenario, media);
    const sender = new VideoSender({
      encoder, media, mtu: 1200, seed: 3, onError: (e) => { throw e; },
      records: { write: (r) => { const f = r as { type: string; kind?: string }; if (f.type === 'feedback' && f.kind) feedback.push(f.kind); } },
      send: async () => true,
      ...(options ? { protection: options } : {}),
    });
    const deliver = (packets: RtcpPacket[]) => sender.handleRtcp(Buffer.from(encodeCompound(packets)), process.hrtime.bigint());
    return { sender, deliver, keyframes: () => keyframes, feedback };
  };

  for (const protection of ['{ mode: none }', '{ mode: hybrid }', '{ mode: fec, fec: ulpfec }']) {
    it(`protection ${protection}: one IDR per request for our stream, none for another, none for a repeated FIR`, () => {
      const s = build(protection);
      s.deliver([pli(MEDIA_SSRC)]);
      s.deliver([pli(OTHER_SSRC)]);
      s.deliver([fir(9, MEDIA_SSRC, 1)]);
      s.deliver([fir(9, MEDIA_SSRC, 1)]);
      s.deliver([fir(9, MEDIA_SSRC, 2), pli(MEDIA_SSRC)]);
      expect(s.keyframes()).toBe(4);
      expect(s.sender.keyframeRequests).toBe(4);
      expect([...s.feedback].sort()).toEqual(['fir', 'fir', 'pli', 'pli']);
      s.sender.stop();
    });
  }

  it('malformed RTCP reaches nobody', () => {
    const s = build('{ mode: hybrid }');
    s.sender.handleRtcp(Buffer.from([0x81, 206, 0, 9, 1, 2]), process.hrtime.bigint());
    expect(parseCompound(new Uint8Array([0x81, 206, 0, 9, 1, 2])).ok).toBe(false);
    expect(s.keyframes()).toBe(0);
    s.sender.stop();
  });
});
