/** The lab's receiver answering Chromium's offer (src/transport/chromium-answer.ts), on an offer Chromium 156 wrote here. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chromiumAnswer, ChromiumSdpError, offerForWerift, parseChromiumOffer } from '../../src/transport/chromium-answer.ts';

// Chromium 156's offer (sendonly H.264 with RTX, RED/ULPFEC and FlexFEC-03 behind its field trials), ICE lines left out
const CHROMIUM_OFFER = [
  'v=0', 'o=- 7802576451303880784 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'a=extmap-allow-mixed', 'a=msid-semantic: WMS',
  'm=video 44710 UDP/TLS/RTP/SAVPF 108 109 118 119 120 49', 'c=IN IP4 10.250.0.1', 'a=rtcp:9 IN IP4 10.250.0.1', 'a=setup:actpass', 'a=mid:0',
  'a=extmap:4 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', 'a=sendonly', 'a=msid:- 32654199-b5a1-42c5-a77a-7744696c46ee', 'a=rtcp-mux', 'a=rtcp-rsize',
  'a=rtpmap:108 H264/90000', 'a=rtcp-fb:108 goog-remb', 'a=rtcp-fb:108 transport-cc', 'a=rtcp-fb:108 ccm fir', 'a=rtcp-fb:108 nack', 'a=rtcp-fb:108 nack pli',
  'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:109 rtx/90000', 'a=fmtp:109 apt=108', 'a=rtpmap:118 red/90000', 'a=rtpmap:119 rtx/90000', 'a=fmtp:119 apt=118', 'a=rtpmap:120 ulpfec/90000',
  'a=rtpmap:49 flexfec-03/90000', 'a=rtcp-fb:49 goog-remb', 'a=rtcp-fb:49 transport-cc', 'a=fmtp:49 repair-window=10000000',
  'a=ssrc-group:FID 856363260 1374702946', 'a=ssrc-group:FEC-FR 856363260 1377900488',
  'a=ssrc:856363260 cname:H2vOqHX/O5GNCYFR', 'a=ssrc:1374702946 cname:H2vOqHX/O5GNCYFR', 'a=ssrc:1377900488 cname:H2vOqHX/O5GNCYFR', '',
].join('\r\n');

// what werift answers to it (the H.264 payload type only, no rtcp-fb)
const WERIFT_ANSWER = ['v=0', 'o=- 1 0 IN IP4 10.250.0.2', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=video 9 UDP/TLS/RTP/SAVPF 108', 'c=IN IP4 10.250.0.2', 'a=recvonly', 'a=mid:0', 'a=rtcp-mux',
  'a=rtpmap:108 H264/90000', 'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', ''].join('\r\n');

describe("Chromium's offer", () => {
  it('names the payload types and the repair SSRCs', () => {
    expect(parseChromiumOffer(CHROMIUM_OFFER)).toEqual({
      mediaPayloadType: 108,
      mediaSsrc: 856363260,
      rtx: { payloadType: 109, ssrc: 1374702946 },
      red: { payloadType: 118, ulpfecPayloadType: 120 },
      flexfec: { payloadType: 49, ssrc: 1377900488 },
    });
  });

  it('reaches werift without rtcp-fb lines, everything else kept', () => {
    const stripped = offerForWerift(CHROMIUM_OFFER);
    expect(stripped).not.toContain('a=rtcp-fb:');
    expect(stripped.split('\r\n').filter((l) => l !== '')).toEqual(CHROMIUM_OFFER.split('\r\n').filter((l) => l !== '' && !l.startsWith('a=rtcp-fb:')));
  });

  it('is refused, naming why, without H.264 packetization-mode 1 or a video section', () => {
    expect(() => parseChromiumOffer(CHROMIUM_OFFER.replace('packetization-mode=1', 'packetization-mode=0'))).toThrow(/no H264 payload type with packetization-mode=1/);
    expect(() => parseChromiumOffer('v=0\r\n')).toThrow(ChromiumSdpError);
  });

  it('never throws anything but ChromiumSdpError on any text', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom(...CHROMIUM_OFFER.split('\r\n')))), (lines) => {
        try {
          parseChromiumOffer(lines.join('\r\n'));
        } catch (error) {
          expect(error).toBeInstanceOf(ChromiumSdpError);
        }
      }),
    );
  });
});

describe('the answer to Chromium', () => {
  const offered = parseChromiumOffer(CHROMIUM_OFFER);

  it('accepts RTX and NACK feedback for a NACK receiver, transport-cc for its BWE', () => {
    const answer = chromiumAnswer(WERIFT_ANSWER, offered, { nack: true, ulpfec: false, flexfec: false, transportCc: true });
    expect(answer).toContain('m=video 9 UDP/TLS/RTP/SAVPF 108 109\r\n');
    for (const line of ['a=rtpmap:109 rtx/90000', 'a=fmtp:109 apt=108', 'a=rtcp-fb:108 nack', 'a=rtcp-fb:108 nack pli', 'a=rtcp-fb:108 transport-cc']) expect(answer).toContain(`${line}\r\n`);
    expect(answer).not.toContain('ulpfec');
  });

  it('accepts FlexFEC-03 or RED + ULPFEC for an FEC receiver, without NACK', () => {
    const flex = chromiumAnswer(WERIFT_ANSWER, offered, { nack: false, ulpfec: false, flexfec: true, transportCc: false });
    expect(flex).toContain('m=video 9 UDP/TLS/RTP/SAVPF 108 49\r\n');
    expect(flex).not.toContain('a=rtcp-fb:108 nack\r\n');
    const red = chromiumAnswer(WERIFT_ANSWER, offered, { nack: false, ulpfec: true, flexfec: false, transportCc: false });
    expect(red).toContain('m=video 9 UDP/TLS/RTP/SAVPF 108 118 120\r\n');
  });

  it("refuses a werift answer that did not accept Chromium's H.264", () => {
    expect(() => chromiumAnswer(WERIFT_ANSWER.replace('SAVPF 108', 'SAVPF 0'), offered, { nack: true, ulpfec: false, flexfec: false, transportCc: false })).toThrow(/does not accept payload type 108/);
  });
});
