/**
 * The feedback units end to end under virtual time: media → leaky pacer → lossy link → NACK
 * requester → NACK over RTCP bytes → RTX sender → pacer (retransmission class) → link → RTX
 * unwrap → requester. Checks recovery from wire truth.
 */
import { describe, expect, it } from 'vitest';
import { LeakyPacer } from '../../src/sender/pacer/leaky.ts';
import { RtxSender } from '../../src/sender/rtx/rtx.ts';
import { RtxUnwrapper } from '../../src/receiver/rtx-unwrap.ts';
import { NackRequester } from '../../src/receiver/nack/requester.ts';
import { encodeNack } from '../../src/shared/rtcp/nack.ts';
import { parseCompound } from '../../src/shared/rtcp/compound.ts';
import { VirtualTime, drain, seededRandom } from './harness.ts';

const MEDIA = 1111;
const RTX = 2222;

function media(seq: number): Uint8Array {
  const p = new Uint8Array(1000);
  p.set([0x80, 96, seq >> 8, seq & 0xff, 0, 0, 0, 0, 0, 0, MEDIA >> 8, MEDIA & 0xff]);
  p[12] = seq & 0xff;
  return p;
}

function simulate(lossRate: number, seed: number) {
  const rnd = seededRandom(seed);
  const oneWayMs = 20;
  const vt = new VirtualTime();
  const pacer = new LeakyPacer<{ bytes: Uint8Array; kind: 'media' | 'rtx' }>({ initialTargetBps: 2_000_000, pacingFactor: 2.5 });
  const rtx = new RtxSender({ streams: [{ mediaSsrc: MEDIA, rtxSsrc: RTX, initialRtxSeq: 0 }], apt: { 97: 96 }, history: { maxPackets: 600, maxAgeMs: 2000 }, initialRttMs: 45 });
  const unwrap = new RtxUnwrapper({ mediaSsrcByRtxSsrc: { [RTX]: MEDIA }, apt: { 97: 96 } });
  const requester = new NackRequester({ initialRttMs: 60, maxRetries: 10 });
  vt.addUnit(pacer);
  vt.addUnit(requester);

  const received = new Set<number>();
  let lostOnLink = 0;
  let spurious = 0;
  let rtxSent = 0;
  let nacksSent = 0;
  const seqOffset = 65000; // cross the 16-bit wrap
  const total = 30 * 10 * 8; // 8 s at 30 fps, 10 packets per frame

  const deliver = (bytes: Uint8Array, t: number) => {
    if (rnd() < lossRate) { lostOnLink++; return; }
    vt.at(t + oneWayMs, (now) => {
      let seq = (bytes[2]! << 8) | bytes[3]!;
      const ssrc = (bytes[10]! << 8) | bytes[11]!;
      if (ssrc === RTX) {
        const u = unwrap.unwrap(bytes);
        if (!u.ok) throw new Error(u.error.code);
        seq = u.value.originalSeq;
        if (received.has(seq)) spurious++;
      }
      received.add(seq);
      requester.onPacket(seq, now);
    });
  };
  const feedback = (bytes: Uint8Array, t: number) => {
    if (rnd() < lossRate) return;
    vt.at(t + oneWayMs, (now) => {
      const r = parseCompound(bytes);
      if (!r.ok) throw new Error(r.error.code);
      for (const p of r.value) if (p.type === 'nack') rtx.handleNack(p.mediaSsrc, p.seqs, now);
    });
  };

  for (let f = 0; f < 240; f++) {
    vt.at(f * (1000 / 30), (t) => {
      for (let i = 0; i < 10; i++) {
        const seq = (seqOffset + f * 10 + i) & 0xffff;
        pacer.enqueue({ kind: 'media', sizeBytes: 1000, data: { bytes: media(seq), kind: 'media' } }, t);
      }
    });
  }
  vt.runUntil(10_000, (now) => {
    for (const rel of drain(pacer)) {
      if (rel.packet.data.kind === 'media') rtx.onMediaSent(rel.packet.data.bytes, now);
      deliver(rel.packet.data.bytes, now);
    }
    for (const o of drain(requester)) {
      if (o.type !== 'nack') continue;
      nacksSent++;
      feedback(encodeNack({ senderSsrc: 9, mediaSsrc: MEDIA, seqs: o.seqs }), now);
    }
    for (const e of drain(rtx)) {
      if (e.type !== 'rtx') continue;
      rtxSent++;
      pacer.enqueue({ kind: 'retransmission', sizeBytes: e.packet.length, data: { bytes: e.packet, kind: 'rtx' } }, now);
    }
  });
  return { total, received: received.size, lostOnLink, spurious, rtxSent, nacksSent, left: requester.listSize };
}

describe('NACK/RTX loop over a lossy link', () => {
  it('recovers every packet at 10 % loss (both directions) with few spurious retransmissions', () => {
    const r = simulate(0.1, 42);
    if (process.env.FEEDBACK_VERBOSE) console.log(r);
    expect(r.lostOnLink).toBeGreaterThan(200);
    expect(r.received).toBe(r.total);
    expect(r.left).toBe(0);
    expect(r.spurious).toBeLessThanOrEqual(r.rtxSent * 0.05);
  });

  it('sends nothing extra without loss', () => {
    const r = simulate(0, 1);
    expect(r).toMatchObject({ received: r.total, lostOnLink: 0, spurious: 0, rtxSent: 0, nacksSent: 0 });
  });
});
