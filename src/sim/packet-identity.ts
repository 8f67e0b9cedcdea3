/**
 * Which packet a sent RTP packet is, independent of the sequence numbers a run happened to give
 * it: a media packet by its sequence number, a retransmission by the media packet it carries and
 * how many times that one was retransmitted before, an FEC packet by the first media packet of its
 * block and its index in the block. Built from a sender's records (its packet and fec-block
 * records, in the order written), so a replay can give a packet the fate the real link gave the
 * same packet even where the replay's RTX or FEC sequence numbers run differently (a NACK sent a
 * little later, one FEC packet more after a controller update).
 */
import type { LabRecord } from '../shared/records.ts';

const keyOf = (ssrc: number, seq: number): string => `${ssrc >>> 0}:${seq}`;

export class PacketIdentities {
  /** per SSRC:seq, the identities of the packets sent with it, oldest first (a wrap reuses a seq) */
  private readonly byKey = new Map<string, string[]>();
  private readonly fecByKey = new Map<string, string>();
  private readonly retransmissions = new Map<number, number>();

  /** Takes one sender record (others are ignored). */
  observe(record: LabRecord): void {
    if (record.type === 'fec-block' && record.side === 'sender') {
      const first = record.mediaSeqs[0];
      record.fecSeqs.forEach((seq, i) => this.fecByKey.set(keyOf(record.fecSsrc, seq), `fec:${first}:${i}`));
      return;
    }
    if (record.type !== 'packet' || record.side !== 'sender' || record.dir !== 'out') return;
    const key = keyOf(record.ssrc, record.seq);
    let identity: string;
    if (record.kind === 'rtx' && record.originalSeq !== undefined) {
      const n = this.retransmissions.get(record.originalSeq) ?? 0;
      this.retransmissions.set(record.originalSeq, n + 1);
      identity = `rtx:${record.originalSeq}:${n}`;
    } else if (record.kind === 'fec') {
      identity = this.fecByKey.get(key) ?? `fec-seq:${key}`;
      this.fecByKey.delete(key);
    } else identity = `${record.kind}:${record.seq}`;
    const list = this.byKey.get(key);
    if (list) list.push(identity);
    else this.byKey.set(key, [identity]);
  }

  /** The identity of the next packet sent as SSRC:seq not taken yet; undefined when no record names it. */
  take(ssrc: number, seq: number): string | undefined {
    return this.byKey.get(keyOf(ssrc, seq))?.shift();
  }
}
