import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RtxSender, type RtxEvent } from '../../src/sender/rtx/rtx.ts';
import { PacketHistory } from '../../src/sender/rtx/history.ts';
import { RtxUnwrapper } from '../../src/receiver/rtx-unwrap.ts';
import { drain } from './harness.ts';

const MEDIA_SSRC = 0x11223344;
const RTX_SSRC = 0xaabbccdd;
const MEDIA_PT = 102;
const RTX_PT = 103;

/** Builds an RTP packet by hand (the tests do not depend on the RTP module). */
function rtp(o: { seq: number; ssrc?: number; pt?: number; marker?: boolean; ts?: number; csrcs?: number[]; extWords?: number[]; payload?: number[]; padding?: number }): Uint8Array {
  const csrcs = o.csrcs ?? [];
  const ext = o.extWords;
  const payload = o.payload ?? [1, 2, 3];
  const pad = o.padding ?? 0;
  const bytes: number[] = [];
  bytes.push(0x80 | (pad ? 0x20 : 0) | (ext ? 0x10 : 0) | csrcs.length, (o.marker ? 0x80 : 0) | (o.pt ?? MEDIA_PT));
  bytes.push(o.seq >> 8, o.seq & 0xff);
  const ts = o.ts ?? 90000;
  const u32 = (v: number) => bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  u32(ts);
  u32(o.ssrc ?? MEDIA_SSRC);
  csrcs.forEach(u32);
  if (ext) { bytes.push(0xbe, 0xde, 0, ext.length); ext.forEach(u32); }
  bytes.push(...payload);
  if (pad) { for (let i = 0; i < pad - 1; i++) bytes.push(0); bytes.push(pad); }
  return new Uint8Array(bytes);
}

function sender(maxPackets = 100, maxAgeMs = 1000, rtt = 50): RtxSender {
  return new RtxSender({
    streams: [{ mediaSsrc: MEDIA_SSRC, rtxSsrc: RTX_SSRC, initialRtxSeq: 65535 }],
    apt: { [RTX_PT]: MEDIA_PT },
    history: { maxPackets, maxAgeMs },
    initialRttMs: rtt,
  });
}
const unwrapper = new RtxUnwrapper({ mediaSsrcByRtxSsrc: { [RTX_SSRC]: MEDIA_SSRC }, apt: { [RTX_PT]: MEDIA_PT } });
const kinds = (ev: RtxEvent[]) => ev.map((e) => (e.type === 'rtx' ? `rtx:${e.originalSeq}` : `refused:${e.originalSeq}:${e.reason}`));

describe('RTX sender', () => {
  it('answers a NACK with RFC 4588 packets: RTX SSRC/PT, own wrapping seqs, OSN first, NACK id recorded', () => {
    const s = sender();
    for (let seq = 10; seq < 15; seq++) expect(s.onMediaSent(rtp({ seq, payload: [seq, 0xee], marker: seq === 14 }), seq)).toBe(true);
    const id = s.handleNack(MEDIA_SSRC, [11, 14], 20);
    const ev = drain(s);
    expect(kinds(ev)).toEqual(['rtx:11', 'rtx:14']);
    const [a, b] = ev as Array<Extract<RtxEvent, { type: 'rtx' }>>;
    expect([a!.nackId, b!.nackId]).toEqual([id, id]);
    expect([a!.rtxSeq, b!.rtxSeq]).toEqual([65535, 0]);
    const p = b!.packet;
    expect(p[1]).toBe(0x80 | RTX_PT); // marker kept
    expect((p[2]! << 8) | p[3]!).toBe(0);
    expect([...p.subarray(8, 12)]).toEqual([0xaa, 0xbb, 0xcc, 0xdd]);
    expect([...p.subarray(12)]).toEqual([0, 14, 14, 0xee]);
  });

  it('refuses to resend within one RTT of the last retransmission; setRtt applies', () => {
    const s = sender(100, 10_000, 50);
    s.onMediaSent(rtp({ seq: 1 }), 0);
    s.handleNack(MEDIA_SSRC, [1], 10);
    s.handleNack(MEDIA_SSRC, [1], 59);
    s.handleNack(MEDIA_SSRC, [1], 60);
    expect(kinds(drain(s))).toEqual(['rtx:1', 'refused:1:within-rtt', 'rtx:1']);
    s.setRtt(200);
    s.handleNack(MEDIA_SSRC, [1], 200);
    s.handleNack(MEDIA_SSRC, [1], 260);
    const ev = drain(s);
    expect(kinds(ev)).toEqual(['refused:1:within-rtt', 'rtx:1']);
    expect(ev[1]!.type === 'rtx' && ev[1]!.retransmission).toBe(3);
  });

  it('evicts by count and by age', () => {
    const s = sender(5, 100);
    for (let seq = 0; seq < 10; seq++) s.onMediaSent(rtp({ seq }), seq);
    expect(s.historySize(MEDIA_SSRC)).toBe(5);
    s.handleNack(MEDIA_SSRC, [4, 5, 9], 10);
    expect(kinds(drain(s))).toEqual(['refused:4:not-in-history', 'rtx:5', 'rtx:9']);
    s.handleNack(MEDIA_SSRC, [8, 9], 108.5); // 8 was sent at 8 ms: older than 100 ms
    expect(kinds(drain(s))).toEqual(['refused:8:not-in-history', 'rtx:9']);

    const h = new PacketHistory({ maxPackets: 3, maxAgeMs: 50 });
    h.insert(65535, new Uint8Array(1), 0);
    h.insert(0, new Uint8Array(1), 10);
    expect(h.get(65535, 49)).toBeDefined();
    expect(h.get(65535, 51)).toBeUndefined();
    expect(h.get(0, 51)).toBeDefined();
  });

  it('ignores packets of unknown streams; refuses NACKs for them', () => {
    const s = sender();
    expect(s.onMediaSent(rtp({ seq: 1, ssrc: 5 }), 0)).toBe(false);
    expect(s.onMediaSent(new Uint8Array([1, 2, 3]), 0)).toBe(false);
    s.handleNack(5, [1], 1);
    expect(kinds(drain(s))).toEqual(['refused:1:unknown-ssrc']);
  });
});

describe('RTX unwrap', () => {
  const packetArb = fc.record({
    seq: fc.nat({ max: 0xffff }), marker: fc.boolean(), ts: fc.nat({ max: 0xffffffff }),
    csrcs: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 15 }),
    extWords: fc.option(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 4 }), { nil: undefined }),
    payload: fc.array(fc.nat({ max: 255 }), { maxLength: 1200 }),
    padding: fc.nat({ max: 20 }),
  });

  it('unwrap(wrap(p)) is p without its padding', () => fc.assert(fc.property(packetArb, (o) => {
    const s = sender();
    const original = rtp(o);
    s.onMediaSent(original, 0);
    s.handleNack(MEDIA_SSRC, [o.seq], 1);
    const [ev] = drain(s);
    if (ev?.type !== 'rtx') throw new Error('expected an RTX packet');
    const r = unwrapper.unwrap(ev.packet);
    if (!r.ok) throw new Error(r.error.code);
    expect(r.value.originalSeq).toBe(o.seq);
    expect(r.value.mediaSsrc).toBe(MEDIA_SSRC);
    expect(Uint8Array.from(r.value.packet)).toEqual(rtp({ ...o, padding: 0 }));
  }), { numRuns: 300 }));

  it('malformed and foreign packets give error values with stable codes', () => {
    const rtxFor = (payload: number[], extra: object = {}) => rtp({ seq: 1, ssrc: RTX_SSRC, pt: RTX_PT, payload, ...extra });
    expect(unwrapper.unwrap(new Uint8Array(5))).toMatchObject({ ok: false, error: { code: 'too-short' } });
    expect(unwrapper.unwrap(rtxFor([7]))).toMatchObject({ ok: false, error: { code: 'missing-osn' } });
    expect(unwrapper.unwrap(rtxFor([], { padding: 4 }))).toMatchObject({ ok: false, error: { code: 'padding-only' } });
    expect(unwrapper.unwrap(rtp({ seq: 1 }))).toMatchObject({ ok: false, error: { code: 'unknown-ssrc' } });
    expect(unwrapper.unwrap(rtxFor([0, 1], { pt: 99 }))).toMatchObject({ ok: false, error: { code: 'unknown-pt' } });
    const badExt = rtxFor([0, 1], { extWords: [1] }); badExt[15] = 40;
    expect(unwrapper.unwrap(badExt)).toMatchObject({ ok: false, error: { code: 'bad-extension' } });
  });

  it('never throws on arbitrary bytes or mutated RTX packets', () => fc.assert(fc.property(
    fc.oneof(fc.uint8Array({ maxLength: 100 }), packetArb.map((o) => rtp({ ...o, ssrc: RTX_SSRC, pt: RTX_PT }))),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
    (bytes, flips) => {
      const b = bytes.slice();
      if (b.length) for (const [i, v] of flips) b[i % b.length] = v;
      const r = unwrapper.unwrap(b);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.error.kind).toBe('rtx-error');
    }), { numRuns: 2000 }));
});
