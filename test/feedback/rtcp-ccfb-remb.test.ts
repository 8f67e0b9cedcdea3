/**
 * RFC 8888 congestion control feedback and REMB (draft-alvestrand-rmcat-remb-03) on the wire:
 * fast-check round trips (any number of SSRC blocks, begin_seq near the wrap, received/lost mixes,
 * every ECN and ATO value incl. over-range and unavailable, 16384-report blocks; REMB bitrates
 * exact when mantissa × 2^exp, otherwise rounded down to 18 significant bits), the ATO
 * quantisation (1/1024 s: an arrival comes back within 1000/2048 ms), the compound parser's
 * dispatch, and bad bytes that never throw and carry stable codes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assertMutationsNeverThrow } from './rtcp-mutations.ts';
import {
  CCFB_ATO_MAX, CCFB_ATO_OVERRANGE, CCFB_ATO_UNAVAILABLE, CCFB_MAX_REPORTS, ccfbArrivalMs, ccfbAtoOf, ccfbReportTime, encodeCcfb, parseCcfb,
  type CcfbFeedback,
} from '../../src/shared/rtcp/ccfb.ts';
import { encodeRemb, parseRemb, rembMantissa, type ReceiverEstimatedMaxBitrate } from '../../src/shared/rtcp/remb.ts';
import { encodeCompound, parseCompound, type RtcpPacket } from '../../src/shared/rtcp/compound.ts';
import { encodeTwcc } from '../../src/shared/rtcp/twcc.ts';
import { encodeNack } from '../../src/shared/rtcp/nack.ts';
import { RtcpEncodeError } from '../../src/shared/rtcp/errors.ts';

const u32 = fc.nat({ max: 0xffffffff });
const u16 = fc.nat({ max: 0xffff });
const metricArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 6, arbitrary: fc.record({ ecn: fc.nat({ max: 3 }), ato: fc.nat({ max: CCFB_ATO_MAX }) }) },
  { weight: 1, arbitrary: fc.record({ ecn: fc.nat({ max: 3 }), ato: fc.constantFrom(CCFB_ATO_UNAVAILABLE, CCFB_ATO_OVERRANGE) }) },
);
const blockArb = fc.record({
  ssrc: u32,
  // a block may start just before the wrap and run across it
  beginSeq: fc.oneof(u16, fc.integer({ min: 0xff00, max: 0xffff })),
  metrics: fc.oneof({ weight: 9, arbitrary: fc.array(metricArb, { maxLength: 120 }) }, { weight: 1, arbitrary: fc.array(fc.constantFrom(null, { ecn: 0, ato: 5 }), { maxLength: CCFB_MAX_REPORTS }) }),
});
const ccfbArb: fc.Arbitrary<CcfbFeedback> = fc.record({ type: fc.constant('ccfb' as const), senderSsrc: u32, blocks: fc.array(blockArb, { maxLength: 6 }), reportTimestamp: u32 });
/** bitrates a REMB carries exactly: an 18-bit mantissa times 2^exp */
const exactBitrate = fc.tuple(fc.nat({ max: 0x3ffff }), fc.nat({ max: 63 })).map(([m, e]) => m * 2 ** e);
const rembArb: fc.Arbitrary<ReceiverEstimatedMaxBitrate> = fc.record({
  type: fc.constant('remb' as const), senderSsrc: u32, mediaSsrc: fc.oneof(fc.constant(0), u32), bitrateBps: exactBitrate, ssrcs: fc.array(u32, { maxLength: 255 }),
});
const others: fc.Arbitrary<RtcpPacket> = fc.oneof(
  fc.record({ type: fc.constant('nack' as const), senderSsrc: u32, mediaSsrc: u32, seqs: fc.array(u16, { minLength: 1, maxLength: 20 }) }),
  fc.record({ type: fc.constant('pli' as const), senderSsrc: u32, mediaSsrc: u32 }),
  fc.record({
    type: fc.constant('twcc' as const), senderSsrc: u32, mediaSsrc: u32, baseSeq: u16, referenceTime: fc.integer({ min: -0x800000, max: 0x7fffff }),
    feedbackCount: fc.nat({ max: 255 }), deltas: fc.array(fc.option(fc.nat({ max: 255 }), { nil: null }), { maxLength: 40 }),
  }),
);
const anyPacket: fc.Arbitrary<RtcpPacket> = fc.oneof(ccfbArb, rembArb, others);

const blockBytes = (n: number): number => 8 + ((2 * n + 3) & ~3);

describe('RFC 8888 CCFB on the wire', () => {
  it('round trip: every field survives; each block padded to 32 bits', () => fc.assert(fc.property(ccfbArb, (fb) => {
    const bytes = encodeCcfb(fb);
    expect(bytes.length).toBe(12 + fb.blocks.reduce((n, b) => n + blockBytes(b.metrics.length), 0));
    expect(bytes[0]! & 0x1f).toBe(11);
    expect(bytes[1]).toBe(205);
    expect(parseCcfb(bytes)).toEqual({ ok: true, value: fb });
  }), { numRuns: 300 }));

  it('a metric block is R | ECN (2 bits) | ATO (13 bits); a lost packet is all zero; odd counts pad with 16 zero bits', () => {
    const bytes = encodeCcfb({ senderSsrc: 1, reportTimestamp: 0x01020304, blocks: [{ ssrc: 0xaabbccdd, beginSeq: 0xfffe, metrics: [{ ecn: 3, ato: 0x1fff }, null, { ecn: 1, ato: 2 }] }] });
    expect([...bytes]).toEqual([
      0x80 | 11, 205, 0, 6, 0, 0, 0, 1,
      0xaa, 0xbb, 0xcc, 0xdd, 0xff, 0xfe, 0, 3,
      0xff, 0xff, 0, 0, 0xa0, 0x02, 0, 0,
      1, 2, 3, 4,
    ]);
  });

  it('ATO: 1/1024 s before the report time, rounded; arrivals come back within 1000/2048 ms; past 8189/1024 s over-range', () => fc.assert(fc.property(
    fc.nat({ max: 1e12 }), fc.nat({ max: 7_996_000 }),
    (nowUs, ageUs) => {
      const nowMs = nowUs / 1000;
      const ageMs = ageUs / 1000;
      const { reportMs } = ccfbReportTime(nowMs);
      expect(Math.abs(reportMs - nowMs)).toBeLessThanOrEqual(1000 / 65536 / 2 + 1e-6);
      const arrival = reportMs - ageMs;
      const ato = ccfbAtoOf(reportMs, arrival);
      expect(ato).toBeLessThanOrEqual(CCFB_ATO_MAX);
      expect(Math.abs(ccfbArrivalMs(reportMs, ato)! - arrival)).toBeLessThanOrEqual(1000 / 2048 + 1e-6);
    })));

  it('ATO edge values: over-range and unavailable give no arrival, a later arrival than the report counts 0', () => {
    expect(ccfbAtoOf(10_000, 10_000 - 8000)).toBe(CCFB_ATO_OVERRANGE);
    expect(ccfbAtoOf(10_000, 10_000 - 7997)).toBe(8189);
    expect(ccfbAtoOf(10_000, 10_001)).toBe(0);
    expect(ccfbArrivalMs(10_000, CCFB_ATO_OVERRANGE)).toBeUndefined();
    expect(ccfbArrivalMs(10_000, CCFB_ATO_UNAVAILABLE)).toBeUndefined();
    // the report timestamp is 16.16 seconds of the clock, wrapped to 32 bits
    expect(ccfbReportTime(1000).reportTimestamp).toBe(65536);
    expect(ccfbReportTime(65_536_000 + 500).reportTimestamp).toBe(32768);
  });

  it('encoders refuse what the wire cannot carry', () => {
    const block = (metrics: CcfbFeedback['blocks'][number]['metrics']) => ({ senderSsrc: 1, reportTimestamp: 0, blocks: [{ ssrc: 2, beginSeq: 0, metrics }] });
    expect(() => encodeCcfb(block(new Array(CCFB_MAX_REPORTS + 1).fill(null)))).toThrow(RtcpEncodeError);
    expect(() => encodeCcfb(block([{ ecn: 4, ato: 0 }]))).toThrow(RtcpEncodeError);
    expect(() => encodeCcfb(block([{ ecn: 0, ato: 0x2000 }]))).toThrow(RtcpEncodeError);
    expect(() => encodeCcfb({ senderSsrc: 1, reportTimestamp: 2 ** 32, blocks: [] })).toThrow(RtcpEncodeError);
    // 17 blocks of 16384 reports pass 2^18 bytes
    expect(() => encodeCcfb({ senderSsrc: 1, reportTimestamp: 0, blocks: Array.from({ length: 17 }, () => ({ ssrc: 2, beginSeq: 0, metrics: new Array<null>(CCFB_MAX_REPORTS).fill(null) })) })).toThrow(RtcpEncodeError);
  });

  it('specific faults map to specific codes', () => {
    const good = encodeCcfb({ senderSsrc: 1, reportTimestamp: 9, blocks: [{ ssrc: 2, beginSeq: 3, metrics: [{ ecn: 0, ato: 1 }, null, null] }] });
    expect(parseCcfb(new Uint8Array([0x80 | 11, 205, 0, 1, 0, 0, 0, 1]))).toMatchObject({ ok: false, error: { code: 'too-short' } });
    expect(parseCcfb(good.subarray(0, 20))).toMatchObject({ ok: false, error: { code: 'bad-length' } });
    const tooMany = good.slice(); tooMany[14] = 0x40; tooMany[15] = 0x01; // num_reports 16385
    expect(parseCcfb(tooMany)).toMatchObject({ ok: false, error: { code: 'value-out-of-range' } });
    const overrun = good.slice(); overrun[15] = 5; // 5 reports need 12 bytes, 8 are there
    expect(parseCcfb(overrun)).toMatchObject({ ok: false, error: { code: 'bad-length' } });
    const stub = new Uint8Array([0x80 | 11, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 9]); // 4 bytes of a block, then the timestamp
    expect(parseCcfb(stub)).toMatchObject({ ok: false, error: { code: 'bad-length' } });
    expect(parseCcfb(encodeNack({ senderSsrc: 1, mediaSsrc: 2, seqs: [1] }))).toMatchObject({ ok: false, error: { code: 'wrong-type' } });
    // no report block at all is a valid (empty) report
    expect(parseCcfb(encodeCcfb({ senderSsrc: 1, reportTimestamp: 7, blocks: [] }))).toEqual({ ok: true, value: { type: 'ccfb', senderSsrc: 1, reportTimestamp: 7, blocks: [] } });
  });

  it('a lost packet\'s ECN and ATO bits are ignored (the RFC says zero them and ignore them)', () => {
    const bytes = encodeCcfb({ senderSsrc: 1, reportTimestamp: 0, blocks: [{ ssrc: 2, beginSeq: 0, metrics: [null, null] }] });
    bytes[16] = 0x7f; bytes[17] = 0xff;
    const r = parseCcfb(bytes);
    expect(r.ok && r.value.blocks[0]!.metrics).toEqual([null, null]);
  });
});

describe('REMB on the wire', () => {
  it('round trip of bitrates it carries exactly, SSRC lists up to 255', () => fc.assert(fc.property(rembArb, (remb) => {
    const bytes = encodeRemb(remb);
    expect(bytes.length).toBe(20 + 4 * remb.ssrcs.length);
    expect(parseRemb(bytes)).toEqual({ ok: true, value: remb });
  }), { numRuns: 300 }));

  it('any bitrate: exact below 2^18 bit/s, otherwise rounded down to 18 significant bits', () => fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (bps) => {
    const r = parseRemb(encodeRemb({ senderSsrc: 1, mediaSsrc: 0, bitrateBps: bps, ssrcs: [5] }));
    if (!r.ok) throw new Error(r.error.message);
    const back = r.value.bitrateBps;
    expect(back).toBeLessThanOrEqual(bps);
    if (bps < 2 ** 18) expect(back).toBe(bps);
    else expect(back).toBeGreaterThan(bps * (1 - 2 ** -17));
    const { exp, mantissa } = rembMantissa(bps);
    expect(mantissa).toBeLessThan(2 ** 18);
    if (exp > 0) expect(mantissa).toBeGreaterThanOrEqual(2 ** 17); // the smallest exponent that fits
  })));

  it('the layout: num SSRC, 6-bit exponent, 18-bit mantissa', () => {
    // 1.5 Mbit/s = 187500 × 2^3
    const bytes = encodeRemb({ senderSsrc: 0x11223344, mediaSsrc: 0, bitrateBps: 1_500_000, ssrcs: [0xdeadbeef] });
    expect([...bytes]).toEqual([0x8f, 206, 0, 5, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0x52, 0x45, 0x4d, 0x42, 1, (3 << 2) | 2, 0xdc, 0x6c, 0xde, 0xad, 0xbe, 0xef]);
    expect(parseRemb(bytes)).toMatchObject({ ok: true, value: { bitrateBps: 1_500_000, ssrcs: [0xdeadbeef] } });
  });

  it('faults: too short, not REMB, SSRC count past the packet; encoders refuse what cannot be carried', () => {
    const good = encodeRemb({ senderSsrc: 1, mediaSsrc: 0, bitrateBps: 1000, ssrcs: [1, 2] });
    const short = good.slice(0, 16); short[3] = 3;
    expect(parseRemb(short)).toMatchObject({ ok: false, error: { code: 'too-short' } });
    const other = good.slice(); other[15] = 0x43; // 'REMC'
    expect(parseRemb(other)).toMatchObject({ ok: false, error: { code: 'wrong-type' } });
    const count = good.slice(); count[16] = 3;
    expect(parseRemb(count)).toMatchObject({ ok: false, error: { code: 'count-mismatch' } });
    expect(() => encodeRemb({ senderSsrc: 1, mediaSsrc: 0, bitrateBps: -1, ssrcs: [] })).toThrow(RtcpEncodeError);
    expect(() => encodeRemb({ senderSsrc: 1, mediaSsrc: 0, bitrateBps: Infinity, ssrcs: [] })).toThrow(RtcpEncodeError);
    expect(() => encodeRemb({ senderSsrc: 1, mediaSsrc: 0, bitrateBps: 1, ssrcs: new Array<number>(256).fill(1) })).toThrow(RtcpEncodeError);
  });
});

describe('compound datagrams with CCFB and REMB', () => {
  it('mixed with other packets they split and parse back in order', () => fc.assert(fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 5 }), (pkts) => {
    const r = parseCompound(encodeCompound(pkts));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.map((p) => p.type)).toEqual(pkts.map((p) => p.type));
    r.value.forEach((p, i) => { if (p.type !== 'nack') expect(p).toEqual(pkts[i]); });
  }), { numRuns: 150 }));

  it('application layer feedback that is not REMB stays raw; a bad CCFB body is malformed, the rest still parses', () => {
    const afb = new Uint8Array([0x8f, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0x41, 0x42, 0x43, 0x44]);
    const bad = encodeCcfb({ senderSsrc: 1, reportTimestamp: 0, blocks: [{ ssrc: 2, beginSeq: 0, metrics: [null] }] }); bad[15] = 9;
    const twcc = encodeTwcc({ senderSsrc: 1, mediaSsrc: 2, baseSeq: 0, referenceTime: 0, feedbackCount: 0, deltas: [1] });
    const r = parseCompound(new Uint8Array([...afb, ...bad, ...twcc]));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.map((p) => p.type)).toEqual(['raw', 'malformed', 'twcc']);
  });
});

describe('CCFB and REMB parsers on bad bytes', () => {
  const parsers = [parseCcfb, parseRemb, parseCompound];
  const isResult = (r: unknown): boolean => typeof r === 'object' && r !== null && typeof (r as { ok: unknown }).ok === 'boolean';

  it('arbitrary bytes never throw and give a result value', () => fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
    for (const p of parsers) expect(isResult(p(b))).toBe(true);
  }), { numRuns: 2000 }));

  it('arbitrary bodies behind a CCFB or REMB header never throw', () => fc.assert(fc.property(
    fc.constantFrom([0x80 | 11, 205], [0x8f, 206]), fc.nat({ max: 60 }).chain((w) => fc.uint8Array({ minLength: w * 4, maxLength: w * 4 })), fc.boolean(),
    ([b0, pt], body, remb) => {
      const b = new Uint8Array(4 + body.length);
      b[0] = b0!; b[1] = pt!; b[2] = (body.length / 4) >> 8; b[3] = (body.length / 4) & 0xff;
      b.set(body, 4);
      if (remb && b.length >= 16) b.set([0x52, 0x45, 0x4d, 0x42], 12);
      for (const p of parsers) expect(isResult(p(b))).toBe(true);
    }), { numRuns: 2000 }));

  it('structured mutations of valid packets never throw; errors carry stable codes', () => assertMutationsNeverThrow(anyPacket, parsers));
});
