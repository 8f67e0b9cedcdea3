/**
 * The simulator's datagram framing: any RTP or RTCP datagram comes back unchanged through
 * frame → unframe, `framedSize` is the framed length (IPv4/UDP + the SRTP/SRTCP trailer), and any
 * one flipped bit outside the IP/UDP header fails the integrity check as SRTP's would.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameDatagram, framedSize, IP_UDP_HEADER_BYTES, unframeDatagram } from '../../src/sim/sim-link.ts';

const datagram = fc.tuple(fc.boolean(), fc.uint8Array({ minLength: 12, maxLength: 1300 })).map(([rtcp, bytes]) => {
  const d = Uint8Array.from(bytes);
  d[0] = 0x80;
  d[1] = rtcp ? 200 : 96; // an SR, or RTP payload type 96
  return d;
});

describe('simulated link framing', () => {
  it('round-trips any datagram; framedSize is the framed length', () => {
    fc.assert(fc.property(datagram, fc.constantFrom('up' as const, 'down' as const), (d, dir) => {
      const framed = frameDatagram(d, dir);
      expect(framed.length).toBe(framedSize(d));
      expect(Buffer.from(unframeDatagram(framed)!).equals(Buffer.from(d))).toBe(true);
    }));
  });

  it('a bit flipped after the IP/UDP header fails the integrity check', () => {
    fc.assert(fc.property(datagram, fc.nat(), (d, at) => {
      const framed = frameDatagram(d, 'up');
      const bit = (IP_UDP_HEADER_BYTES * 8) + (at % ((framed.length - IP_UDP_HEADER_BYTES) * 8));
      framed[bit >> 3]! ^= 0x80 >> (bit & 7);
      const out = unframeDatagram(framed);
      // a flip in the trailer's unused bytes leaves the datagram intact; anywhere else it is refused
      if (out !== undefined) expect(Buffer.from(out).equals(Buffer.from(d))).toBe(true);
      const tagEnd = IP_UDP_HEADER_BYTES + d.length + 4;
      if ((bit >> 3) < tagEnd) expect(out).toBeUndefined();
    }));
  });
});
