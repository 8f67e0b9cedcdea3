/** Sender Report (RFC 3550 §6.4.1, PT 200): sender info plus reception report blocks. */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint } from './errors.ts';
import { RTCP_PT, expectRtcp, readU32, writeRtcpHeader, writeU32 } from './header.ts';
import { type ReportBlock, REPORT_BLOCK_BYTES, readReportBlocks, writeReportBlocks, checkReportsAndExtension } from './rr.ts';

/** Bytes of header + SSRC + sender info. */
const SR_FIXED_BYTES = 28;

/** A parsed sender report. */
export interface SenderReport {
  type: 'sr';
  /** SSRC of the sender, uint32 */
  ssrc: number;
  /** NTP timestamp, integer seconds since 1900, uint32 */
  ntpSeconds: number;
  /** NTP timestamp fraction, 1/2^32 s, uint32 */
  ntpFraction: number;
  /** RTP timestamp matching the NTP time, uint32 (media clock units) */
  rtpTimestamp: number;
  /** packets sent since start, uint32 */
  packetCount: number;
  /** payload bytes sent since start, uint32 */
  octetCount: number;
  reports: ReportBlock[];
  /** profile-specific extension bytes after the report blocks, if any */
  extension?: Uint8Array;
}

/** Middle 32 bits of an SR's NTP time: the LSR value a receiver echoes in its report block. */
export function compactNtp(sr: Pick<SenderReport, 'ntpSeconds' | 'ntpFraction'>): number {
  return (((sr.ntpSeconds & 0xffff) << 16) | (sr.ntpFraction >>> 16)) >>> 0;
}

/** Parses one SR packet (exactly the packet's bytes). */
export function parseSenderReport(bytes: Uint8Array): RtcpResult<SenderReport> {
  const h = expectRtcp(bytes, RTCP_PT.SR, undefined, 'SR');
  if (!h.ok) return h;
  const { count, payloadEnd } = h.value;
  if (payloadEnd < SR_FIXED_BYTES) return rtcpErr('too-short', `SR needs ${SR_FIXED_BYTES} bytes, has ${payloadEnd}`, 0);
  const blocks = readReportBlocks(bytes, SR_FIXED_BYTES, count, payloadEnd);
  if (!blocks.ok) return blocks;
  const sr: SenderReport = {
    type: 'sr',
    ssrc: readU32(bytes, 4),
    ntpSeconds: readU32(bytes, 8),
    ntpFraction: readU32(bytes, 12),
    rtpTimestamp: readU32(bytes, 16),
    packetCount: readU32(bytes, 20),
    octetCount: readU32(bytes, 24),
    reports: blocks.value,
  };
  const extStart = SR_FIXED_BYTES + count * REPORT_BLOCK_BYTES;
  if (payloadEnd > extStart) sr.extension = bytes.slice(extStart, payloadEnd);
  return rtcpOk(sr);
}

/** Encodes an SR; throws RtcpEncodeError for out-of-range fields or more than 31 blocks. */
export function encodeSenderReport(sr: Omit<SenderReport, 'type'>): Uint8Array {
  for (const [k, v] of [['ssrc', sr.ssrc], ['ntpSeconds', sr.ntpSeconds], ['ntpFraction', sr.ntpFraction],
    ['rtpTimestamp', sr.rtpTimestamp], ['packetCount', sr.packetCount], ['octetCount', sr.octetCount]] as const) {
    checkUint(v, 0xffffffff, k);
  }
  checkReportsAndExtension(sr.reports, sr.extension);
  const ext = sr.extension?.length ?? 0;
  const total = SR_FIXED_BYTES + sr.reports.length * REPORT_BLOCK_BYTES + ext;
  const buf = new Uint8Array(total);
  writeRtcpHeader(buf, 0, sr.reports.length, RTCP_PT.SR, total);
  writeU32(buf, 4, sr.ssrc);
  writeU32(buf, 8, sr.ntpSeconds);
  writeU32(buf, 12, sr.ntpFraction);
  writeU32(buf, 16, sr.rtpTimestamp);
  writeU32(buf, 20, sr.packetCount);
  writeU32(buf, 24, sr.octetCount);
  writeReportBlocks(buf, SR_FIXED_BYTES, sr.reports);
  if (sr.extension) buf.set(sr.extension, total - ext);
  return buf;
}
