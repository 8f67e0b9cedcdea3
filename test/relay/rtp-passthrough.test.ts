import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadStartsKeyframe, RtpPassthrough } from '../../src/relay/rtp-passthrough.ts';
import { parseRtp, RtpParseError, type RtpPacket } from '../../src/shared/rtp/packet.ts';
import { readRtpLayout, unwrapRtx } from '../../src/shared/rtx-format.ts';

const SSRC = 0x11223344;
const PT = 96;
const RTX = { ssrc: 0x55667788, payloadType: 97 };

/** One upstream packet: frame `frame` (3000 ticks apart), `index` within it. */
function packet(upSeq: number, timestamp: number, payload: Uint8Array, marker: boolean, extensions = new Map<number, Uint8Array>()): RtpPacket {
  return { marker, payloadType: 102, sequenceNumber: upSeq & 0xffff, timestamp: timestamp >>> 0, ssrc: 0xdeadbeef, csrcs: [], extensions, payload, paddingBytes: 0 };
}

const SPS = Uint8Array.of(0x67, 0x42, 0xe0, 0x1f);
const NON_IDR = (n: number): Uint8Array => Uint8Array.of(0x41, 0x9a, n & 0xff, (n >> 8) & 0xff);

function parsed(bytes: Uint8Array): RtpPacket {
  const p = parseRtp(bytes);
  if (p instanceof RtpParseError) throw new Error(p.message);
  return p;
}

describe('payloadStartsKeyframe (RFC 6184 payloads)', () => {
  it('single NAL IDR and SPS, FU-A start of an IDR, STAP-A holding an SPS', () => {
    expect(payloadStartsKeyframe(Uint8Array.of(0x65, 0x88))).toBe(true);
    expect(payloadStartsKeyframe(SPS)).toBe(true);
    expect(payloadStartsKeyframe(Uint8Array.of(0x7c, 0x85, 0x00))).toBe(true); // FU-A, S bit, type 5
    expect(payloadStartsKeyframe(Uint8Array.of(0x7c, 0x05, 0x00))).toBe(false); // FU-A continuation
    expect(payloadStartsKeyframe(Uint8Array.of(0x7c, 0x81, 0x00))).toBe(false); // FU-A start of a non-IDR slice
    expect(payloadStartsKeyframe(Uint8Array.of(0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x04, ...SPS))).toBe(true); // STAP-A: SEI, SPS
    expect(payloadStartsKeyframe(Uint8Array.of(0x78, 0x00, 0x02, 0x06, 0x05))).toBe(false);
    expect(payloadStartsKeyframe(NON_IDR(1))).toBe(false);
    expect(payloadStartsKeyframe(new Uint8Array(0))).toBe(false);
  });

  it('never throws on any payload', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      payloadStartsKeyframe(bytes);
    }));
  });
});

describe('RtpPassthrough', () => {
  /** frames of `perFrame` packets; frame k is a keyframe when k % gop === keyAt */
  function stream(o: { frames: number; perFrame: number; firstSeq: number; firstTs: number; keyAt: number; gop: number }): RtpPacket[] {
    const out: RtpPacket[] = [];
    for (let f = 0; f < o.frames; f++) {
      for (let i = 0; i < o.perFrame; i++) {
        const key = f % o.gop === o.keyAt && i === 0;
        // every payload unique, so each packet out names the packet in it stands for
        out.push(packet(o.firstSeq + f * o.perFrame + i, o.firstTs + f * 3000, key ? Uint8Array.of(...SPS, f, i) : NON_IDR(f * 16 + i), i === o.perFrame - 1));
      }
    }
    return out;
  }

  it('rewrites SSRC/PT/seq/timestamp only, keeps the first hop\'s spacing from the first keyframe on, whatever is lost, reordered or duplicated', () => {
    fc.assert(
      fc.property(
        fc.record({
          frames: fc.integer({ min: 2, max: 30 }), perFrame: fc.integer({ min: 1, max: 5 }), firstSeq: fc.integer({ min: 0, max: 0xffff }),
          firstTs: fc.integer({ min: 0, max: 0xffffffff }), gop: fc.integer({ min: 1, max: 10 }), downSeq: fc.integer({ min: 0, max: 0xffff }), downTs: fc.integer({ min: 0, max: 0xffffffff }),
        }).chain((s) => fc.record({ s: fc.constant(s), keyAt: fc.integer({ min: 0, max: s.gop - 1 }), fate: fc.array(fc.constantFrom('deliver', 'deliver', 'deliver', 'lose', 'dup', 'swap'), { minLength: s.frames * 5, maxLength: s.frames * 5 }) })),
        ({ s, keyAt, fate }) => {
          const sent = stream({ ...s, keyAt });
          // delivery: lose, duplicate or swap with the next packet
          const delivered: RtpPacket[] = [];
          for (let i = 0; i < sent.length; i++) {
            const f = fate[i]!;
            if (f === 'lose') continue;
            if (f === 'swap' && i + 1 < sent.length) {
              delivered.push(sent[i + 1]!, sent[i]!);
              i++;
              continue;
            }
            delivered.push(sent[i]!);
            if (f === 'dup') delivered.push(sent[i]!);
          }
          const pass = new RtpPassthrough({ ssrc: SSRC, payloadType: PT, firstSeq: s.downSeq, firstTimestamp: s.downTs, extensionIds: new Map(), rtx: RTX });
          const byPayload = new Map(sent.map((p) => [Buffer.from(p.payload).toString('hex'), p]));
          const out: Buffer[] = [];
          let base: RtpPacket | undefined;
          const mustForward = new Set<RtpPacket>();
          for (const p of delivered) {
            const r = pass.accept(p);
            if (r.kind === 'start') {
              out.push(...r.packets.map((x) => x.packet));
              base = byPayload.get(Buffer.from(parsed(r.packets[0]!.packet).payload).toString('hex'));
              // the frame it starts holds a keyframe
              expect(sent.some((q) => q.timestamp === base!.timestamp && payloadStartsKeyframe(q.payload))).toBe(true);
            } else if (r.kind === 'forward') {
              out.push(r.packet);
            }
            // once started, every packet at or after the start goes out exactly once
            if (base && r.kind !== 'start' && ((p.sequenceNumber - base.sequenceNumber) << 16) >> 16 >= 0) mustForward.add(p);
          }
          if (!base) {
            expect(out).toEqual([]);
            return;
          }
          const originals = new Set<RtpPacket>();
          const seqs = new Set<number>();
          for (const bytes of out) {
            const p = parsed(bytes);
            const original = byPayload.get(Buffer.from(p.payload).toString('hex'));
            expect(original).toBeDefined();
            originals.add(original!);
            expect(p.ssrc).toBe(SSRC);
            expect(p.payloadType).toBe(PT);
            expect(p.marker).toBe(original!.marker);
            // the same distance from the start on both hops, in sequence numbers and RTP time
            expect((p.sequenceNumber - s.downSeq) & 0xffff).toBe((original!.sequenceNumber - base.sequenceNumber) & 0xffff);
            expect((p.timestamp - s.downTs) >>> 0).toBe((original!.timestamp - base.timestamp) >>> 0);
            expect(seqs.has(p.sequenceNumber)).toBe(false);
            seqs.add(p.sequenceNumber);
            // any packet sent comes back from the history as RTX that unwraps to it byte for byte
            const [rtx] = pass.retransmit([p.sequenceNumber]);
            const layout = readRtpLayout(rtx!);
            const back = layout.ok ? unwrapRtx(rtx!, layout.value, SSRC, PT) : undefined;
            expect(back?.ok === true && Buffer.from(back.value).equals(bytes)).toBe(true);
          }
          for (const p of mustForward) expect(originals.has(p)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds a keyframe\'s earlier packets (SEI before the IDR) and releases them with it, in order', () => {
    const pass = new RtpPassthrough({ ssrc: SSRC, payloadType: PT, firstSeq: 65535, firstTimestamp: 0xfffffff0, extensionIds: new Map(), rtx: RTX });
    expect(pass.accept(packet(10, 3000, NON_IDR(1), true)).kind).toBe('waiting'); // a delta frame: dropped
    const sei = Uint8Array.of(0x06, 0x05, 0x01);
    expect(pass.accept(packet(12, 6000, Uint8Array.of(0x65, 0x88), false)).kind).toBe('start'); // IDR arrives before the SEI (reordered)
    // the SEI (seq 11) came late: older than the start, so it is too old; the rest follows
    expect(pass.accept(packet(11, 6000, sei, false)).kind).toBe('too-old');
    const r = pass.accept(packet(13, 6000, NON_IDR(2), true));
    expect(r.kind).toBe('forward');
    if (r.kind === 'forward') {
      expect(r.seq).toBe(0); // 65535 + 1 wraps
      expect(r.timestamp).toBe(0xfffffff0);
    }
    const q = new RtpPassthrough({ ssrc: SSRC, payloadType: PT, firstSeq: 100, firstTimestamp: 0, extensionIds: new Map(), rtx: RTX });
    expect(q.accept(packet(20, 9000, sei, false)).kind).toBe('waiting');
    const start = q.accept(packet(21, 9000, SPS, false));
    expect(start.kind === 'start' && start.packets.map((p) => p.seq)).toEqual([100, 101]);
    expect(q.counters.droppedBeforeKeyframe).toBe(0);
  });

  it('maps extension ids by the table and drops the ones the target hop did not negotiate', () => {
    const pass = new RtpPassthrough({ ssrc: SSRC, payloadType: PT, firstSeq: 1, firstTimestamp: 1, extensionIds: new Map([[3, 7]]), rtx: RTX });
    const ext = new Map<number, Uint8Array>([[3, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)], [1, Uint8Array.of(9, 9)]]);
    const r = pass.accept(packet(1, 0, SPS, true, ext));
    expect(r.kind).toBe('start');
    const out = r.kind === 'start' ? parsed(r.packets[0]!.packet) : undefined;
    expect([...out!.extensions.keys()]).toEqual([7]);
    expect([...out!.extensions.get(7)!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a NACK for a number never sent or out of the history gets nothing, counted', () => {
    const pass = new RtpPassthrough({ ssrc: SSRC, payloadType: PT, firstSeq: 0, firstTimestamp: 0, extensionIds: new Map(), rtx: RTX, historyPackets: 4 });
    pass.accept(packet(0, 0, SPS, false));
    for (let i = 1; i < 10; i++) pass.accept(packet(i, 0, NON_IDR(i), i === 9));
    expect(pass.retransmit([0, 5, 9, 300])).toHaveLength(1); // history 4 holds 6..9: 0 and 5 were overwritten, 300 never sent
    expect(pass.retransmit([9]).length).toBe(1);
    expect(pass.counters.notInHistory).toBe(3);
    expect(() => new RtpPassthrough({ ssrc: SSRC, payloadType: PT, firstSeq: 0, firstTimestamp: 0, extensionIds: new Map(), historyPackets: 3 })).toThrow('power of two');
  });
});
