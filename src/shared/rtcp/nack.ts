/**
 * Generic NACK (RFC 4585 §6.2.1): transport-layer feedback, PT 205 FMT 1. Each FCI entry is a
 * packet id (PID, uint16) and a bitmask of the 16 following sequence numbers (BLP).
 */
import { type RtcpResult, rtcpErr, rtcpOk, checkUint, RtcpEncodeError } from './errors.ts';
import { RTCP_FMT, RTCP_PT, expectRtcp, readU16, readU32, writeRtcpHeader, writeU16, writeU32 } from './header.ts';

/** A parsed generic NACK. */
export interface GenericNack {
  type: 'nack';
  /** SSRC of the NACK's sender, uint32 */
  senderSsrc: number;
  /** SSRC of the media source whose packets are asked for, uint32 */
  mediaSsrc: number;
  /** lost 16-bit sequence numbers, in FCI order (PID first, then BLP bits low to high) */
  seqs: number[];
}

/** One FCI entry: packet id and bitmask of following lost packets. */
export interface NackPair {
  /** uint16 */
  pid: number;
  /** bit i set: pid + i + 1 is lost too, uint16 */
  blp: number;
}

/**
 * Packs 16-bit sequence numbers into as few PID/BLP pairs as a single pass allows: the list is
 * deduplicated and ordered by forward distance from its first element (so a list that wraps
 * through 65535 stays compact); each pair covers its PID and the 16 numbers after it.
 */
export function packNackPairs(seqs: readonly number[]): NackPair[] {
  if (seqs.length === 0) return [];
  const first = seqs[0]! & 0xffff;
  const offsets = Array.from(new Set(seqs.map((s) => ((s & 0xffff) - first) & 0xffff)));
  offsets.sort((a, b) => a - b);
  const pairs: NackPair[] = [];
  let pidOffset = -1;
  let blp = 0;
  for (const off of offsets) {
    if (pidOffset >= 0 && off - pidOffset <= 16) {
      blp |= 1 << (off - pidOffset - 1);
      continue;
    }
    if (pidOffset >= 0) pairs.push({ pid: (first + pidOffset) & 0xffff, blp });
    pidOffset = off;
    blp = 0;
  }
  pairs.push({ pid: (first + pidOffset) & 0xffff, blp });
  return pairs;
}

/** Expands PID/BLP pairs into the sequence numbers they name, in FCI order. */
export function unpackNackPairs(pairs: readonly NackPair[]): number[] {
  const out: number[] = [];
  for (const { pid, blp } of pairs) {
    out.push(pid);
    for (let i = 0; i < 16; i++) if (blp & (1 << i)) out.push((pid + i + 1) & 0xffff);
  }
  return out;
}

/** Parses one generic NACK packet (exactly the packet's bytes). */
export function parseNack(bytes: Uint8Array): RtcpResult<GenericNack> {
  const h = expectRtcp(bytes, RTCP_PT.RTPFB, RTCP_FMT.NACK, 'generic NACK');
  if (!h.ok) return h;
  const end = h.value.payloadEnd;
  if (end < 16) return rtcpErr('too-short', 'generic NACK needs at least one FCI entry', 0);
  if ((end - 12) % 4 !== 0) return rtcpErr('bad-length', 'NACK FCI is not a whole number of entries', 12);
  const pairs: NackPair[] = [];
  for (let o = 12; o < end; o += 4) pairs.push({ pid: readU16(bytes, o), blp: readU16(bytes, o + 2) });
  return rtcpOk({ type: 'nack', senderSsrc: readU32(bytes, 4), mediaSsrc: readU32(bytes, 8), seqs: unpackNackPairs(pairs) });
}

/** Encodes a generic NACK asking for `seqs` (compactly packed); throws RtcpEncodeError if `seqs` is empty. */
export function encodeNack(nack: Omit<GenericNack, 'type'>): Uint8Array {
  checkUint(nack.senderSsrc, 0xffffffff, 'senderSsrc');
  checkUint(nack.mediaSsrc, 0xffffffff, 'mediaSsrc');
  for (const s of nack.seqs) checkUint(s, 0xffff, 'seq');
  const pairs = packNackPairs(nack.seqs);
  if (pairs.length === 0) throw new RtcpEncodeError('count-mismatch', 'a NACK needs at least one sequence number');
  const total = 12 + pairs.length * 4;
  if (total / 4 - 1 > 0xffff) throw new RtcpEncodeError('bad-length', `${pairs.length} NACK pairs do not fit one packet`);
  const buf = new Uint8Array(total);
  writeRtcpHeader(buf, 0, RTCP_FMT.NACK, RTCP_PT.RTPFB, total);
  writeU32(buf, 4, nack.senderSsrc);
  writeU32(buf, 8, nack.mediaSsrc);
  pairs.forEach((p, i) => {
    writeU16(buf, 12 + i * 4, p.pid);
    writeU16(buf, 14 + i * 4, p.blp);
  });
  return buf;
}
