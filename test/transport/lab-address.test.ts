import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confineSdpToAddress, filterCandidates, foreignSdpAddresses, sdpAddresses } from '../../src/transport/lab-address.ts';

/** What werift 0.25.2 wrote on this machine before loopback runs were confined (abridged). */
const WERIFT_OFFER = [
  'v=0',
  'o=- 16607508 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 102',
  'c=IN IP4 0.0.0.0',
  'a=candidate:626da4e5384a0ce2d0d93678a 1 udp 2116026367 127.0.0.1 41382 typ host generation 0 ufrag bc46',
  'a=candidate:12efb64d1e37b75475c3d3c95 1 udp 1679818751 127.0.0.1 41382 typ srflx raddr 127.0.0.1 rport 41382',
  'a=candidate:69d1cfb76ed4be8b6b6e7d10d 1 udp 1679818751 127.0.0.1 54001 typ srflx raddr 192.0.2.2 rport 54001',
  'a=candidate:1f2e3d4c5b6a79880 1 udp 2116026367 192.0.2.2 54001 typ host generation 0 ufrag bc46',
  'a=end-of-candidates',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=rtcp-mux',
  '',
].join('\r\n');

describe('sdpAddresses', () => {
  it('finds the origin, connection, candidate, raddr and rtcp addresses with their line numbers', () => {
    expect(sdpAddresses(WERIFT_OFFER)).toEqual([
      { line: 2, field: 'origin', address: '0.0.0.0' },
      { line: 6, field: 'connection', address: '0.0.0.0' },
      { line: 7, field: 'candidate', address: '127.0.0.1' },
      { line: 8, field: 'candidate', address: '127.0.0.1' },
      { line: 8, field: 'raddr', address: '127.0.0.1' },
      { line: 9, field: 'candidate', address: '127.0.0.1' },
      { line: 9, field: 'raddr', address: '192.0.2.2' },
      { line: 10, field: 'candidate', address: '192.0.2.2' },
      { line: 12, field: 'rtcp', address: '0.0.0.0' },
    ]);
  });

  it('reads LF-only SDPs, a c= with a TTL, IPv6 and an a=rtcp without address', () => {
    const sdp = 'o=- 1 2 IN IP6 ::1\nc=IN IP4 224.2.1.1/127\na=rtcp:9\na=rtcp:53020 IN IP6 2001:db8::1\nm=video 9 RTP/AVP 96\n';
    expect(sdpAddresses(sdp)).toEqual([
      { line: 1, field: 'origin', address: '::1' },
      { line: 2, field: 'connection', address: '224.2.1.1' },
      { line: 4, field: 'rtcp', address: '2001:db8::1' },
    ]);
  });

  it('lists the addresses outside the allowed ones', () => {
    expect(foreignSdpAddresses(WERIFT_OFFER, ['127.0.0.1', '0.0.0.0'])).toEqual([
      { line: 9, field: 'raddr', address: '192.0.2.2' },
      { line: 10, field: 'candidate', address: '192.0.2.2' },
    ]);
  });
});

describe('confineSdpToAddress', () => {
  it('drops candidates on or related to another address and names the lab address in o=, c=, a=rtcp', () => {
    const confined = confineSdpToAddress(WERIFT_OFFER, '127.0.0.1');
    expect(foreignSdpAddresses(confined, ['127.0.0.1'])).toEqual([]);
    expect(sdpAddresses(confined).filter((a) => a.field === 'candidate')).toHaveLength(2);
    expect(confined).toContain('\r\nc=IN IP4 127.0.0.1\r\n');
    expect(confined).toContain('\r\na=rtcp:9 IN IP4 127.0.0.1\r\n');
    expect(confined).toContain('o=- 16607508 0 IN IP4 127.0.0.1\r\n');
    expect(confined).toContain('\r\na=rtcp-mux\r\n');
  });

  it('filterCandidates drops a server-reflexive candidate whose raddr is foreign', () => {
    const kept = filterCandidates(WERIFT_OFFER, ['127.0.0.1']);
    expect(kept).not.toContain('192.0.2.2');
    expect(kept).toContain('typ srflx raddr 127.0.0.1');
  });

  it('leaves no foreign address whatever candidates werift gathered (property)', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
    const address = fc.oneof(fc.constant('127.0.0.1'), fc.constant('0.0.0.0'), ipv4);
    const candidate = fc
      .tuple(address, fc.integer({ min: 1, max: 65535 }), fc.option(address, { nil: undefined }))
      .map(([host, port, related]) => `a=candidate:f 1 udp 100 ${host} ${port} typ ${related ? `srflx raddr ${related} rport ${port}` : 'host'}`);
    fc.assert(
      fc.property(address, address, fc.array(candidate, { maxLength: 8 }), (origin, connection, candidates) => {
        const sdp = ['v=0', `o=- 1 0 IN IP4 ${origin}`, 'm=video 9 UDP/TLS/RTP/SAVPF 102', `c=IN IP4 ${connection}`, ...candidates, 'a=rtcp:9 IN IP4 0.0.0.0', ''].join('\r\n');
        const foreign = foreignSdpAddresses(confineSdpToAddress(sdp, '127.0.0.1'), ['127.0.0.1']);
        // o= and c= are only rewritten from the unspecified address; any other one stays visible
        const expected = [origin, connection].filter((a) => a !== '127.0.0.1' && a !== '0.0.0.0');
        expect(foreign.map((f) => f.address).sort()).toEqual(expected.sort());
      }),
    );
  });
});
