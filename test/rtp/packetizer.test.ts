import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinAnnexB } from '../../src/shared/h264/annexb.ts';
import { ABS_CAPTURE_TIME_URI, decodeAbsCaptureTime } from '../../src/shared/rtp/extensions/abs-capture-time.ts';
import { ABS_SEND_TIME_URI } from '../../src/shared/rtp/extensions/abs-send-time.ts';
import { TRANSPORT_WIDE_SEQ_URI, decodeTransportWideSeq, writeTransportWideSeq } from '../../src/shared/rtp/extensions/transport-wide-seq.ts';
import { isRtpParseError, parseRtp, type RtpPacket } from '../../src/shared/rtp/packet.ts';
import { seqAdd } from '../../src/shared/rtp/seq.ts';
import { H264PacketizeError, H264Packetizer, type H264PacketizerOptions, type PacketizedFrame } from '../../src/sender/h264/packetizer.ts';
import { depacketizeH264 } from '../../src/receiver/h264/depacketizer.ts';
import { accessUnitArb } from './arbitraries.ts';

const EXTENSIONS = { [TRANSPORT_WIDE_SEQ_URI]: 3, [ABS_SEND_TIME_URI]: 2, [ABS_CAPTURE_TIME_URI]: 7 };

function packetizer(overrides: Partial<H264PacketizerOptions> = {}): H264Packetizer {
  return new H264Packetizer({
    maxPacketBytes: 1200,
    payloadType: 102,
    ssrc: 0x11223344,
    csrcs: [],
    fecOverheadBytes: 0,
    rtxOverheadBytes: 0,
    extensions: {},
    extensionProfile: 'one-byte',
    aggregate: true,
    ...overrides,
  });
}

function ok(result: PacketizedFrame | H264PacketizeError): PacketizedFrame {
  if (result instanceof H264PacketizeError) throw new Error(result.message);
  return result;
}

function parse(data: Buffer): RtpPacket {
  const packet = parseRtp(data);
  if (isRtpParseError(packet)) throw new Error(packet.message);
  return packet;
}

describe('H.264 packetizer golden layouts (RFC 6184)', () => {
  it('aggregates SPS + PPS into one STAP-A (§5.7.1, figure 7 layout)', () => {
    const sps = Buffer.from([0x67, 0x42, 0x00, 0x1f]);
    const pps = Buffer.from([0x48, 0xce, 0x3c, 0x80]); // NRI 2: STAP-A takes the max NRI (3)
    const frame = ok(packetizer().packetize({ accessUnit: joinAnnexB([sps, pps]), rtpTimestamp: 0x01020304, firstSequenceNumber: 0xfffe }));
    expect(frame.packets).toHaveLength(1);
    const [p] = frame.packets;
    expect(p!.data.toString('hex')).toBe(
      [
        '80', 'e6', 'fffe', '01020304', '11223344', // V=2, M=1 PT=102, seq, ts, ssrc
        '78', // STAP-A: F=0 NRI=3 type=24
        '0004', '6742001f', // size + SPS
        '0004', '48ce3c80', // size + PPS
      ].join(''),
    );
    expect(p!.kind).toBe('stap-a');
    expect(p!.position).toBe('single');
    expect(p!.nalTypes).toEqual([7, 8]);
    expect(frame.nextSequenceNumber).toBe(0xffff);
  });

  it('fragments a large IDR into balanced FU-A packets with S/E bits (§5.8, figure 14)', () => {
    const body = Buffer.alloc(199, 0xab);
    const idr = Buffer.concat([Buffer.from([0x65]), body]);
    // 100-byte packets, 12-byte header: 88 bytes of payload, 86 of fragment: 199 = 66 + 66 + 67
    const frame = ok(packetizer({ maxPacketBytes: 100 }).packetize({ accessUnit: [idr], rtpTimestamp: 9, firstSequenceNumber: 65535 }));
    expect(frame.packets.map((p) => p.sequenceNumber)).toEqual([65535, 0, 1]);
    expect(frame.packets.map((p) => p.position)).toEqual(['first', 'middle', 'last']);
    expect(frame.packets.map((p) => p.marker)).toEqual([false, false, true]);
    const payloads = frame.packets.map((p) => p.data.subarray(12));
    expect(payloads.map((p) => p.subarray(0, 2).toString('hex'))).toEqual(['7c85', '7c05', '7c45']); // FU indicator NRI=3 type 28; FU header S/E + type 5
    expect(payloads.map((p) => p.length - 2)).toEqual([66, 66, 67]);
    expect(frame.packets.map((p) => p.data[1]! & 0x80)).toEqual([0, 0, 0x80]);
    expect(frame.keyframe).toBe(true);
  });

  it('reserves FEC/RTX overhead and gives the first packet less payload when it carries abs-capture-time', () => {
    const idr = Buffer.concat([Buffer.from([0x65]), Buffer.alloc(5000, 1)]);
    const p = packetizer({ extensions: EXTENSIONS, fecOverheadBytes: 18, rtxOverheadBytes: 2 });
    const frame = ok(p.packetize({ accessUnit: [idr], rtpTimestamp: 1, firstSequenceNumber: 1, captureTime: { captureNtp: 123n << 32n } }));
    // middle: 12 + 4 + (1+2) + (1+3) → 24 bytes; first adds (1+8) → 12 + 4 + 16 = 32
    expect(frame.capacities).toEqual({ single: 1200 - 20 - 32, first: 1200 - 20 - 32, middle: 1200 - 20 - 24, last: 1200 - 20 - 24 });
    for (const packet of frame.packets) expect(packet.data.length).toBeLessThanOrEqual(1180);
    const parsed = frame.packets.map((x) => parse(x.data));
    expect(decodeAbsCaptureTime(parsed[0]!.extensions.get(7)!)).toEqual({ captureNtp: 123n << 32n });
    expect(parsed.slice(1).every((x) => !x.extensions.has(7))).toBe(true);
    // the frame without FEC or RTX gets the full packet
    const unprotected = ok(p.packetize({ accessUnit: [idr], rtpTimestamp: 1, firstSequenceNumber: 1, fecProtected: false, retransmittable: false }));
    expect(unprotected.capacities.middle).toBe(1200 - 24);
  });

  it('reports placeholder offsets the pacer can patch', () => {
    const frame = ok(packetizer({ extensions: EXTENSIONS }).packetize({ accessUnit: [Buffer.from([0x41, 1, 2, 3])], rtpTimestamp: 5, firstSequenceNumber: 5 }));
    const [packet] = frame.packets;
    writeTransportWideSeq(packet!.data, packet!.transportSeqOffset!, 0xbeef);
    expect(decodeTransportWideSeq(parse(packet!.data).extensions.get(3)!)).toBe(0xbeef);
    expect(packet!.absSendTimeOffset).toBeGreaterThan(12);
  });

  it('returns error values for empty access units, RTP-only NAL types and no room', () => {
    const p = packetizer();
    expect((p.packetize({ accessUnit: Buffer.from([1, 2, 3]), rtpTimestamp: 0, firstSequenceNumber: 0 }) as H264PacketizeError).code).toBe('no-nal-units');
    expect((p.packetize({ accessUnit: [Buffer.from([0x7c, 0x85, 1])], rtpTimestamp: 0, firstSequenceNumber: 0 }) as H264PacketizeError).code).toBe('unsupported-nal-type');
    const cramped = packetizer({ maxPacketBytes: 100, fecOverheadBytes: 90 });
    expect((cramped.packetize({ accessUnit: [Buffer.from([0x41, 1])], rtpTimestamp: 0, firstSequenceNumber: 0 }) as H264PacketizeError).code).toBe('no-room');
    expect(() => packetizer({ extensions: { [ABS_SEND_TIME_URI]: 15 } })).toThrow(/does not fit/);
  });
});

describe('H.264 packetizer properties', () => {
  const settings = fc.record({
    mtu: fc.integer({ min: 300, max: 1500 }),
    fec: fc.integer({ min: 0, max: 40 }),
    rtx: fc.constantFrom(0, 2),
    negotiated: fc.boolean(),
    capture: fc.boolean(),
    aggregate: fc.boolean(),
    profile: fc.constantFrom<'one-byte' | 'two-byte'>('one-byte', 'two-byte'),
    csrcs: fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 3 }),
    seq: fc.integer({ min: 0, max: 65535 }),
  });

  it('any access unit at any MTU round-trips, fits the MTU, and balances FU-A fragments', () => {
    fc.assert(
      fc.property(accessUnitArb(20_000), settings, (nals, s) => {
        const p = packetizer({
          maxPacketBytes: s.mtu,
          fecOverheadBytes: s.fec,
          rtxOverheadBytes: s.rtx,
          extensions: s.negotiated ? EXTENSIONS : {},
          aggregate: s.aggregate,
          extensionProfile: s.profile,
          csrcs: s.csrcs,
        });
        const frame = ok(p.packetize({ accessUnit: joinAnnexB(nals), rtpTimestamp: 0xfffffff0, firstSequenceNumber: s.seq, ...(s.capture ? { captureTime: { captureNtp: 77n, estimatedClockOffset: -5n } } : {}) }));
        const n = frame.packets.length;
        expect(frame.nextSequenceNumber).toBe(seqAdd(s.seq, n));
        const parsed = frame.packets.map((x) => parse(x.data));
        frame.packets.forEach((x, i) => {
          expect(x.data.length).toBeLessThanOrEqual(s.mtu - s.fec - s.rtx);
          expect(x.data.length).toBe(x.headerBytes + x.payloadBytes);
          expect(x.sequenceNumber).toBe(seqAdd(s.seq, i));
          expect(x.position).toBe(n === 1 ? 'single' : i === 0 ? 'first' : i === n - 1 ? 'last' : 'middle');
          expect(parsed[i]!.marker).toBe(i === n - 1);
          expect(parsed[i]!.timestamp).toBe(0xfffffff0);
          expect(parsed[i]!.csrcs).toEqual(s.csrcs);
          expect(parsed[i]!.extensions.has(7)).toBe(s.negotiated && s.capture && i === 0);
          expect(parsed[i]!.extensions.has(3)).toBe(s.negotiated);
        });
        const back = depacketizeH264(parsed.map((x) => x.payload));
        if (!Array.isArray(back)) throw new Error(back.message);
        expect(back.map((b) => Buffer.from(b).toString('hex'))).toEqual(nals.map((b) => b.toString('hex')));
        if (!s.aggregate) expect(frame.packets.every((x) => x.kind !== 'stap-a')).toBe(true);
        // FU-A fragments of one NAL: payload + (middle room − position room) equal within 1 byte
        const room = (pos: string) => (pos === 'single' ? frame.capacities.single : pos === 'first' ? frame.capacities.first : pos === 'last' ? frame.capacities.last : frame.capacities.middle);
        let run: number[] = [];
        for (const x of frame.packets) {
          if (x.kind !== 'fu-a') continue;
          run.push(x.payloadBytes + frame.capacities.middle - room(x.position));
          if (x.data[x.headerBytes + 1]! & 0x40) {
            const spread = Math.max(...run) - Math.min(...run);
            expect(spread).toBeLessThanOrEqual(1);
            run = [];
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it('uses no more packets than needed: every NAL that fits its position goes whole', () => {
    fc.assert(
      fc.property(accessUnitArb(3000), fc.integer({ min: 300, max: 1500 }), (nals, mtu) => {
        const frame = ok(packetizer({ maxPacketBytes: mtu }).packetize({ accessUnit: nals, rtpTimestamp: 0, firstSequenceNumber: 0 }));
        const room = mtu - 12;
        const fragmented = new Set(frame.packets.filter((x) => x.kind === 'fu-a').map((x) => x.nalTypes[0]));
        for (const x of frame.packets) if (x.kind === 'fu-a') expect(x.payloadBytes).toBeGreaterThan(0);
        const totalFragments = frame.packets.filter((x) => x.kind === 'fu-a').length;
        const minimum = nals.filter((nal) => nal.length > room).reduce((sum, nal) => sum + Math.ceil((nal.length - 1) / (room - 2)), 0);
        expect(totalFragments).toBe(minimum);
        expect(fragmented.size).toBeLessThanOrEqual(nals.length);
      }),
      { numRuns: 200 },
    );
  });
});
