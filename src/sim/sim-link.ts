/**
 * One direction of the link in a virtual-time session. Datagrams go in as the transport would
 * send them (RTP or RTCP); the link sees them as the wire does: in an IPv4/UDP packet, with the
 * bytes SRTP adds, so its sizes, rate limits and fate records (ssrc/seq parsed from the UDP
 * payload, as the data plane parses them) are those of a real run. Two implementations:
 * - {@link ModelLink}: the native LinkModel, the same C++ the real data plane runs;
 * - `ReplayLink` (replay-link.ts): the fates of a recorded run's fate log, packet by packet.
 */
import { LinkModel } from '../link/model.ts';
import type { LabRecord } from '../shared/records.ts';
import type { LinkModelParams } from '../link/params.ts';

export interface SimLink {
  /** Offers one datagram at `nowMs`. */
  offer(datagram: Uint8Array, nowMs: number): void;
  /** When the next held datagram is due, ms; undefined when none is held. */
  pollTimeout(): number | undefined;
  /** The next datagram due at or before `nowMs`, as the far end's transport takes it; undefined when none. */
  pollRelease(nowMs: number): Uint8Array | undefined;
  /** NDJSON of the fate records finished since the last call (link.ndjson lines). */
  fateText(): string;
  /** Sees each of the sender's records before the packets it names are offered (a replay tells packets apart by them). */
  observe?(record: LabRecord): void;
}

/** IPv4 (20) + UDP (8) header bytes in front of each datagram on the link. */
export const IP_UDP_HEADER_BYTES = 28;
/**
 * Bytes SRTP adds behind each RTP packet (AES_CM_128_HMAC_SHA1_80: a 10-byte tag) and SRTCP
 * behind each RTCP packet (the 4-byte E+index word, then the tag): what werift negotiates.
 */
export const SRTP_TRAILER_BYTES = 10;
export const SRTCP_TRAILER_BYTES = 14;

const isRtcp = (d: Uint8Array): boolean => d.length >= 2 && d[1]! >= 192 && d[1]! <= 223;

/** FNV-1a over `bytes`: stands in for the SRTP tag, so a bit the link corrupted fails the check as SRTP's would. */
function tagOf(bytes: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = IP_UDP_HEADER_BYTES; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h >>> 0;
}

/** Bytes a datagram takes on the link once framed (what `frameDatagram` builds). */
export function framedSize(datagram: Uint8Array): number {
  return IP_UDP_HEADER_BYTES + datagram.length + (isRtcp(datagram) ? SRTCP_TRAILER_BYTES : SRTP_TRAILER_BYTES);
}

/**
 * Frames a datagram for the link: IPv4/UDP header (addresses and ports of a two-host run), the
 * datagram, then the SRTP/SRTCP trailer whose first 4 bytes carry the integrity tag.
 */
export function frameDatagram(datagram: Uint8Array, dir: 'up' | 'down'): Buffer {
  const total = framedSize(datagram);
  const trailer = total - IP_UDP_HEADER_BYTES - datagram.length;
  const packet = Buffer.alloc(total);
  packet[0] = 0x45; // IPv4, 20-byte header
  packet.writeUInt16BE(total, 2);
  packet[8] = 64; // TTL
  packet[9] = 17; // UDP
  const [src, dst] = dir === 'up' ? [1, 2] : [2, 1]; // up: sender → receiver
  packet.set([10, 77, 0, src], 12);
  packet.set([10, 77, 0, dst], 16);
  packet.writeUInt16BE(dir === 'up' ? 40_000 : 40_001, 20);
  packet.writeUInt16BE(dir === 'up' ? 40_001 : 40_000, 22);
  packet.writeUInt16BE(8 + datagram.length + trailer, 24);
  packet.set(datagram, IP_UDP_HEADER_BYTES);
  const end = IP_UDP_HEADER_BYTES + datagram.length;
  packet.writeUInt32BE(tagOf(packet, end), end);
  return packet;
}

/** The datagram inside a framed packet; undefined when its tag no longer matches (the link corrupted it). */
export function unframeDatagram(packet: Uint8Array): Uint8Array | undefined {
  if (packet.length < IP_UDP_HEADER_BYTES + SRTP_TRAILER_BYTES) return undefined;
  const udpBytes = ((packet[24]! << 8) | packet[25]!) - 8;
  // the trailer length follows from the kind of datagram; a corrupted length or kind fails the tag
  const trailer = isRtcp(packet.subarray(IP_UDP_HEADER_BYTES)) ? SRTCP_TRAILER_BYTES : SRTP_TRAILER_BYTES;
  const end = IP_UDP_HEADER_BYTES + udpBytes - trailer;
  if (udpBytes < trailer || end + 4 > packet.length) return undefined;
  const tag = ((packet[end]! << 24) | (packet[end + 1]! << 16) | (packet[end + 2]! << 8) | packet[end + 3]!) >>> 0;
  if (tag !== tagOf(packet, end)) return undefined;
  return packet.subarray(IP_UDP_HEADER_BYTES, end);
}

/** A link direction run by the native LinkModel (µs inside, ms outside). */
export class ModelLink implements SimLink {
  private readonly model: LinkModel;
  /** datagrams released but failing their integrity check (the link corrupted them) */
  discardedCorrupt = 0;

  constructor(seed: number, params: LinkModelParams, private readonly dir: 'up' | 'down') {
    this.model = new LinkModel(seed, params, dir);
  }

  offer(datagram: Uint8Array, nowMs: number): void {
    this.model.offer(frameDatagram(datagram, this.dir), Math.round(nowMs * 1000));
  }

  pollTimeout(): number | undefined {
    const us = this.model.pollTimeout();
    return us === undefined ? undefined : us / 1000;
  }

  pollRelease(nowMs: number): Uint8Array | undefined {
    // the model's due times are fractional µs: a ns of slack so ms → µs rounding never leaves a due packet behind
    const nowUs = nowMs * 1000 + 1e-3;
    for (let r = this.model.pollRelease(nowUs); r !== undefined; r = this.model.pollRelease(nowUs)) {
      const datagram = unframeDatagram(r.data);
      if (datagram) return datagram;
      this.discardedCorrupt++;
    }
    return undefined;
  }

  /** Replaces the parameters from the next packet on (a scenario's timeline). */
  setParams(params: LinkModelParams): void {
    this.model.setParams(params);
  }

  fateText(): string {
    return this.model.fateText();
  }
}
