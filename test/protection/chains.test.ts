import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SendProtection, splitBlocks } from '../../src/sender/protection/send-chain.ts';
import { SendProtectionError, type SendOutput } from '../../src/sender/protection/options.ts';
import { ReceiveRecovery } from '../../src/receiver/protection/receive-chain.ts';
import type { ReceiveOutput } from '../../src/receiver/protection/options.ts';
import { encodeNack } from '../../src/shared/rtcp/nack.ts';
import { encodePli, parsePli } from '../../src/shared/rtcp/pli.ts';
import { encodeReceiverReport, parseReceiverReport } from '../../src/shared/rtcp/rr.ts';
import { serializeRtp } from '../../src/shared/rtp/packet.ts';
import { numFecPackets } from '../../src/shared/fec/num-fec.ts';
import { simOptions, MEDIA_SSRC, RTX_SSRC } from './sim-options.ts';

function mediaPacket(seq: number, marker = false, payloadBytes = 300): Buffer {
  const payload = Buffer.alloc(payloadBytes, seq & 0xff);
  payload[0] = 0x41;
  return serializeRtp({ marker, payloadType: 96, sequenceNumber: seq, timestamp: 9000, ssrc: MEDIA_SSRC, csrcs: [], extensions: new Map(), payload, paddingBytes: 0 });
}

function drainSend(s: SendProtection): SendOutput[] {
  const out: SendOutput[] = [];
  for (let e = s.pollOutput(); e !== undefined; e = s.pollOutput()) out.push(e);
  return out;
}

function drainRecv(r: ReceiveRecovery): ReceiveOutput[] {
  const out: ReceiveOutput[] = [];
  for (let e = r.pollOutput(); e !== undefined; e = r.pollOutput()) out.push(e);
  return out;
}

describe('SendProtection', () => {
  it('ULPFEC: media as RED, NumFec FEC packets per frame, next frame starts after the FEC seqs', () => {
    const o = simOptions({ seed: 1, mode: 'fec', scheme: 'ulpfec', fixedFecRate255: { key: 100, delta: 50 } }).send;
    const s = new SendProtection(o);
    const frame = Array.from({ length: 10 }, (_, i) => mediaPacket(100 + i, i === 9));
    const r = s.sendFrame({ packets: frame, keyframe: false, nowMs: 0 });
    const out = drainSend(s);
    const media = out.filter((e) => e.type === 'packet' && e.kind === 'media');
    const fec = out.filter((e) => e.type === 'packet' && e.kind === 'fec');
    expect(media).toHaveLength(10);
    expect(media.every((e) => e.type === 'packet' && (e.packet[1]! & 0x7f) === 116)).toBe(true);
    expect(fec).toHaveLength(numFecPackets(10, 50));
    expect(r).toEqual({ nextSequenceNumber: 110 + fec.length });
  });

  it('NACK → RTX once per RTT; PLI → keyframe request; bad input → error values', () => {
    const s = new SendProtection(simOptions({ seed: 1, mode: 'nack' }).send);
    s.sendFrame({ packets: [mediaPacket(7, true)], keyframe: true, nowMs: 0 });
    drainSend(s);
    const nack = encodeNack({ senderSsrc: 1, mediaSsrc: MEDIA_SSRC, seqs: [7, 8] });
    s.handleRtcp(nack, 10);
    const first = drainSend(s);
    expect(first.filter((e) => e.type === 'packet' && e.kind === 'rtx' && e.ssrc === RTX_SSRC && e.mediaSeq === 7)).toHaveLength(1);
    expect(first.some((e) => e.type === 'rtx-refused' && e.seq === 8)).toBe(true);
    s.handleRtcp(nack, 20);
    expect(drainSend(s).some((e) => e.type === 'rtx-refused' && e.reason === 'within-rtt')).toBe(true);
    s.handleRtcp(nack, 10 + 41);
    expect(drainSend(s).some((e) => e.type === 'packet' && e.kind === 'rtx')).toBe(true);
    s.handleRtcp(encodePli({ senderSsrc: 1, mediaSsrc: MEDIA_SSRC }), 60);
    expect(drainSend(s)).toContainEqual({ type: 'keyframe-request', source: 'pli', timeMs: 60 });
    expect(s.sendFrame({ packets: [Buffer.alloc(5)], keyframe: false, nowMs: 70 })).toBeInstanceOf(SendProtectionError);
    expect(s.handleRtcp(Uint8Array.of(1, 2, 3), 70)).toBeInstanceOf(SendProtectionError);
  });

  it('RR loss reaches the FEC controller', () => {
    const s = new SendProtection(simOptions({ seed: 1, mode: 'fec' }).send);
    expect(s.fecRates255.delta).toBe(0);
    for (let i = 0; i < 30; i++) s.sendFrame({ packets: [mediaPacket(i * 2, false, 1000), mediaPacket(i * 2 + 1, true, 1000)], keyframe: i === 0, nowMs: i * 33 });
    const rr = encodeReceiverReport({ ssrc: 9, reports: [{ ssrc: MEDIA_SSRC, fractionLost: 25, cumulativeLost: 3, extendedHighestSeq: 60, jitter: 0, lastSr: 0, delaySinceLastSr: 0 }] });
    s.handleRtcp(rr, 1000);
    expect(drainSend(s).some((e) => e.type === 'fec-rates' && e.lossFraction255 === 25)).toBe(true);
    expect(s.fecRates255.delta).toBeGreaterThan(0);
  });

  it('splitBlocks makes the fewest near-equal blocks', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 48 }), (n, max) => {
      const blocks = splitBlocks(Array.from({ length: n }, (_, i) => i), max);
      expect(blocks.flat()).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(blocks.length).toBe(Math.ceil(n / max));
      const sizes = blocks.map((b) => b.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(max);
    }));
  });
});

describe('ReceiveRecovery', () => {
  const recvOptions = simOptions({ seed: 1, mode: 'hybrid', scheme: 'ulpfec' }).receive;

  it('RTX for a packet already received is reported spurious; FEC-recovered packets are not NACKed', () => {
    const send = new SendProtection(simOptions({ seed: 1, mode: 'hybrid', scheme: 'ulpfec', fixedFecRate255: { key: 255, delta: 255 } }).send);
    const r = new ReceiveRecovery(simOptions({ seed: 1, mode: 'hybrid', scheme: 'ulpfec', nackReorderWait: { packets: 3, ms: 10 } }).receive);
    send.sendFrame({ packets: [mediaPacket(1), mediaPacket(2), mediaPacket(3, true)], keyframe: false, nowMs: 0 });
    const wire = drainSend(send).filter((e) => e.type === 'packet');
    for (const p of wire) if (p.type === 'packet' && p.mediaSeq !== 2) r.receive(p.packet, 1);
    const out = drainRecv(r);
    expect(out).toContainEqual(expect.objectContaining({ type: 'media', seq: 2, recoveredBy: 'fec' }));
    expect(out.some((e) => e.type === 'rtcp' && e.kind === 'nack')).toBe(false);
    send.handleRtcp(encodeNack({ senderSsrc: 1, mediaSsrc: MEDIA_SSRC, seqs: [2] }), 5);
    const rtx = drainSend(send).find((e) => e.type === 'packet' && e.kind === 'rtx');
    expect(rtx).toBeDefined();
    if (rtx?.type === 'packet') r.receive(rtx.packet, 6);
    expect(drainRecv(r)).toContainEqual({ type: 'spurious-rtx', seq: 2, had: 'fec', timeMs: 6 });
  });

  it('RR carries the fraction lost on the wire; a keyframe request becomes a PLI', () => {
    const r = new ReceiveRecovery({ ...recvOptions, receiverReportIntervalMs: 100 });
    for (const seq of [10, 11, 13, 14]) r.receive(mediaPacket(seq), 1);
    drainRecv(r);
    r.handleTimeout(100);
    const rr = drainRecv(r).find((e) => e.type === 'rtcp' && e.kind === 'rr');
    expect(rr?.type === 'rtcp' && parseReceiverReport(rr.packet)).toMatchObject({ ok: true, value: { reports: [{ ssrc: MEDIA_SSRC, fractionLost: Math.floor(256 / 5), extendedHighestSeq: 14 }] } });
    r.requestKeyframe(120);
    const pli = drainRecv(r).find((e) => e.type === 'rtcp' && e.kind === 'pli');
    expect(pli?.type === 'rtcp' && parsePli(pli.packet)).toEqual({ ok: true, value: { type: 'pli', senderSsrc: recvOptions.receiverSsrc, mediaSsrc: MEDIA_SSRC } });
  });

  it('malformed or mutated packets and RTCP never throw (receive chain, and RTCP into the send chain)', () => {
    const send = new SendProtection(simOptions({ seed: 1, mode: 'hybrid', scheme: 'ulpfec', fixedFecRate255: { key: 128, delta: 128 } }).send);
    send.sendFrame({ packets: [mediaPacket(1), mediaPacket(2, true)], keyframe: false, nowMs: 0 });
    const valid = drainSend(send).flatMap((e) => (e.type === 'packet' ? [Buffer.from(e.packet)] : []));
    const flex = simOptions({ seed: 1, mode: 'hybrid', scheme: 'flexfec' }).receive;
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.uint8Array({ maxLength: 80 }),
        fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([p, i, v, cut]) => {
          const m = Buffer.from(p);
          m[i % m.length] = v;
          return m.subarray(0, m.length - (cut % 4 === 0 ? cut % m.length : 0));
        }),
      ), { maxLength: 20 }),
      (packets) => {
        const sender = new SendProtection(simOptions({ seed: 1, mode: 'hybrid' }).send);
        packets.forEach((p, i) => {
          const e = sender.handleRtcp(p, i);
          expect(e === undefined || e instanceof SendProtectionError).toBe(true);
          while (sender.pollOutput() !== undefined);
        });
        for (const opts of [recvOptions, flex]) {
          const r = new ReceiveRecovery(opts);
          packets.forEach((p, i) => { r.receive(p, i); r.handleRtcp(p, i); r.handleTimeout(i + 100); drainRecv(r); });
        }
      },
    ), { numRuns: 300 });
  });
});
