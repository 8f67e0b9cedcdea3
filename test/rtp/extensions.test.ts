import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ABS_CAPTURE_TIME_URI,
  decodeAbsCaptureTime,
  encodeAbsCaptureTime,
  q32FromMs,
  q32ToMs,
} from '../../src/shared/rtp/extensions/abs-capture-time.ts';
import {
  ABS_SEND_TIME_URI,
  absSendTimeFromUs,
  absSendTimeToUs,
  decodeAbsSendTime,
  encodeAbsSendTime,
} from '../../src/shared/rtp/extensions/abs-send-time.ts';
import { extensionId, negotiatedExtensionsFrom } from '../../src/shared/rtp/extensions/negotiated.ts';
import {
  TRANSPORT_WIDE_SEQ_URI,
  decodeTransportWideSeq,
  encodeTransportWideSeq,
} from '../../src/shared/rtp/extensions/transport-wide-seq.ts';

describe('header extension codecs', () => {
  it('transport-wide seq round-trips and is big-endian', () => {
    expect(Buffer.from(encodeTransportWideSeq(0x1234))).toEqual(Buffer.from([0x12, 0x34]));
    expect(decodeTransportWideSeq(encodeTransportWideSeq(70000))).toBe(70000 - 65536);
    expect(decodeTransportWideSeq(new Uint8Array(3))).toBeUndefined();
    fc.assert(fc.property(fc.integer({ min: 0, max: 65535 }), (s) => {
      expect(decodeTransportWideSeq(encodeTransportWideSeq(s))).toBe(s);
    }));
  });

  it('abs-send-time is 6.18 fixed point seconds wrapping at 64 s', () => {
    expect(absSendTimeFromUs(1_000_000)).toBe(1 << 18);
    expect(absSendTimeFromUs(64_000_000)).toBe(0);
    expect(absSendTimeFromUs(64_500_000)).toBe(1 << 17);
    expect(Buffer.from(encodeAbsSendTime(0x123456))).toEqual(Buffer.from([0x12, 0x34, 0x56]));
    expect(decodeAbsSendTime(new Uint8Array(2))).toBeUndefined();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63_999_990 }), (us) => {
        const value = absSendTimeFromUs(us);
        expect(decodeAbsSendTime(encodeAbsSendTime(value))).toBe(value);
        expect(Math.abs(absSendTimeToUs(value) - us)).toBeLessThanOrEqual(2); // half of 2^-18 s ≈ 1.9 µs
      }),
    );
  });

  it('abs-capture-time round-trips with and without the clock offset', () => {
    const plain = encodeAbsCaptureTime({ captureNtp: 0x0102030405060708n });
    expect(Buffer.from(plain)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(decodeAbsCaptureTime(new Uint8Array(12))).toBeUndefined();
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.option(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })), (ntp, offset) => {
        const value = offset === null ? { captureNtp: ntp } : { captureNtp: ntp, estimatedClockOffset: offset };
        const bytes = encodeAbsCaptureTime(value);
        expect(bytes.length).toBe(offset === null ? 8 : 16);
        expect(decodeAbsCaptureTime(bytes)).toEqual(value);
      }),
    );
  });

  it('converts ms ↔ Q32.32 within a microsecond', () => {
    expect(q32FromMs(1000)).toBe(1n << 32n);
    expect(q32FromMs(500)).toBe(1n << 31n);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 4e12, noNaN: true }), (ms) => {
        expect(Math.abs(q32ToMs(q32FromMs(ms)) - ms)).toBeLessThan(1e-3);
      }),
    );
  });

  it('negotiated map gives ids only for negotiated URIs', () => {
    const map = negotiatedExtensionsFrom([
      { uri: TRANSPORT_WIDE_SEQ_URI, id: 3 },
      { uri: ABS_SEND_TIME_URI, id: 2 },
    ]);
    expect(extensionId(map, TRANSPORT_WIDE_SEQ_URI)).toBe(3);
    expect(extensionId(map, ABS_SEND_TIME_URI)).toBe(2);
    expect(extensionId(map, ABS_CAPTURE_TIME_URI)).toBeUndefined();
    expect(extensionId({ [ABS_CAPTURE_TIME_URI]: 0 }, ABS_CAPTURE_TIME_URI)).toBeUndefined();
  });
});
