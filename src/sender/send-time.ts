/**
 * Send-time header extensions written as a packet leaves the pacer: the transport-wide sequence
 * number (uint16, one per packet in release order) and abs-send-time (6.18 fixed-point seconds
 * of the ms release time). Remembers where a media packet's extensions lie so its retransmission
 * (RTX copies the header, extensions included, at the same offsets) can be stamped anew.
 */
import { absSendTimeFromUs, writeAbsSendTime } from '../shared/rtp/extensions/abs-send-time.ts';
import { writeTransportWideSeq } from '../shared/rtp/extensions/transport-wide-seq.ts';

/** Where a packet's send-time header extensions lie (byte offsets of their values); undefined = absent. */
export interface SendTimeOffsets {
  transportSeq: number | undefined;
  absSendTime: number | undefined;
}

/** Media sequence numbers whose offsets are remembered for RTX (oldest forgotten first). */
const OFFSETS_KEPT = 4096;

/** Stamps released packets; one per sender (it owns the transport-wide sequence). */
export class SendTimeStamper {
  /** transport-wide sequence number (uint16) of the next packet */
  private nextTransportSeq = 0;
  private readonly offsetsBySeq = new Map<number, SendTimeOffsets>();

  /** Writes the extensions `offsets` locates into `packet` (in place), for release at `sentMs` (ms); returns the transport-wide seq written, if any. */
  stamp(packet: Uint8Array, offsets: SendTimeOffsets, sentMs: number): number | undefined {
    let transportSeq: number | undefined;
    if (offsets.transportSeq !== undefined) {
      transportSeq = this.nextTransportSeq;
      writeTransportWideSeq(packet, offsets.transportSeq, transportSeq);
      this.nextTransportSeq = (this.nextTransportSeq + 1) & 0xffff;
    }
    if (offsets.absSendTime !== undefined) writeAbsSendTime(packet, offsets.absSendTime, absSendTimeFromUs(sentMs * 1000));
    return transportSeq;
  }

  /** Remembers the offsets of media packet `seq` (uint16) for its retransmissions. */
  remember(seq: number, offsets: SendTimeOffsets): void {
    this.offsetsBySeq.delete(seq);
    this.offsetsBySeq.set(seq, offsets);
    if (this.offsetsBySeq.size > OFFSETS_KEPT) this.offsetsBySeq.delete(this.offsetsBySeq.keys().next().value!);
  }

  /** The offsets of media packet `seq`, if still remembered. */
  offsetsOf(seq: number): SendTimeOffsets | undefined {
    return this.offsetsBySeq.get(seq);
  }
}
