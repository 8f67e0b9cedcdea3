/**
 * Receiver Report (RFC 3550 §6.4.2, PT 201) and the report block SR and RR share (§6.4.1).
 */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint, RtcpEncodeError } from './errors.ts';
import { RTCP_HEADER_BYTES, RTCP_PT, expectRtcp, readU32, writeRtcpHeader, writeU32 } from './header.ts';

/** Bytes of one report block. */
export const REPORT_BLOCK_BYTES = 24;

/** One reception report block about one source. */
export interface ReportBlock {
  /** SSRC of the source reported on, uint32 */
  ssrc: number;
  /** fraction of packets lost since the last report, in 1/256 units (0..255) */
  fractionLost: number;
  /** cumulative packets lost, signed 24-bit (duplicates can make it negative) */
  cumulativeLost: number;
  /** extended highest sequence number received (cycles << 16 | seq), uint32 */
  extendedHighestSeq: number;
  /** interarrival jitter, RTP timestamp units, uint32 */
  jitter: number;
  /** middle 32 bits of the NTP timestamp of the last SR received (LSR), uint32; 0 if none */
  lastSr: number;
  /** delay since that SR (DLSR), in 1/65536 s, uint32 */
  delaySinceLastSr: number;
}

/** A parsed receiver report. */
export interface ReceiverReport {
  type: 'rr';
  /** SSRC of the packet sender, uint32 */
  ssrc: number;
  reports: ReportBlock[];
  /** profile-specific extension bytes after the report blocks, if any */
  extension?: Uint8Array;
}

/** Reads `count` report blocks starting at `offset`; `end` bounds them (payload end). */
export function readReportBlocks(b: Uint8Array, offset: number, count: number, end: number): RtcpResult<ReportBlock[]> {
  if (offset + count * REPORT_BLOCK_BYTES > end) {
    return rtcpErr('count-mismatch', `${count} report blocks need ${count * REPORT_BLOCK_BYTES} bytes, ${end - offset} left`, offset);
  }
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = offset + i * REPORT_BLOCK_BYTES;
    const lost24 = (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!;
    out.push({
      ssrc: readU32(b, o),
      fractionLost: b[o + 4]!,
      cumulativeLost: lost24 & 0x800000 ? lost24 - 0x1000000 : lost24,
      extendedHighestSeq: readU32(b, o + 8),
      jitter: readU32(b, o + 12),
      lastSr: readU32(b, o + 16),
      delaySinceLastSr: readU32(b, o + 20),
    });
  }
  return rtcpOk(out);
}

/** Writes report blocks at `offset`; throws RtcpEncodeError for out-of-range fields. */
export function writeReportBlocks(buf: Uint8Array, offset: number, reports: readonly ReportBlock[]): void {
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i]!;
    const o = offset + i * REPORT_BLOCK_BYTES;
    checkUint(r.fractionLost, 0xff, 'fractionLost');
    if (!Number.isInteger(r.cumulativeLost) || r.cumulativeLost < -0x800000 || r.cumulativeLost > 0x7fffff) {
      throw new RtcpEncodeError('value-out-of-range', `cumulativeLost=${r.cumulativeLost} outside int24`);
    }
    for (const [k, v] of [['ssrc', r.ssrc], ['extendedHighestSeq', r.extendedHighestSeq], ['jitter', r.jitter],
      ['lastSr', r.lastSr], ['delaySinceLastSr', r.delaySinceLastSr]] as const) checkUint(v, 0xffffffff, k);
    writeU32(buf, o, r.ssrc);
    const lost = r.cumulativeLost & 0xffffff;
    buf[o + 4] = r.fractionLost;
    buf[o + 5] = lost >> 16;
    buf[o + 6] = (lost >> 8) & 0xff;
    buf[o + 7] = lost & 0xff;
    writeU32(buf, o + 8, r.extendedHighestSeq);
    writeU32(buf, o + 12, r.jitter);
    writeU32(buf, o + 16, r.lastSr);
    writeU32(buf, o + 20, r.delaySinceLastSr);
  }
}

/** Checks the block count and a 4-byte-aligned extension; shared by SR and RR encoders. */
export function checkReportsAndExtension(reports: readonly ReportBlock[], extension: Uint8Array | undefined): void {
  if (reports.length > 31) throw new RtcpEncodeError('count-mismatch', `${reports.length} report blocks, at most 31`);
  if (extension && extension.length % 4 !== 0) {
    throw new RtcpEncodeError('bad-length', `extension of ${extension.length} bytes is not a multiple of 4`);
  }
}

/** Parses one RR packet (exactly the packet's bytes, as split from a compound datagram). */
export function parseReceiverReport(bytes: Uint8Array): RtcpResult<ReceiverReport> {
  const h = expectRtcp(bytes, RTCP_PT.RR, undefined, 'RR');
  if (!h.ok) return h;
  const { count, payloadEnd } = h.value;
  if (payloadEnd < RTCP_HEADER_BYTES + 4) return rtcpErr('too-short', 'RR needs its SSRC', 0);
  const blocks = readReportBlocks(bytes, 8, count, payloadEnd);
  if (!blocks.ok) return blocks;
  const rr: ReceiverReport = { type: 'rr', ssrc: readU32(bytes, 4), reports: blocks.value };
  const extStart = 8 + count * REPORT_BLOCK_BYTES;
  if (payloadEnd > extStart) rr.extension = bytes.slice(extStart, payloadEnd);
  return rtcpOk(rr);
}

/** Encodes an RR; throws RtcpEncodeError for out-of-range fields or more than 31 blocks. */
export function encodeReceiverReport(rr: Omit<ReceiverReport, 'type'>): Uint8Array {
  checkUint(rr.ssrc, 0xffffffff, 'ssrc');
  checkReportsAndExtension(rr.reports, rr.extension);
  const ext = rr.extension?.length ?? 0;
  const total = 8 + rr.reports.length * REPORT_BLOCK_BYTES + ext;
  const buf = new Uint8Array(total);
  writeRtcpHeader(buf, 0, rr.reports.length, RTCP_PT.RR, total);
  writeU32(buf, 4, rr.ssrc);
  writeReportBlocks(buf, 8, rr.reports);
  if (rr.extension) buf.set(rr.extension, total - ext);
  return buf;
}
