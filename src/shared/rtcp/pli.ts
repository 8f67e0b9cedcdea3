/** Picture Loss Indication (RFC 4585 §6.3.1): payload-specific feedback, PT 206 FMT 1, no FCI. */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint } from './errors.ts';
import { RTCP_FMT, RTCP_PT, expectRtcp, readU32, writeRtcpHeader, writeU32 } from './header.ts';

/** A parsed PLI. */
export interface PictureLossIndication {
  type: 'pli';
  /** SSRC of the PLI's sender, uint32 */
  senderSsrc: number;
  /** SSRC of the media source that should send a keyframe, uint32 */
  mediaSsrc: number;
}

/** Parses one PLI packet (exactly the packet's bytes); FCI bytes, if any, are ignored. */
export function parsePli(bytes: Uint8Array): RtcpResult<PictureLossIndication> {
  const h = expectRtcp(bytes, RTCP_PT.PSFB, RTCP_FMT.PLI, 'PLI');
  if (!h.ok) return h;
  if (h.value.payloadEnd < 12) return rtcpErr('too-short', 'PLI needs 12 bytes', 0);
  return rtcpOk({ type: 'pli', senderSsrc: readU32(bytes, 4), mediaSsrc: readU32(bytes, 8) });
}

/** Encodes a PLI (12 bytes). */
export function encodePli(pli: Omit<PictureLossIndication, 'type'>): Uint8Array {
  checkUint(pli.senderSsrc, 0xffffffff, 'senderSsrc');
  checkUint(pli.mediaSsrc, 0xffffffff, 'mediaSsrc');
  const buf = new Uint8Array(12);
  writeRtcpHeader(buf, 0, RTCP_FMT.PLI, RTCP_PT.PSFB, 12);
  writeU32(buf, 4, pli.senderSsrc);
  writeU32(buf, 8, pli.mediaSsrc);
  return buf;
}
