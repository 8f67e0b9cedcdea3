/**
 * Full Intra Request (RFC 5104 §4.3.1): payload-specific feedback, PT 206 FMT 4. The common
 * "media source" field is 0; each FCI entry names a target SSRC and a command sequence number.
 */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint, RtcpEncodeError } from './errors.ts';
import { RTCP_FMT, RTCP_PT, expectRtcp, readU32, writeRtcpHeader, writeU32 } from './header.ts';

/** One FIR request. */
export interface FirEntry {
  /** SSRC of the media sender asked for a decoder refresh, uint32 */
  ssrc: number;
  /** command sequence number, uint8; incremented for each new request, repeated on resend */
  seqNr: number;
}

/** A parsed FIR. */
export interface FullIntraRequest {
  type: 'fir';
  /** SSRC of the FIR's sender, uint32 */
  senderSsrc: number;
  entries: FirEntry[];
}

/** Parses one FIR packet (exactly the packet's bytes). */
export function parseFir(bytes: Uint8Array): RtcpResult<FullIntraRequest> {
  const h = expectRtcp(bytes, RTCP_PT.PSFB, RTCP_FMT.FIR, 'FIR');
  if (!h.ok) return h;
  const end = h.value.payloadEnd;
  if (end < 20) return rtcpErr('too-short', 'FIR needs at least one 8-byte FCI entry', 0);
  if ((end - 12) % 8 !== 0) return rtcpErr('bad-length', 'FIR FCI is not a whole number of 8-byte entries', 12);
  const entries: FirEntry[] = [];
  for (let o = 12; o < end; o += 8) entries.push({ ssrc: readU32(bytes, o), seqNr: bytes[o + 4]! });
  return rtcpOk({ type: 'fir', senderSsrc: readU32(bytes, 4), entries });
}

/** Encodes a FIR; throws RtcpEncodeError for out-of-range fields or no entries. */
export function encodeFir(fir: Omit<FullIntraRequest, 'type'>): Uint8Array {
  checkUint(fir.senderSsrc, 0xffffffff, 'senderSsrc');
  if (fir.entries.length === 0 || fir.entries.length > 8190) {
    throw new RtcpEncodeError('count-mismatch', `FIR needs 1..8190 entries, got ${fir.entries.length}`);
  }
  const total = 12 + fir.entries.length * 8;
  const buf = new Uint8Array(total);
  writeRtcpHeader(buf, 0, RTCP_FMT.FIR, RTCP_PT.PSFB, total);
  writeU32(buf, 4, fir.senderSsrc);
  writeU32(buf, 8, 0);
  fir.entries.forEach((e, i) => {
    checkUint(e.ssrc, 0xffffffff, 'ssrc');
    checkUint(e.seqNr, 0xff, 'seqNr');
    writeU32(buf, 12 + i * 8, e.ssrc);
    buf[16 + i * 8] = e.seqNr;
  });
  return buf;
}
