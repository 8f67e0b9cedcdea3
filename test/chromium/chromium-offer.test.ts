/** The lines the lab adds to werift's offer for a Chromium receiver (src/transport/chromium-offer.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chromiumOffer, ChromiumOfferError, type ChromiumOfferStreams } from '../../src/transport/chromium-offer.ts';
import { chromiumOfferStreams } from '../../src/sender/chromium-streams.ts';

// werift's offer as the lab's sender writes it (loopback, one H.264 codec, three extensions)
const WERIFT_OFFER = [
  'v=0', 'o=- 17343806 0 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'a=extmap-allow-mixed', 'a=msid-semantic:WMS *',
  'm=video 9 UDP/TLS/RTP/SAVPF 102', 'c=IN IP4 127.0.0.1',
  'a=candidate:626da4e5384a0ce2d0d93678a 1 udp 2116026367 127.0.0.1 58092 typ host generation 0 ufrag fbc5', 'a=end-of-candidates',
  'a=ice-ufrag:fbc5', 'a=ice-pwd:915c5b095070b16e306f7d', 'a=setup:actpass', 'a=sendonly', 'a=mid:0', 'a=rtcp-mux',
  'a=ssrc:1472713901 cname:95e201cf-ca34-43cd-b3e7-5b22097ca316',
  'a=rtpmap:102 H264/90000', 'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=extmap:1 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', '',
].join('\r\n');

const mLine = (sdp: string): string[] => sdp.split('\r\n').find((l) => l.startsWith('m='))!.split(' ').slice(3);
const rtpmapPts = (sdp: string): string[] => sdp.split('\r\n').filter((l) => l.startsWith('a=rtpmap:')).map((l) => l.slice(9, l.indexOf(' ')));

describe('chromiumOffer', () => {
  it('adds RTX with its apt and FID group, and NACK feedback, for a NACK sender', () => {
    const sdp = chromiumOffer(WERIFT_OFFER, { nack: true, transportCc: false, rtx: { ssrc: 99, payloadType: 103 } });
    const lines = sdp.split('\r\n');
    expect(mLine(sdp)).toEqual(['102', '103']);
    expect(lines).toEqual(expect.arrayContaining(['a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102', 'a=rtcp-fb:102 nack', 'a=rtcp-fb:102 nack pli', 'a=rtcp-fb:102 ccm fir', 'a=ssrc-group:FID 1472713901 99', 'a=ssrc:99 cname:95e201cf-ca34-43cd-b3e7-5b22097ca316']));
    expect(lines).not.toContain('a=rtcp-fb:102 transport-cc');
    // the group comes before the SSRC lines it names, as libwebrtc writes them
    expect(lines.indexOf('a=ssrc-group:FID 1472713901 99')).toBeLessThan(lines.indexOf('a=ssrc:1472713901 cname:95e201cf-ca34-43cd-b3e7-5b22097ca316'));
    expect(sdp.endsWith('\r\n')).toBe(true);
  });

  it('adds RED + ULPFEC, or FlexFEC-03 with its FEC-FR group', () => {
    const red = chromiumOffer(WERIFT_OFFER, { nack: false, transportCc: true, red: { payloadType: 120, ulpfecPayloadType: 121 } });
    expect(mLine(red)).toEqual(['102', '120', '121']);
    expect(red).toContain('a=rtpmap:120 red/90000\r\n');
    expect(red).toContain('a=rtpmap:121 ulpfec/90000\r\n');
    expect(red).toContain('a=rtcp-fb:102 transport-cc\r\n');
    expect(red).not.toContain('a=rtcp-fb:102 nack\r\n');
    const flex = chromiumOffer(WERIFT_OFFER, { nack: false, transportCc: false, flexfec: { ssrc: 7, payloadType: 104 } });
    expect(mLine(flex)).toEqual(['102', '104']);
    expect(flex).toContain('a=ssrc-group:FEC-FR 1472713901 7\r\n');
    expect(flex).toContain('a=rtpmap:104 flexfec-03/90000\r\n');
  });

  it('keeps every line of the offer and lists exactly the payload types it maps', () => {
    const streams = fc.record({
      nack: fc.boolean(),
      transportCc: fc.boolean(),
      rtx: fc.option(fc.record({ ssrc: fc.integer({ min: 1, max: 0xffffffff }), payloadType: fc.constant(103) }), { nil: undefined }),
      red: fc.option(fc.constant({ payloadType: 120, ulpfecPayloadType: 121 }), { nil: undefined }),
      flexfec: fc.option(fc.record({ ssrc: fc.integer({ min: 1, max: 0xffffffff }), payloadType: fc.constant(104) }), { nil: undefined }),
    });
    fc.assert(
      fc.property(streams, (s) => {
        const plan: ChromiumOfferStreams = { nack: s.nack, transportCc: s.transportCc, ...(s.rtx ? { rtx: s.rtx } : {}), ...(s.red ? { red: s.red } : {}), ...(s.flexfec ? { flexfec: s.flexfec } : {}) };
        const sdp = chromiumOffer(WERIFT_OFFER, plan);
        const original = WERIFT_OFFER.split('\r\n').filter((l) => l !== '' && !l.startsWith('m='));
        expect(sdp.split('\r\n')).toEqual(expect.arrayContaining(original));
        expect([...mLine(sdp)].sort()).toEqual([...rtpmapPts(sdp)].sort());
      }),
    );
  });

  it('refuses an offer it cannot extend, naming what is missing', () => {
    expect(() => chromiumOffer(WERIFT_OFFER.replace('m=video 9 UDP/TLS/RTP/SAVPF 102', 'm=video 9 UDP/TLS/RTP/SAVPF 102 96'), { nack: true, transportCc: false })).toThrow(/one payload type on the m-line/);
    expect(() => chromiumOffer(WERIFT_OFFER.replace(/a=ssrc:.*\r\n/, ''), { nack: true, transportCc: false })).toThrow(ChromiumOfferError);
    expect(() => chromiumOffer('v=0\r\n', { nack: true, transportCc: false })).toThrow(/one video m-section/);
  });

  it("takes the streams from the sender's plan", () => {
    expect(chromiumOfferStreams({ protection: undefined, congestion: undefined })).toEqual({ nack: false, transportCc: false });
    const plan = { mode: 'hybrid', fecScheme: 'flexfec', rtx: { ssrc: 5, payloadType: 103 }, flexfec: { ssrc: 6, payloadType: 104 }, red: { payloadType: 120, ulpfecPayloadType: 121 } };
    expect(chromiumOfferStreams({ protection: plan as never, congestion: { startBps: 1, minBps: 1, maxBps: 2 } })).toEqual({ nack: true, transportCc: true, rtx: { ssrc: 5, payloadType: 103 }, flexfec: { ssrc: 6, payloadType: 104 } });
  });
});
