import type { MalformedRtcpPacket, RtcpPacket } from '../shared/rtcp/compound.ts';

/** What asked for a keyframe. */
export type KeyframeRequestSource = 'pli' | 'fir';

/**
 * Which PLI and FIR packets ask this sender's media stream for a keyframe (sans-I/O; one per
 * sender, shared by the plain path and the protection chain so they never disagree).
 * - A PLI counts when its media source is our media SSRC (RFC 4585 §6.3.1).
 * - A FIR counts when one of its entries names our media SSRC with a command sequence number
 *   not seen last from that requester: RFC 5104 §4.3.1.2 has the requester repeat the same
 *   number when it resends a request it fears was lost, and the repeat must not cost a second IDR.
 */
export class KeyframeRequestFilter {
  /** last FIR command sequence number per requester SSRC */
  private readonly lastFirSeq = new Map<number, number>();

  constructor(private readonly mediaSsrc: number) {}

  /** The requests in one parsed compound datagram, in order. */
  requestsIn(packets: readonly (RtcpPacket | MalformedRtcpPacket)[]): KeyframeRequestSource[] {
    const media = this.mediaSsrc >>> 0;
    const requests: KeyframeRequestSource[] = [];
    for (const packet of packets) {
      if (packet.type === 'pli' && packet.mediaSsrc >>> 0 === media) requests.push('pli');
      if (packet.type !== 'fir') continue;
      const entry = packet.entries.find((e) => e.ssrc >>> 0 === media);
      if (entry === undefined || this.lastFirSeq.get(packet.senderSsrc) === entry.seqNr) continue;
      this.lastFirSeq.set(packet.senderSsrc, entry.seqNr);
      requests.push('fir');
    }
    return requests;
  }
}
