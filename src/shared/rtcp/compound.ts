/**
 * Compound RTCP datagrams (RFC 3550 §6.1): split into packets by their length fields, parse the
 * types known here, pass the rest through as raw bytes. Framing errors (a length running past the
 * datagram, a wrong version) fail the whole datagram; a known packet whose body is bad is kept as
 * `malformed` so the rest of the datagram is still used.
 */
import { type RtcpError, type RtcpResult, rtcpErr, rtcpOk } from './errors.ts';
import { RTCP_FMT, RTCP_PT, readRtcpHeader } from './header.ts';
import { type SenderReport, parseSenderReport, encodeSenderReport } from './sr.ts';
import { type ReceiverReport, parseReceiverReport, encodeReceiverReport } from './rr.ts';
import { type GenericNack, parseNack, encodeNack } from './nack.ts';
import { type PictureLossIndication, parsePli, encodePli } from './pli.ts';
import { type FullIntraRequest, parseFir, encodeFir } from './fir.ts';
import { type TwccFeedback, parseTwcc, encodeTwcc } from './twcc.ts';
import { type CcfbFeedback, parseCcfb, encodeCcfb } from './ccfb.ts';
import { type ReceiverEstimatedMaxBitrate, isRembPacket, parseRemb, encodeRemb } from './remb.ts';

/** A packet of a type not parsed here (SDES, BYE, APP, application layer feedback other than REMB, ...), kept byte for byte. */
export interface RawRtcpPacket {
  type: 'raw';
  packetType: number;
  /** report count or FMT field, 5 bits */
  count: number;
  /** the whole packet, header included */
  bytes: Uint8Array;
}

/** A packet of a known type whose body failed to parse. */
export interface MalformedRtcpPacket {
  type: 'malformed';
  packetType: number;
  count: number;
  bytes: Uint8Array;
  error: RtcpError;
}

/** Any packet a compound datagram can yield. */
export type RtcpPacket =
  | SenderReport | ReceiverReport | GenericNack | PictureLossIndication | FullIntraRequest | TwccFeedback
  | CcfbFeedback | ReceiverEstimatedMaxBitrate | RawRtcpPacket;

/** One packet's place in a datagram, before its body is parsed. */
export interface RtcpPacketSlice {
  packetType: number;
  count: number;
  /** the packet's bytes (a view into the datagram), header and padding included */
  bytes: Uint8Array;
}

/** Splits a datagram into packet slices; fails on the first framing error. */
export function splitCompound(datagram: Uint8Array): RtcpResult<RtcpPacketSlice[]> {
  if (datagram.length === 0) return rtcpErr('too-short', 'empty RTCP datagram', 0);
  const out: RtcpPacketSlice[] = [];
  let o = 0;
  while (o < datagram.length) {
    const h = readRtcpHeader(datagram, o);
    if (!h.ok) return h;
    out.push({ packetType: h.value.packetType, count: h.value.count, bytes: datagram.subarray(o, o + h.value.totalBytes) });
    o += h.value.totalBytes;
  }
  return rtcpOk(out);
}

/** Parses one packet slice by its type; unknown types come back raw. */
export function parseRtcpPacket(slice: RtcpPacketSlice): RtcpPacket | MalformedRtcpPacket {
  const { packetType, count, bytes } = slice;
  let r: RtcpResult<RtcpPacket> | undefined;
  if (packetType === RTCP_PT.SR) r = parseSenderReport(bytes);
  else if (packetType === RTCP_PT.RR) r = parseReceiverReport(bytes);
  else if (packetType === RTCP_PT.RTPFB && count === RTCP_FMT.NACK) r = parseNack(bytes);
  else if (packetType === RTCP_PT.RTPFB && count === RTCP_FMT.TWCC) r = parseTwcc(bytes);
  else if (packetType === RTCP_PT.RTPFB && count === RTCP_FMT.CCFB) r = parseCcfb(bytes);
  else if (packetType === RTCP_PT.PSFB && count === RTCP_FMT.PLI) r = parsePli(bytes);
  else if (packetType === RTCP_PT.PSFB && count === RTCP_FMT.FIR) r = parseFir(bytes);
  // application layer feedback is REMB only when its FCI says so; any other stays raw
  else if (packetType === RTCP_PT.PSFB && count === RTCP_FMT.AFB && isRembPacket(bytes)) r = parseRemb(bytes);
  if (r === undefined) return { type: 'raw', packetType, count, bytes };
  return r.ok ? r.value : { type: 'malformed', packetType, count, bytes, error: r.error };
}

/** Splits and parses a compound datagram. */
export function parseCompound(datagram: Uint8Array): RtcpResult<Array<RtcpPacket | MalformedRtcpPacket>> {
  const slices = splitCompound(datagram);
  if (!slices.ok) return slices;
  return rtcpOk(slices.value.map(parseRtcpPacket));
}

/** Encodes one packet; throws RtcpEncodeError for out-of-range fields. */
export function encodeRtcpPacket(p: RtcpPacket): Uint8Array {
  switch (p.type) {
    case 'sr': return encodeSenderReport(p);
    case 'rr': return encodeReceiverReport(p);
    case 'nack': return encodeNack(p);
    case 'pli': return encodePli(p);
    case 'fir': return encodeFir(p);
    case 'twcc': return encodeTwcc(p);
    case 'ccfb': return encodeCcfb(p);
    case 'remb': return encodeRemb(p);
    case 'raw': return p.bytes;
  }
}

/** Concatenates packets into one compound datagram (callers put SR/RR first where RFC 3550 asks). */
export function encodeCompound(packets: readonly RtcpPacket[]): Uint8Array {
  const parts = packets.map(encodeRtcpPacket);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
