/**
 * The lab's receiver answering Chromium's offer: which streams Chromium will send (its H.264
 * payload type, RTX with its apt and FID SSRC, RED + ULPFEC, FlexFEC-03 with its FEC-FR SSRC),
 * the offer as werift gets it (no rtcp-fb lines, so werift never NACKs or asks for keyframes by
 * itself: DESIGN §10), and the answer with the lines werift does not write, so libwebrtc sends RTX
 * and FEC and listens to the lab's NACK, PLI and transport-wide feedback.
 */

/** What Chromium's offer says it will send. */
export interface ChromiumOfferedStreams {
  /** the first H.264 payload type with packetization-mode=1 */
  mediaPayloadType: number;
  mediaSsrc?: number;
  rtx?: { payloadType: number; ssrc?: number };
  red?: { payloadType: number; ulpfecPayloadType?: number };
  flexfec?: { payloadType: number; ssrc?: number };
}

export class ChromiumSdpError extends Error {
  constructor(message: string) {
    super(`Chromium's offer: ${message}`);
    this.name = 'ChromiumSdpError';
  }
}

const lineList = (sdp: string): string[] => sdp.split(/\r?\n/).filter((l) => l !== '');

/** Reads the video section of Chromium's offer; throws ChromiumSdpError when it has no H.264 packetization-mode 1. */
export function parseChromiumOffer(sdp: string): ChromiumOfferedStreams {
  const lines = lineList(sdp);
  const video = lines.findIndex((l) => l.startsWith('m=video '));
  if (video < 0) throw new ChromiumSdpError('no video m-section');
  const end = lines.findIndex((l, i) => i > video && l.startsWith('m='));
  const section = lines.slice(video, end < 0 ? undefined : end);
  const rtpmap = new Map<number, string>();
  const fmtp = new Map<number, string>();
  for (const l of section) {
    const map = /^a=rtpmap:(\d+) ([^/]+)\//.exec(l);
    if (map) rtpmap.set(Number(map[1]), map[2]!.toLowerCase());
    const f = /^a=fmtp:(\d+) (.*)$/.exec(l);
    if (f) fmtp.set(Number(f[1]), f[2]!);
  }
  const ptOf = (name: string, where: (pt: number) => boolean = () => true): number | undefined => [...rtpmap].find(([pt, n]) => n === name && where(pt))?.[0];
  const mediaPayloadType = ptOf('h264', (pt) => /packetization-mode=1/.test(fmtp.get(pt) ?? ''));
  if (mediaPayloadType === undefined) throw new ChromiumSdpError('no H264 payload type with packetization-mode=1');
  const groups = section.filter((l) => l.startsWith('a=ssrc-group:')).map((l) => l.slice('a=ssrc-group:'.length).split(' '));
  const fid = groups.find((g) => g[0] === 'FID');
  const fecFr = groups.find((g) => g[0] === 'FEC-FR');
  const firstSsrc = section.map((l) => /^a=ssrc:(\d+) /.exec(l)?.[1]).find((s) => s !== undefined);
  const mediaSsrc = fid?.[1] ?? fecFr?.[1] ?? firstSsrc;
  const rtxPt = ptOf('rtx', (pt) => new RegExp(`(^|;)\\s*apt=${mediaPayloadType}(;|$)`).test(fmtp.get(pt) ?? ''));
  const redPt = ptOf('red');
  const ulpfecPt = ptOf('ulpfec');
  const flexPt = ptOf('flexfec-03');
  return {
    mediaPayloadType,
    ...(mediaSsrc !== undefined ? { mediaSsrc: Number(mediaSsrc) } : {}),
    ...(rtxPt !== undefined ? { rtx: { payloadType: rtxPt, ...(fid?.[2] ? { ssrc: Number(fid[2]) } : {}) } } : {}),
    ...(redPt !== undefined ? { red: { payloadType: redPt, ...(ulpfecPt !== undefined ? { ulpfecPayloadType: ulpfecPt } : {}) } } : {}),
    ...(flexPt !== undefined ? { flexfec: { payloadType: flexPt, ...(fecFr?.[2] ? { ssrc: Number(fecFr[2]) } : {}) } } : {}),
  };
}

/** Chromium's offer without rtcp-fb lines: werift then answers none and runs no feedback loop of its own. */
export function offerForWerift(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return `${lineList(sdp).filter((l) => !l.startsWith('a=rtcp-fb:')).join(eol)}${eol}`;
}

/** What the lab's receiver takes from Chromium. */
export interface ChromiumAnswerWants {
  nack: boolean;
  /** RED + ULPFEC */
  ulpfec: boolean;
  flexfec: boolean;
  transportCc: boolean;
  /** libwebrtc's x-google-start-bitrate, kbit/s */
  startBitrateKbps?: number;
}

/**
 * Adds to werift's answer (one video section accepting the H.264 payload type) the payload types
 * and lines of the repair streams the lab wants, and the codec's rtcp-fb. Throws ChromiumSdpError
 * when werift's answer did not accept Chromium's H.264 payload type.
 */
export function chromiumAnswer(answerSdp: string, offered: ChromiumOfferedStreams, wants: ChromiumAnswerWants): string {
  const eol = answerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = lineList(answerSdp);
  const video = lines.findIndex((l) => l.startsWith('m=video '));
  const pt = offered.mediaPayloadType;
  if (video < 0 || !lines[video]!.split(' ').slice(3).includes(String(pt))) throw new ChromiumSdpError(`werift's answer does not accept payload type ${pt}`);
  const fmtpAt = lines.findIndex((l) => l.startsWith(`a=fmtp:${pt} `));
  const rtpmapAt = lines.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `));
  const after = fmtpAt >= 0 ? fmtpAt : rtpmapAt;
  if (after < 0) throw new ChromiumSdpError(`werift's answer has no a=rtpmap for payload type ${pt}`);
  if (fmtpAt >= 0 && wants.startBitrateKbps !== undefined) lines[fmtpAt] = `${lines[fmtpAt]!};x-google-start-bitrate=${Math.round(wants.startBitrateKbps)}`;
  const added: number[] = [];
  const codecLines = [`a=rtcp-fb:${pt} ccm fir`, `a=rtcp-fb:${pt} nack pli`];
  if (wants.nack) codecLines.push(`a=rtcp-fb:${pt} nack`);
  if (wants.transportCc) codecLines.push(`a=rtcp-fb:${pt} transport-cc`);
  if (wants.nack && offered.rtx) {
    added.push(offered.rtx.payloadType);
    codecLines.push(`a=rtpmap:${offered.rtx.payloadType} rtx/90000`, `a=fmtp:${offered.rtx.payloadType} apt=${pt}`);
  }
  if (wants.ulpfec && offered.red?.ulpfecPayloadType !== undefined) {
    added.push(offered.red.payloadType, offered.red.ulpfecPayloadType);
    codecLines.push(`a=rtpmap:${offered.red.payloadType} red/90000`, `a=rtpmap:${offered.red.ulpfecPayloadType} ulpfec/90000`);
  }
  if (wants.flexfec && offered.flexfec) {
    added.push(offered.flexfec.payloadType);
    codecLines.push(`a=rtpmap:${offered.flexfec.payloadType} flexfec-03/90000`, `a=fmtp:${offered.flexfec.payloadType} repair-window=10000000`);
  }
  const out = [...lines];
  out.splice(after + 1, 0, ...codecLines);
  out[video] = `${out[video]!}${added.map((p) => ` ${p}`).join('')}`;
  return `${out.join(eol)}${eol}`;
}
