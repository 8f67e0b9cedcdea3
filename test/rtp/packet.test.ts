import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtpParseError, isRtpParseError, parseRtp, rtpHeaderBytes, serializeRtp, type RtpPacket } from '../../src/shared/rtp/packet.ts';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

function packetArb(profile: 'one-byte' | 'two-byte'): fc.Arbitrary<RtpPacket> {
  const ext =
    profile === 'one-byte'
      ? fc.dictionary(fc.integer({ min: 1, max: 14 }).map(String), fc.uint8Array({ minLength: 1, maxLength: 16 }), { maxKeys: 14 })
      : fc.dictionary(fc.integer({ min: 1, max: 255 }).map(String), fc.uint8Array({ minLength: 0, maxLength: 255 }), { maxKeys: 8 });
  return fc.record({
    marker: fc.boolean(),
    payloadType: fc.integer({ min: 0, max: 127 }),
    sequenceNumber: fc.integer({ min: 0, max: 65535 }),
    timestamp: u32,
    ssrc: u32,
    csrcs: fc.array(u32, { maxLength: 15 }),
    extensions: ext.map((d) => new Map(Object.entries(d).map(([k, v]) => [Number(k), v]))),
    extensionProfile: fc.constant(profile),
    payload: fc.uint8Array({ maxLength: 1400 }),
    paddingBytes: fc.integer({ min: 0, max: 255 }),
  }).map((p) => {
    const packet: RtpPacket = { ...p };
    if (p.extensions.size === 0) delete packet.extensionProfile;
    return packet;
  });
}

function normalize(p: RtpPacket) {
  // an extension block that holds no element (only padding, as a mutation can leave it) is not
  // written back: with no extensions the profile a packet was parsed with does not matter
  const { extensionProfile, ...rest } = p;
  const keepProfile = p.extensions.size > 0 || p.rawExtension !== undefined;
  return {
    ...rest,
    ...(keepProfile && extensionProfile !== undefined ? { extensionProfile } : {}),
    payload: Buffer.from(p.payload),
    extensions: [...p.extensions].map(([id, v]) => [id, Buffer.from(v)]).sort((a, b) => (a[0] as number) - (b[0] as number)),
  };
}

describe('RTP packet', () => {
  it('round-trips serialize → parse with one-byte and two-byte extensions', () => {
    fc.assert(
      fc.property(fc.oneof(packetArb('one-byte'), packetArb('two-byte')), (packet) => {
        const bytes = serializeRtp(packet);
        expect(bytes.length).toBe(rtpHeaderBytes(packet) + packet.payload.length + packet.paddingBytes);
        expect(rtpHeaderBytes(packet) % 4).toBe(0);
        const parsed = parseRtp(bytes);
        if (isRtpParseError(parsed)) throw new Error(parsed.message);
        expect(normalize(parsed)).toEqual(normalize(packet));
        expect(serializeRtp(parsed).equals(bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('parses a hand-built packet with a one-byte extension block (RFC 8285 §4.2)', () => {
    // V=2 X=1 CC=0, M=1 PT=96, seq 0x1234, ts 0xdeadbeef, ssrc 1; ext: id 1 len 2 (0xabcd), id 3 len 3, padding
    const bytes = Buffer.from([
      0x90, 0xe0, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1,
      0xbe, 0xde, 0x00, 0x02, 0x11, 0xab, 0xcd, 0x32, 0x01, 0x02, 0x03, 0x00,
      0x65, 0x88,
    ]);
    const packet = parseRtp(bytes);
    if (isRtpParseError(packet)) throw new Error(packet.message);
    expect(packet.marker).toBe(true);
    expect(packet.payloadType).toBe(96);
    expect(packet.sequenceNumber).toBe(0x1234);
    expect(packet.timestamp).toBe(0xdeadbeef);
    expect(packet.ssrc).toBe(1);
    expect([...packet.extensions.keys()]).toEqual([1, 3]);
    expect(Buffer.from(packet.extensions.get(1)!)).toEqual(Buffer.from([0xab, 0xcd]));
    expect(Buffer.from(packet.extensions.get(3)!)).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.from(packet.payload)).toEqual(Buffer.from([0x65, 0x88]));
    expect(rtpHeaderBytes(packet)).toBe(24);
    expect(serializeRtp(packet).equals(bytes)).toBe(true);
  });

  it('skips id-0 padding, stops at one-byte id 15 and keeps two-byte appbits (RFC 8285 §4.2, §4.3)', () => {
    const stop = Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 2, 0x05, 0x10, 0xaa, 0xf0, 0x22, 0, 0, 0, 0x55]);
    const parsed = parseRtp(stop);
    if (isRtpParseError(parsed)) throw new Error(parsed.message);
    expect([...parsed.extensions.keys()]).toEqual([1]);
    expect(Buffer.from(parsed.payload)).toEqual(Buffer.from([0x55]));
    const twoByte = Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x10, 0x07, 0, 1, 0x20, 0x00, 0x00, 0x00, 0x55]);
    const p2 = parseRtp(twoByte);
    if (isRtpParseError(p2)) throw new Error(p2.message);
    expect(p2.extensionProfile).toBe('two-byte');
    expect(p2.extensionAppBits).toBe(7);
    expect(p2.extensions.get(0x20)!.length).toBe(0);
    expect(serializeRtp(p2).equals(twoByte)).toBe(true);
  });

  it('keeps a non-RFC 8285 extension raw', () => {
    const bytes = Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x12, 0x34, 0, 1, 9, 8, 7, 6, 0xaa]);
    const packet = parseRtp(bytes);
    if (isRtpParseError(packet)) throw new Error(packet.message);
    expect(packet.rawExtension?.profile).toBe(0x1234);
    expect(packet.extensions.size).toBe(0);
    expect(serializeRtp(packet).equals(bytes)).toBe(true);
  });

  it('names what is wrong with bad bytes', () => {
    const good = serializeRtp({
      marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [4],
      extensions: new Map([[1, new Uint8Array([1, 2])]]), payload: new Uint8Array([5]), paddingBytes: 0,
    });
    const code = (b: Uint8Array) => {
      const r = parseRtp(b);
      return r instanceof RtpParseError ? r.code : 'ok';
    };
    expect(code(good)).toBe('ok');
    expect(code(good.subarray(0, 11))).toBe('too-short');
    expect(code(Buffer.concat([Buffer.from([0x40]), good.subarray(1)]))).toBe('bad-version');
    expect(code(Buffer.concat([Buffer.from([0x8f]), good.subarray(1, 16)]))).toBe('csrc-truncated');
    expect(code(good.subarray(0, 20))).toBe('extension-truncated');
    const badElement = Buffer.from(good);
    badElement[20] = 0x1f; // id 1, 16 bytes: runs past the block
    expect(code(badElement)).toBe('extension-element-truncated');
    const zeroPad = Buffer.from(good);
    zeroPad[0]! |= 0x20;
    zeroPad[zeroPad.length - 1] = 0;
    expect(code(zeroPad)).toBe('padding-zero');
    zeroPad[zeroPad.length - 1] = 200;
    expect(code(zeroPad)).toBe('padding-too-long');
  });

  it('never throws on arbitrary bytes or mutated packets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }).map((b) => { if (b.length > 0) b[0] = (b[0]! & 0x3f) | 0x80; return b; }), (bytes) => {
        const r = parseRtp(bytes);
        if (r instanceof RtpParseError) return;
        // whatever parses serializes, and parses back to the same packet
        const again = parseRtp(serializeRtp(r));
        if (isRtpParseError(again)) throw new Error(again.message);
        expect(normalize(again)).toEqual(normalize(r));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        packetArb('one-byte'),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (packet, edits, cut) => {
          const bytes = serializeRtp(packet);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = bytes.subarray(0, bytes.length - (cut % (bytes.length + 1)));
          const r = parseRtp(input);
          if (r instanceof RtpParseError) {
            // a refusal names a known code and a byte offset inside the input
            expect(r.code).toMatch(/^[a-z-]+$/);
            expect(r.offset).toBeGreaterThanOrEqual(0);
            expect(r.offset).toBeLessThanOrEqual(input.length);
            return;
          }
          // an accepted mutation is a packet: its fields in range, its payload and padding inside
          // the input, and it serializes back to a packet that parses the same
          expect(r.payloadType).toBeLessThan(128);
          expect(r.csrcs.length).toBeLessThanOrEqual(15);
          expect(r.payload.length + r.paddingBytes).toBeLessThanOrEqual(input.length - 12);
          const again = parseRtp(serializeRtp(r));
          if (isRtpParseError(again)) throw new Error(again.message);
          expect(normalize(again)).toEqual(normalize(r));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
