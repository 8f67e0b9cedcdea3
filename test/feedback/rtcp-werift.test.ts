/**
 * Interop: our RTCP bytes read by werift 0.25.2 (the lab's transport) and werift's bytes read by
 * us. werift is the other implementation at hand; where it is wrong, the test says so.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GenericNack, PictureLossIndication, RtcpPacketConverter, RtcpPayloadSpecificFeedback, RtcpReceiverInfo, RtcpRrPacket,
  RtcpSenderInfo, RtcpSrPacket, RtcpTransportLayerFeedback, TransportWideCC,
} from 'werift';
import { encodeNack, parseNack } from '../../src/shared/rtcp/nack.ts';
import { encodeTwcc, TWCC_DELTA_TICK_US } from '../../src/shared/rtcp/twcc.ts';
import { encodeFir } from '../../src/shared/rtcp/fir.ts';
import { parsePli } from '../../src/shared/rtcp/pli.ts';
import { parseCompound } from '../../src/shared/rtcp/compound.ts';
import { encodeReceiverReport } from '../../src/shared/rtcp/rr.ts';

const u32 = fc.nat({ max: 0xffffffff });

describe('RTCP interop with werift', () => {
  it('werift reads our NACKs (it does not wrap BLP seqs past 65535, so compare mod 2^16)', () => fc.assert(fc.property(
    u32, u32, fc.array(fc.nat({ max: 0xffff }), { minLength: 1, maxLength: 100 }), (s, m, seqs) => {
      const [pkt] = RtcpPacketConverter.deSerialize(Buffer.from(encodeNack({ senderSsrc: s, mediaSsrc: m, seqs })));
      expect(pkt).toBeInstanceOf(RtcpTransportLayerFeedback);
      const fb = (pkt as RtcpTransportLayerFeedback).feedback as GenericNack;
      expect(fb.senderSsrc).toBe(s);
      expect(fb.mediaSourceSsrc).toBe(m);
      expect(new Set(fb.lost.map((x) => x & 0xffff))).toEqual(new Set(seqs));
    })));

  it('we read werift\'s NACKs', () => fc.assert(fc.property(
    fc.uniqueArray(fc.nat({ max: 0xfff0 }), { minLength: 1, maxLength: 100 }), (lost) => {
      const sorted = [...lost].sort((a, b) => a - b);
      const bytes = new RtcpTransportLayerFeedback({ feedback: new GenericNack({ senderSsrc: 5, mediaSourceSsrc: 6, lost: sorted }) }).serialize();
      const r = parseNack(bytes);
      if (!r.ok) throw new Error(r.error.message);
      expect(new Set(r.value.seqs)).toEqual(new Set(sorted));
      expect(r.value.mediaSsrc).toBe(6);
    })));

  it('werift reads our TWCC header, chunks and receive deltas', () => fc.assert(fc.property(
    fc.array(fc.oneof(fc.constant(null), fc.nat({ max: 255 }), fc.integer({ min: -0x8000, max: 0x7fff })), { minLength: 1, maxLength: 200 }),
    fc.nat({ max: 0x7fffff }), (deltas, ref) => {
      const [pkt] = RtcpPacketConverter.deSerialize(Buffer.from(encodeTwcc({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 65500, referenceTime: ref, feedbackCount: 7, deltas })));
      const tw = (pkt as RtcpTransportLayerFeedback).feedback as TransportWideCC;
      expect(tw).toBeInstanceOf(TransportWideCC);
      expect([tw.baseSequenceNumber, tw.packetStatusCount, tw.referenceTime, tw.fbPktCount]).toEqual([65500, deltas.length, ref, 7]);
      const received = deltas.filter((d): d is number => d !== null);
      expect(tw.recvDeltas.map((d) => d.delta)).toEqual(received.map((d) => d * TWCC_DELTA_TICK_US));
    })));

  it('werift reads our FIR and RR; we read werift\'s PLI, SR and RR in one compound datagram', () => {
    const [fir] = RtcpPacketConverter.deSerialize(Buffer.from(encodeFir({ senderSsrc: 1, entries: [{ ssrc: 7, seqNr: 3 }, { ssrc: 8, seqNr: 255 }] })));
    expect(((fir as RtcpPayloadSpecificFeedback).feedback as { fir: unknown }).fir).toEqual([{ ssrc: 7, sequenceNumber: 3 }, { ssrc: 8, sequenceNumber: 255 }]);
    const block = { ssrc: 9, fractionLost: 25, cumulativeLost: 1234, extendedHighestSeq: 0x1_0005, jitter: 90, lastSr: 0xabcdef01, delaySinceLastSr: 65536 };
    const [rr] = RtcpPacketConverter.deSerialize(Buffer.from(encodeReceiverReport({ ssrc: 3, reports: [block] })));
    expect((rr as RtcpRrPacket).reports[0]).toMatchObject({ ssrc: 9, fractionLost: 25, packetsLost: 1234, highestSequence: 0x1_0005, jitter: 90, lsr: 0xabcdef01, dlsr: 65536 });

    const info = new RtcpReceiverInfo({ ssrc: 9, fractionLost: 25, packetsLost: 1234, highestSequence: 0x1_0005, jitter: 90, lsr: 0xabcdef01, dlsr: 65536 });
    const sr = new RtcpSrPacket({ ssrc: 4, senderInfo: new RtcpSenderInfo({ ntpTimestamp: 0x12345678_9abcdef0n, rtpTimestamp: 900, packetCount: 10, octetCount: 12000 }), reports: [info] });
    const dgram = Buffer.concat([sr.serialize(), new RtcpRrPacket({ ssrc: 3, reports: [info] }).serialize(),
      new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: 1, mediaSsrc: 2 }) }).serialize()]);
    const r = parseCompound(dgram);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toEqual([
      { type: 'sr', ssrc: 4, ntpSeconds: 0x12345678, ntpFraction: 0x9abcdef0, rtpTimestamp: 900, packetCount: 10, octetCount: 12000, reports: [block] },
      { type: 'rr', ssrc: 3, reports: [block] },
      { type: 'pli', senderSsrc: 1, mediaSsrc: 2 },
    ]);
    expect(parsePli(dgram.subarray(dgram.length - 12))).toEqual({ ok: true, value: { type: 'pli', senderSsrc: 1, mediaSsrc: 2 } });
  });
});
