/**
 * The SDP lines werift does not write but libwebrtc needs to take the lab's stream apart: the
 * codec's rtcp-fb (NACK, PLI, FIR, transport-cc), RTX with its apt and FID group, RED + ULPFEC,
 * FlexFEC-03 with its FEC-FR group, each recovery stream's SSRC with the media's cname. Only for
 * a Chromium receiver: on werift-to-werift links rtcp-fb lines would make werift NACK by itself
 * (DESIGN §10), and the lab's receiver finds the recovery streams without SDP.
 */

/** What the sender will put on the wire besides plain media (from its protection plan). */
export interface ChromiumOfferStreams {
  /** RTX (RFC 4588) when the sender answers NACKs */
  rtx?: { ssrc: number; payloadType: number };
  /** RED (RFC 2198) carrying media and ULPFEC on the media SSRC */
  red?: { payloadType: number; ulpfecPayloadType: number };
  /** FlexFEC-03 on its own SSRC */
  flexfec?: { ssrc: number; payloadType: number };
  /** rtcp-fb nack: the receiver may ask for retransmissions */
  nack: boolean;
  /** rtcp-fb transport-cc: the receiver sends transport-wide feedback */
  transportCc: boolean;
}

export class ChromiumOfferError extends Error {
  constructor(message: string) {
    super(`cannot write the Chromium offer: ${message}`);
    this.name = 'ChromiumOfferError';
  }
}

/**
 * Adds the lines to werift's offer (one video m-section, one media SSRC). Throws
 * ChromiumOfferError when the offer is not of that shape.
 */
export function chromiumOffer(offerSdp: string, streams: ChromiumOfferStreams): string {
  const eol = offerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = offerSdp.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const mediaLines = lines.map((l, i) => (l.startsWith('m=') ? i : -1)).filter((i) => i >= 0);
  if (mediaLines.length !== 1 || !lines[mediaLines[0]!]!.startsWith('m=video ')) throw new ChromiumOfferError(`expected one video m-section, found ${mediaLines.length} m-lines`);
  // the media payload type: the m-line's only format (werift offers one codec)
  const formats = lines[mediaLines[0]!]!.split(' ').slice(3);
  if (formats.length !== 1 || !/^\d+$/.test(formats[0]!)) throw new ChromiumOfferError(`expected one payload type on the m-line, found "${formats.join(' ')}"`);
  const pt = Number(formats[0]);
  const ssrcLine = lines.find((l) => /^a=ssrc:\d+ cname:/.test(l));
  const cname = ssrcLine?.slice(ssrcLine.indexOf('cname:') + 6);
  const mediaSsrc = ssrcLine ? Number(/^a=ssrc:(\d+)/.exec(ssrcLine)![1]) : undefined;
  if (cname === undefined || mediaSsrc === undefined) throw new ChromiumOfferError('the offer has no a=ssrc:<ssrc> cname: line');
  const fmtpAt = lines.findIndex((l) => l.startsWith(`a=fmtp:${pt} `));
  if (fmtpAt < 0) throw new ChromiumOfferError(`the offer has no a=fmtp line for payload type ${pt}`);

  const payloadTypes: number[] = [];
  const codecLines = [`a=rtcp-fb:${pt} ccm fir`, `a=rtcp-fb:${pt} nack pli`];
  if (streams.nack) codecLines.push(`a=rtcp-fb:${pt} nack`);
  if (streams.transportCc) codecLines.push(`a=rtcp-fb:${pt} transport-cc`);
  const ssrcLines: string[] = [];
  if (streams.rtx) {
    payloadTypes.push(streams.rtx.payloadType);
    codecLines.push(`a=rtpmap:${streams.rtx.payloadType} rtx/90000`, `a=fmtp:${streams.rtx.payloadType} apt=${pt}`);
    ssrcLines.push(`a=ssrc-group:FID ${mediaSsrc} ${streams.rtx.ssrc}`, `a=ssrc:${streams.rtx.ssrc} cname:${cname}`);
  }
  if (streams.red) {
    payloadTypes.push(streams.red.payloadType, streams.red.ulpfecPayloadType);
    codecLines.push(`a=rtpmap:${streams.red.payloadType} red/90000`, `a=rtpmap:${streams.red.ulpfecPayloadType} ulpfec/90000`);
  }
  if (streams.flexfec) {
    payloadTypes.push(streams.flexfec.payloadType);
    codecLines.push(`a=rtpmap:${streams.flexfec.payloadType} flexfec-03/90000`, `a=fmtp:${streams.flexfec.payloadType} repair-window=10000000`);
    ssrcLines.push(`a=ssrc-group:FEC-FR ${mediaSsrc} ${streams.flexfec.ssrc}`, `a=ssrc:${streams.flexfec.ssrc} cname:${cname}`);
  }
  const out = [...lines];
  out.splice(fmtpAt + 1, 0, ...codecLines);
  out[mediaLines[0]!] = `${out[mediaLines[0]!]!}${payloadTypes.map((p) => ` ${p}`).join('')}`;
  const ssrcAt = out.findIndex((l) => /^a=ssrc:\d+ cname:/.test(l));
  out.splice(ssrcAt, 0, ...ssrcLines.filter((l) => l.startsWith('a=ssrc-group')));
  const afterSsrc = out.findIndex((l) => /^a=ssrc:\d+ cname:/.test(l)) + 1;
  out.splice(afterSsrc, 0, ...ssrcLines.filter((l) => !l.startsWith('a=ssrc-group')));
  return `${out.join(eol)}${eol}`;
}
