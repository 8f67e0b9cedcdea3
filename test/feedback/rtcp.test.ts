import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertMutationsNeverThrow } from './rtcp-mutations.ts';
import { encodeSenderReport, parseSenderReport, compactNtp } from '../../src/shared/rtcp/sr.ts';
import { encodeReceiverReport, parseReceiverReport, type ReportBlock } from '../../src/shared/rtcp/rr.ts';
import { encodeNack, parseNack, packNackPairs, unpackNackPairs } from '../../src/shared/rtcp/nack.ts';
import { encodePli, parsePli } from '../../src/shared/rtcp/pli.ts';
import { encodeFir, parseFir } from '../../src/shared/rtcp/fir.ts';
import { encodeTwcc, parseTwcc, twccArrivalsUs, twccDeltasFromArrivals } from '../../src/shared/rtcp/twcc.ts';
import { encodeCompound, parseCompound, splitCompound, type RtcpPacket } from '../../src/shared/rtcp/compound.ts';
import { RtcpEncodeError } from '../../src/shared/rtcp/errors.ts';

const u32 = fc.nat({ max: 0xffffffff });
const u16 = fc.nat({ max: 0xffff });
const block: fc.Arbitrary<ReportBlock> = fc.record({
  ssrc: u32, fractionLost: fc.nat({ max: 255 }), cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  extendedHighestSeq: u32, jitter: u32, lastSr: u32, delaySinceLastSr: u32,
});
const ext = fc.option(fc.nat({ max: 4 }).chain((w) => fc.uint8Array({ minLength: w * 4, maxLength: w * 4 })), { nil: undefined });

const srArb = fc.record({
  type: fc.constant('sr' as const), ssrc: u32, ntpSeconds: u32, ntpFraction: u32, rtpTimestamp: u32,
  packetCount: u32, octetCount: u32, reports: fc.array(block, { maxLength: 31 }),
}).chain((sr) => ext.map((e) => (e && e.length > 0 ? { ...sr, extension: e } : sr)));
const rrArb = fc.record({ type: fc.constant('rr' as const), ssrc: u32, reports: fc.array(block, { maxLength: 31 }) })
  .chain((rr) => ext.map((e) => (e && e.length > 0 ? { ...rr, extension: e } : rr)));
const nackArb = fc.record({ type: fc.constant('nack' as const), senderSsrc: u32, mediaSsrc: u32, seqs: fc.array(u16, { minLength: 1, maxLength: 200 }) });
const pliArb = fc.record({ type: fc.constant('pli' as const), senderSsrc: u32, mediaSsrc: u32 });
const firArb = fc.record({ type: fc.constant('fir' as const), senderSsrc: u32,
  entries: fc.array(fc.record({ ssrc: u32, seqNr: fc.nat({ max: 255 }) }), { minLength: 1, maxLength: 8 }) });
const deltaArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: fc.nat({ max: 255 }) },
  { weight: 1, arbitrary: fc.integer({ min: -0x8000, max: 0x7fff }) },
);
const twccArb = fc.record({
  type: fc.constant('twcc' as const), senderSsrc: u32, mediaSsrc: u32, baseSeq: u16,
  referenceTime: fc.integer({ min: -0x800000, max: 0x7fffff }), feedbackCount: fc.nat({ max: 255 }),
  deltas: fc.oneof(fc.array(deltaArb, { maxLength: 300 }), fc.array(fc.constantFrom(null, 1), { maxLength: 20000 })),
});
const anyPacket: fc.Arbitrary<RtcpPacket> = fc.oneof(srArb, rrArb, nackArb, pliArb, firArb, twccArb);

describe('RTCP round trips', () => {
  it('SR', () => fc.assert(fc.property(srArb, (sr) => {
    const r = parseSenderReport(encodeSenderReport(sr));
    expect(r).toEqual({ ok: true, value: sr });
  })));
  it('RR', () => fc.assert(fc.property(rrArb, (rr) => {
    expect(parseReceiverReport(encodeReceiverReport(rr))).toEqual({ ok: true, value: rr });
  })));
  it('PLI and FIR', () => fc.assert(fc.property(pliArb, firArb, (pli, fir) => {
    expect(parsePli(encodePli(pli))).toEqual({ ok: true, value: pli });
    expect(parseFir(encodeFir(fir))).toEqual({ ok: true, value: fir });
  })));
  it('NACK: the set of sequence numbers survives; packing is compact', () => fc.assert(fc.property(nackArb, (nack) => {
    const r = parseNack(encodeNack(nack));
    if (!r.ok) throw new Error(r.error.message);
    expect(new Set(r.value.seqs)).toEqual(new Set(nack.seqs));
    expect(r.value.seqs.length).toBe(new Set(nack.seqs).size);
  })));
  it('NACK packs 17 consecutive seqs across the wrap into one pair', () => {
    const seqs = Array.from({ length: 17 }, (_, i) => (65530 + i) & 0xffff);
    expect(packNackPairs(seqs)).toEqual([{ pid: 65530, blp: 0xffff }]);
    expect(unpackNackPairs(packNackPairs([5, 7, 30]))).toEqual([5, 7, 30]);
    expect(packNackPairs([5, 7, 30]).length).toBe(2);
  });
  it('TWCC: deltas and header survive; padding to 32 bits', () => fc.assert(fc.property(twccArb, (fb) => {
    const bytes = encodeTwcc(fb);
    expect(bytes.length % 4).toBe(0);
    expect(parseTwcc(bytes)).toEqual({ ok: true, value: fb });
  }), { numRuns: 200 }));
  it('TWCC: a long run of received packets uses run-length chunks', () => {
    const deltas = Array.from({ length: 5000 }, () => 4);
    const bytes = encodeTwcc({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 65000, referenceTime: 10, feedbackCount: 3, deltas });
    // 20 fixed + one chunk (2) + 5000 one-byte deltas, padded
    expect(bytes.length).toBe((20 + 2 + 5000 + 3) & ~3);
  });
  it('TWCC: arrivals → deltas → arrivals keeps times within a 250 µs tick, without drift', () => {
    fc.assert(fc.property(fc.array(fc.option(fc.nat({ max: 2_000_000 }), { nil: undefined }), { maxLength: 100 }), fc.nat({ max: 1e9 }), (offsets, base) => {
      let t = base;
      const arrivals = offsets.map((o) => (o === undefined ? undefined : (t += o % 100_000)));
      const r = twccDeltasFromArrivals(arrivals);
      if (!r.ok) throw new Error(r.error.message);
      const back = twccArrivalsUs(r.value);
      back.forEach((b, i) => {
        const a = arrivals[i];
        if (a === undefined) expect(b).toBeUndefined();
        else expect(Math.abs(b! - a)).toBeLessThanOrEqual(125);
      });
    }));
  });
  it('compound: several packets split and parse back in order', () => fc.assert(fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 6 }), (pkts) => {
    const r = parseCompound(encodeCompound(pkts));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.map((p) => p.type)).toEqual(pkts.map((p) => p.type));
    r.value.forEach((p, i) => { if (p.type !== 'nack') expect(p).toEqual(pkts[i]); });
  }), { numRuns: 100 }));
  it('compound: unknown types (SDES) pass through raw, byte for byte', () => {
    const sdes = new Uint8Array([0x81, 202, 0, 2, 0, 0, 0, 7, 0, 0, 0, 0]);
    const rr = encodeReceiverReport({ ssrc: 7, reports: [] });
    const dgram = new Uint8Array([...rr, ...sdes]);
    const r = parseCompound(dgram);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value[1]).toEqual({ type: 'raw', packetType: 202, count: 1, bytes: sdes });
  });
  it('LSR is the middle 32 bits of the NTP time', () => {
    expect(compactNtp({ ntpSeconds: 0x12345678, ntpFraction: 0x9abcdef0 })).toBe(0x56789abc);
  });
  it('encoders reject out-of-range fields with a typed error', () => {
    expect(() => encodePli({ senderSsrc: -1, mediaSsrc: 0 })).toThrow(RtcpEncodeError);
    expect(() => encodeNack({ senderSsrc: 1, mediaSsrc: 1, seqs: [] })).toThrow(RtcpEncodeError);
    expect(() => encodeTwcc({ senderSsrc: 1, mediaSsrc: 1, baseSeq: 0, referenceTime: 0, feedbackCount: 0, deltas: [40000] })).toThrow(RtcpEncodeError);
  });
});

describe('RTCP parsers on bad bytes', () => {
  const parsers = [parseSenderReport, parseReceiverReport, parseNack, parsePli, parseFir, parseTwcc, parseCompound, splitCompound];
  const isResult = (r: unknown): boolean => typeof r === 'object' && r !== null && typeof (r as { ok: unknown }).ok === 'boolean';

  it('arbitrary bytes never throw and give a result value', () => fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    for (const p of parsers) expect(isResult(p(b))).toBe(true);
  }), { numRuns: 2000 }));

  it('structured mutations of valid packets never throw; errors carry stable codes', () => assertMutationsNeverThrow(anyPacket, parsers));

  it('specific faults map to specific codes', () => {
    const pli = encodePli({ senderSsrc: 1, mediaSsrc: 2 });
    expect(parsePli(pli.subarray(0, 3))).toMatchObject({ ok: false, error: { code: 'too-short' } });
    const v1 = pli.slice(); v1[0] = 0x41;
    expect(parsePli(v1)).toMatchObject({ ok: false, error: { code: 'bad-version' } });
    const long = pli.slice(); long[3] = 9;
    expect(parsePli(long)).toMatchObject({ ok: false, error: { code: 'bad-length' } });
    expect(parseNack(pli)).toMatchObject({ ok: false, error: { code: 'wrong-type' } });
    const padded = pli.slice(); padded[0]! |= 0x20; padded[11] = 40;
    expect(parsePli(padded)).toMatchObject({ ok: false, error: { code: 'bad-padding' } });
    const tw = encodeTwcc({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 0, referenceTime: 0, feedbackCount: 0, deltas: [1, 2, 3, 4, 5, 6, 7, 8] });
    const cut = tw.slice(0, 24); cut[3] = 5; // the length now ends 6 bytes into the 8 deltas
    expect(parseTwcc(cut)).toMatchObject({ ok: false, error: { code: 'truncated-deltas' } });
    const reserved = tw.slice(); reserved[20] = 0x60; // run-length chunk of symbol 3
    expect(parseTwcc(reserved)).toMatchObject({ ok: false, error: { code: 'bad-symbol' } });
    const noChunks = tw.slice(); noChunks[14] = 0xff; noChunks[15] = 0xff; noChunks[20] = 0x00; noChunks[21] = 0x01;
    expect(parseTwcc(noChunks)).toMatchObject({ ok: false, error: { code: 'bad-chunk' } });
    const rr = encodeReceiverReport({ ssrc: 1, reports: [] }); rr[0] = 0x83; // claims 3 blocks
    expect(parseReceiverReport(rr)).toMatchObject({ ok: false, error: { code: 'count-mismatch' } });
  });
});
