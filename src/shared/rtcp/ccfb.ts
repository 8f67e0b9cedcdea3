/**
 * RTP Control Protocol feedback for congestion control (RFC 8888 §3.1): transport-layer
 * feedback, PT 205 FMT 11. After the sender's SSRC come report blocks, one per RTP stream: its
 * SSRC, begin_seq, num_reports, then one 16-bit metric block per sequence number from begin_seq
 * (R: received, ECN: 2 bits, ATO: arrival time offset, 13 bits of 1/1024 s before the report
 * timestamp), zero-padded to 32 bits. The packet ends with the report timestamp: the middle 32
 * bits of an NTP timestamp (16.16 seconds).
 */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint, RtcpEncodeError } from './errors.ts';
import { RTCP_FMT, RTCP_PT, expectRtcp, readU16, readU32, writeRtcpHeader, writeU16, writeU32 } from './header.ts';

/** ATO units per second (the field counts 1/1024 s). */
export const CCFB_ATO_PER_SECOND = 1024;
/** Largest ATO that is a time, 1/1024 s (8189/1024 ≈ 7.997 s). */
export const CCFB_ATO_MAX = 0x1ffd;
/** ATO of a packet received but whose arrival time offset is not known. */
export const CCFB_ATO_UNAVAILABLE = 0x1ffe;
/** ATO of a packet received more than CCFB_ATO_MAX before the report timestamp (over-range). */
export const CCFB_ATO_OVERRANGE = 0x1fff;
/** Report-timestamp units per second (16.16 NTP: 1/65536 s). */
export const CCFB_TIMESTAMP_PER_SECOND = 65536;
/** Most metric blocks one report block may carry (RFC 8888: a quarter of the sequence space). */
export const CCFB_MAX_REPORTS = 16384;

/** Bytes of the fixed part: RTCP header and the sender's SSRC, then the report timestamp at the end. */
const HEAD_BYTES = 8;
const TIMESTAMP_BYTES = 4;
/** SSRC, begin_seq and num_reports of a report block. */
const BLOCK_HEAD_BYTES = 8;
/** The RTCP length field counts at most 65536 words. */
const MAX_PACKET_BYTES = 0x10000 * 4;

/** One packet reported as received. */
export interface CcfbMetric {
  /** the ECN codepoint it arrived with, 2 bits (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE) */
  ecn: number;
  /**
   * arrival time offset before the report timestamp, 1/1024 s, 13 bits; CCFB_ATO_UNAVAILABLE and
   * CCFB_ATO_OVERRANGE are not times
   */
  ato: number;
}

/** What one report block says of one RTP stream. */
export interface CcfbReportBlock {
  /** SSRC of the RTP stream reported on, uint32 */
  ssrc: number;
  /** RTP sequence number of the first packet reported on, uint16 */
  beginSeq: number;
  /** one per sequence number from beginSeq on (wrapping at 2^16), at most 16384; null = not received */
  metrics: Array<CcfbMetric | null>;
}

/** A parsed RFC 8888 congestion control feedback packet. */
export interface CcfbFeedback {
  type: 'ccfb';
  /** SSRC of the feedback's sender, uint32 */
  senderSsrc: number;
  blocks: CcfbReportBlock[];
  /** when the report was made: the middle 32 bits of an NTP timestamp, 1/65536 s, uint32 (wraps every 18.2 h) */
  reportTimestamp: number;
}

/** Parses one CCFB packet (exactly the packet's bytes). Metric bits of a packet not received are ignored. */
export function parseCcfb(bytes: Uint8Array): RtcpResult<CcfbFeedback> {
  const h = expectRtcp(bytes, RTCP_PT.RTPFB, RTCP_FMT.CCFB, 'CCFB feedback');
  if (!h.ok) return h;
  const end = h.value.payloadEnd;
  if (end < HEAD_BYTES + TIMESTAMP_BYTES) return rtcpErr('too-short', 'CCFB needs 12 bytes: header, sender SSRC, report timestamp', 0);
  const blocksEnd = end - TIMESTAMP_BYTES;
  const blocks: CcfbReportBlock[] = [];
  let o = HEAD_BYTES;
  while (o < blocksEnd) {
    if (o + BLOCK_HEAD_BYTES > blocksEnd) return rtcpErr('bad-length', `report block ${blocks.length} needs 8 bytes, ${blocksEnd - o} left`, o);
    const ssrc = readU32(bytes, o);
    const beginSeq = readU16(bytes, o + 4);
    const count = readU16(bytes, o + 6);
    if (count > CCFB_MAX_REPORTS) return rtcpErr('value-out-of-range', `report block ${blocks.length}: num_reports ${count} > ${CCFB_MAX_REPORTS}`, o + 6);
    const bodyBytes = (count * 2 + 3) & ~3;
    if (o + BLOCK_HEAD_BYTES + bodyBytes > blocksEnd) {
      return rtcpErr('bad-length', `report block ${blocks.length}: ${count} metric blocks run past the report timestamp`, o);
    }
    const metrics: Array<CcfbMetric | null> = new Array<CcfbMetric | null>(count);
    for (let i = 0; i < count; i++) {
      const m = readU16(bytes, o + BLOCK_HEAD_BYTES + 2 * i);
      metrics[i] = m & 0x8000 ? { ecn: (m >> 13) & 0x3, ato: m & 0x1fff } : null;
    }
    blocks.push({ ssrc, beginSeq, metrics });
    o += BLOCK_HEAD_BYTES + bodyBytes;
  }
  return rtcpOk({ type: 'ccfb', senderSsrc: readU32(bytes, 4), blocks, reportTimestamp: readU32(bytes, blocksEnd) });
}

/** Encodes CCFB; throws RtcpEncodeError for out-of-range fields or a packet past the RTCP length limit. */
export function encodeCcfb(fb: Omit<CcfbFeedback, 'type'>): Uint8Array {
  checkUint(fb.senderSsrc, 0xffffffff, 'senderSsrc');
  checkUint(fb.reportTimestamp, 0xffffffff, 'reportTimestamp');
  let total = HEAD_BYTES + TIMESTAMP_BYTES;
  for (const b of fb.blocks) {
    checkUint(b.ssrc, 0xffffffff, 'ssrc');
    checkUint(b.beginSeq, 0xffff, 'beginSeq');
    checkUint(b.metrics.length, CCFB_MAX_REPORTS, 'num_reports');
    total += BLOCK_HEAD_BYTES + ((b.metrics.length * 2 + 3) & ~3);
  }
  if (total > MAX_PACKET_BYTES) throw new RtcpEncodeError('value-out-of-range', `CCFB of ${total} bytes exceeds the RTCP length limit`);
  const buf = new Uint8Array(total);
  writeRtcpHeader(buf, 0, RTCP_FMT.CCFB, RTCP_PT.RTPFB, total);
  writeU32(buf, 4, fb.senderSsrc);
  let o = HEAD_BYTES;
  for (const b of fb.blocks) {
    writeU32(buf, o, b.ssrc);
    writeU16(buf, o + 4, b.beginSeq);
    writeU16(buf, o + 6, b.metrics.length);
    b.metrics.forEach((m, i) => {
      if (m === null) return; // R = 0: ECN and ATO are zero
      checkUint(m.ecn, 0x3, `metric ${i} ecn`);
      checkUint(m.ato, 0x1fff, `metric ${i} ato`);
      writeU16(buf, o + BLOCK_HEAD_BYTES + 2 * i, 0x8000 | (m.ecn << 13) | m.ato);
    });
    o += BLOCK_HEAD_BYTES + ((b.metrics.length * 2 + 3) & ~3);
  }
  writeU32(buf, o, fb.reportTimestamp);
  return buf;
}

/**
 * The report timestamp for a report made at `nowMs` (the receiver's clock, ms): the 16.16 value
 * (wrapped to uint32 for the wire) and the time it stands for, ms, which ATOs are measured
 * against so that the timestamp's own rounding does not add to theirs.
 */
export function ccfbReportTime(nowMs: number): { reportTimestamp: number; reportMs: number } {
  const ticks = Math.round((nowMs * CCFB_TIMESTAMP_PER_SECOND) / 1000);
  const wrapped = ticks % 0x1_0000_0000;
  return { reportTimestamp: wrapped < 0 ? wrapped + 0x1_0000_0000 : wrapped, reportMs: (ticks * 1000) / CCFB_TIMESTAMP_PER_SECOND };
}

/**
 * The ATO of a packet that arrived at `arrivalMs`, reported at `reportMs` (same clock, ms):
 * rounded to 1/1024 s (so within 1000/2048 ≈ 0.49 ms), 0 for an arrival after the report time,
 * CCFB_ATO_OVERRANGE past CCFB_ATO_MAX.
 */
export function ccfbAtoOf(reportMs: number, arrivalMs: number): number {
  const ato = Math.round(((reportMs - arrivalMs) * CCFB_ATO_PER_SECOND) / 1000);
  if (!(ato >= 0)) return 0;
  return ato > CCFB_ATO_MAX ? CCFB_ATO_OVERRANGE : ato;
}

/** The arrival time an ATO stands for: `reportMs` − ATO, ms; undefined for an unavailable or over-range ATO. */
export function ccfbArrivalMs(reportMs: number, ato: number): number | undefined {
  if (ato > CCFB_ATO_MAX) return undefined;
  return reportMs - (ato * 1000) / CCFB_ATO_PER_SECOND;
}
