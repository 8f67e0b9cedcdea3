/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
 * §3.1): transport-layer feedback, PT 205 FMT 15. Packet status chunks (run-length, or status
 * vectors of 14 one-bit or 7 two-bit symbols) followed by receive deltas in 250 µs ticks:
 * one unsigned byte for a small delta, two signed bytes for a large or negative one.
 */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint, RtcpEncodeError } from './errors.ts';
import { RTCP_FMT, RTCP_PT, expectRtcp, readU16, readU32, writeRtcpHeader, writeU16, writeU32 } from './header.ts';

/** Receive-delta tick, µs. */
export const TWCC_DELTA_TICK_US = 250;
/** Reference-time tick, µs (64 ms). */
export const TWCC_REFERENCE_TICK_US = 64_000;

const SYM_NOT_RECEIVED = 0;
const SYM_SMALL = 1;
const SYM_LARGE = 2;
const MAX_RUN = 0x1fff;

/** A parsed transport-wide feedback packet. */
export interface TwccFeedback {
  type: 'twcc';
  /** SSRC of the feedback's sender, uint32 */
  senderSsrc: number;
  /** SSRC of the media source, uint32 */
  mediaSsrc: number;
  /** transport-wide sequence number of the first packet reported on, uint16 */
  baseSeq: number;
  /** reference time, signed 24-bit, in 64 ms ticks */
  referenceTime: number;
  /** feedback packet counter, uint8 (wraps) */
  feedbackCount: number;
  /**
   * One entry per packet from baseSeq on (the packet status count is its length): the receive
   * delta from the previous received packet (the first from the reference time) in 250 µs ticks,
   * an int16; null when the packet was not received.
   */
  deltas: Array<number | null>;
}

function symbolOf(delta: number | null): number {
  if (delta === null) return SYM_NOT_RECEIVED;
  return delta >= 0 && delta <= 0xff ? SYM_SMALL : SYM_LARGE;
}

/** Parses one TWCC packet (exactly the packet's bytes). */
export function parseTwcc(bytes: Uint8Array): RtcpResult<TwccFeedback> {
  const h = expectRtcp(bytes, RTCP_PT.RTPFB, RTCP_FMT.TWCC, 'TWCC feedback');
  if (!h.ok) return h;
  const end = h.value.payloadEnd;
  if (end < 20) return rtcpErr('too-short', 'TWCC feedback needs 20 bytes before its chunks', 0);
  const statusCount = readU16(bytes, 14);
  const ref24 = (bytes[16]! << 16) | (bytes[17]! << 8) | bytes[18]!;
  const symbols = new Uint8Array(statusCount);
  let filled = 0;
  let o = 20;
  while (filled < statusCount) {
    if (o + 2 > end) return rtcpErr('bad-chunk', `status chunks end after ${filled} of ${statusCount} packets`, o);
    const chunk = readU16(bytes, o);
    o += 2;
    if ((chunk & 0x8000) === 0) {
      const sym = (chunk >> 13) & 0x3;
      const run = Math.min(chunk & MAX_RUN, statusCount - filled);
      if (sym === 3 && run > 0) return rtcpErr('bad-symbol', 'run-length chunk with reserved symbol 3', o - 2);
      symbols.fill(sym, filled, filled + run);
      filled += run;
    } else if ((chunk & 0x4000) === 0) {
      for (let i = 13; i >= 0 && filled < statusCount; i--) symbols[filled++] = (chunk >> i) & 1;
    } else {
      for (let i = 6; i >= 0 && filled < statusCount; i--) {
        const sym = (chunk >> (2 * i)) & 0x3;
        if (sym === 3) return rtcpErr('bad-symbol', 'status vector with reserved symbol 3', o - 2);
        symbols[filled++] = sym;
      }
    }
  }
  const deltas: Array<number | null> = new Array<number | null>(statusCount);
  for (let i = 0; i < statusCount; i++) {
    const sym = symbols[i]!;
    if (sym === SYM_NOT_RECEIVED) {
      deltas[i] = null;
    } else if (sym === SYM_SMALL) {
      if (o + 1 > end) return rtcpErr('truncated-deltas', `receive delta ${i} missing`, o);
      deltas[i] = bytes[o++]!;
    } else {
      if (o + 2 > end) return rtcpErr('truncated-deltas', `receive delta ${i} missing`, o);
      const v = readU16(bytes, o);
      deltas[i] = v & 0x8000 ? v - 0x10000 : v;
      o += 2;
    }
  }
  return rtcpOk({
    type: 'twcc',
    senderSsrc: readU32(bytes, 4),
    mediaSsrc: readU32(bytes, 8),
    baseSeq: readU16(bytes, 12),
    referenceTime: ref24 & 0x800000 ? ref24 - 0x1000000 : ref24,
    feedbackCount: bytes[19]!,
    deltas,
  });
}

/**
 * Chooses status chunks greedily: a run-length chunk when the run of equal symbols is at least
 * as long as the vector that could replace it, otherwise a 1-bit vector (14 symbols) when none of
 * them is a large delta, otherwise a 2-bit vector (7 symbols). Vectors past the end are padded
 * with "not received", which the status count tells the reader to ignore.
 */
function encodeChunks(symbols: Uint8Array): number[] {
  const chunks: number[] = [];
  const n = symbols.length;
  let i = 0;
  while (i < n) {
    const sym = symbols[i]!;
    let run = 1;
    while (i + run < n && run < MAX_RUN && symbols[i + run] === sym) run++;
    let oneBit = true;
    for (let k = i; k < Math.min(i + 14, n); k++) if (symbols[k] === SYM_LARGE) { oneBit = false; break; }
    const capacity = oneBit ? 14 : 7;
    if (run >= Math.min(capacity, n - i)) {
      chunks.push((sym << 13) | run);
      i += run;
    } else if (oneBit) {
      let c = 0x8000;
      for (let k = 0; k < 14; k++) if (i + k < n && symbols[i + k] === SYM_SMALL) c |= 1 << (13 - k);
      chunks.push(c);
      i += 14;
    } else {
      let c = 0xc000;
      for (let k = 0; k < 7; k++) if (i + k < n) c |= symbols[i + k]! << (2 * (6 - k));
      chunks.push(c);
      i += 7;
    }
  }
  return chunks;
}

/** Encodes TWCC feedback; throws RtcpEncodeError for a delta outside int16 or other out-of-range fields. */
export function encodeTwcc(fb: Omit<TwccFeedback, 'type'>): Uint8Array {
  checkUint(fb.senderSsrc, 0xffffffff, 'senderSsrc');
  checkUint(fb.mediaSsrc, 0xffffffff, 'mediaSsrc');
  checkUint(fb.baseSeq, 0xffff, 'baseSeq');
  checkUint(fb.feedbackCount, 0xff, 'feedbackCount');
  checkUint(fb.deltas.length, 0xffff, 'packet status count');
  if (!Number.isInteger(fb.referenceTime) || fb.referenceTime < -0x800000 || fb.referenceTime > 0x7fffff) {
    throw new RtcpEncodeError('value-out-of-range', `referenceTime=${fb.referenceTime} outside int24`);
  }
  const symbols = new Uint8Array(fb.deltas.length);
  let deltaBytes = 0;
  fb.deltas.forEach((d, i) => {
    if (d !== null && (!Number.isInteger(d) || d < -0x8000 || d > 0x7fff)) {
      throw new RtcpEncodeError('value-out-of-range', `receive delta ${i}=${d} ticks outside int16`);
    }
    const s = symbolOf(d);
    symbols[i] = s;
    deltaBytes += s;
  });
  const chunks = encodeChunks(symbols);
  const unpadded = 20 + chunks.length * 2 + deltaBytes;
  const total = (unpadded + 3) & ~3;
  const buf = new Uint8Array(total);
  writeRtcpHeader(buf, 0, RTCP_FMT.TWCC, RTCP_PT.RTPFB, total);
  writeU32(buf, 4, fb.senderSsrc);
  writeU32(buf, 8, fb.mediaSsrc);
  writeU16(buf, 12, fb.baseSeq);
  writeU16(buf, 14, fb.deltas.length);
  const ref = fb.referenceTime & 0xffffff;
  buf[16] = ref >> 16;
  buf[17] = (ref >> 8) & 0xff;
  buf[18] = ref & 0xff;
  buf[19] = fb.feedbackCount;
  let o = 20;
  for (const c of chunks) { writeU16(buf, o, c); o += 2; }
  for (const d of fb.deltas) {
    if (d === null) continue;
    if (d >= 0 && d <= 0xff) buf[o++] = d;
    else { writeU16(buf, o, d & 0xffff); o += 2; }
  }
  return buf;
}

/**
 * Turns arrival times into TWCC fields: the reference time (64 ms ticks, floor of the first
 * arrival) and per-packet deltas in 250 µs ticks, rounded from absolute times so rounding never
 * accumulates. `arrivalsUs[i]` is the arrival of packet baseSeq + i in µs, undefined if lost.
 * The reference time is wrapped to int24 as on the wire (readers unwrap it across reports).
 * Returns an error value when a delta does not fit int16 (more than ±8.19 s): split the report.
 */
export function twccDeltasFromArrivals(arrivalsUs: ReadonlyArray<number | undefined>):
  RtcpResult<{ referenceTime: number; deltas: Array<number | null> }> {
  const first = arrivalsUs.find((t) => t !== undefined);
  const referenceTime = first === undefined ? 0 : Math.floor(first / TWCC_REFERENCE_TICK_US);
  const refUs = referenceTime * TWCC_REFERENCE_TICK_US;
  let prevTick = 0;
  const deltas: Array<number | null> = [];
  for (let i = 0; i < arrivalsUs.length; i++) {
    const t = arrivalsUs[i];
    if (t === undefined) { deltas.push(null); continue; }
    const tick = Math.round((t - refUs) / TWCC_DELTA_TICK_US);
    const d = tick - prevTick;
    if (d < -0x8000 || d > 0x7fff) return rtcpErr('value-out-of-range', `delta of packet ${i} is ${d} ticks, outside int16`);
    deltas.push(d);
    prevTick = tick;
  }
  return rtcpOk({ referenceTime: referenceTime & 0x800000 ? (referenceTime & 0xffffff) - 0x1000000 : referenceTime & 0xffffff, deltas });
}

/** Arrival times (µs, on the reference-time clock) of each reported packet; undefined if not received. */
export function twccArrivalsUs(fb: Pick<TwccFeedback, 'referenceTime' | 'deltas'>): Array<number | undefined> {
  let t = fb.referenceTime * TWCC_REFERENCE_TICK_US;
  return fb.deltas.map((d) => {
    if (d === null) return undefined;
    t += d * TWCC_DELTA_TICK_US;
    return t;
  });
}
