/**
 * Hand-built wire truth for recovery tests: a sender's packets with their link fates, the
 * receiver's arrivals, recoveries, NACKs and events, written the way the real processes write them.
 */
import type { EventRecord, FecBlockRecord, LabRecord, LinkFateRecord, PacketKind, PacketRecord, ReceiverFrameRecord } from '../../src/shared/records.ts';
import { sortRecords, type RunRecords } from '../../lab/metrics/run-records.ts';

export const MEDIA_SSRC = 0x1111;
export const RTX_SSRC = 0x2222;
export const FLEX_SSRC = 0x3333;
/** one-way delay of the synthetic link, ms */
export const DELAY_MS = 20;

/** How the link treats one transmission: delivered, dropped, or dropped/delivered with a duplicate copy. */
export type Fate = 'ok' | 'drop' | { original: 'ok' | 'drop'; copy: 'ok' | 'drop' };

/** Builds the records of one run. */
export class WireBuilder {
  readonly sender: LabRecord[] = [];
  readonly receiver: LabRecord[] = [];
  readonly fates: LinkFateRecord[] = [];
  private nextId = 0;

  /** The sender sends a packet; the link logs its fate; a delivered packet arrives (receiver record) unless `arrive` is false. */
  send(kind: PacketKind, ssrc: number, seq: number, timeMs: number, fate: Fate = 'ok', extra: Partial<PacketRecord> & { arrive?: boolean; receiverKind?: PacketKind } = {}): this {
    const { arrive = true, receiverKind, ...fields } = extra;
    const base = { type: 'packet', ssrc, seq, pt: kind === 'rtx' ? 103 : kind === 'fec' && ssrc === FLEX_SSRC ? 104 : 102, kind, size: 1000, ...fields } as const;
    this.sender.push({ ...base, side: 'sender', dir: 'out', timeMs });
    const id = this.nextId++;
    const fateBase = { type: 'fate', side: 'link', dir: 'up', id, size: 1028, proto: 'udp', ssrc, seq, enqueueMs: timeMs + 0.1 } as const;
    const original = typeof fate === 'string' ? fate : fate.original;
    this.fates.push(original === 'ok' ? { ...fateBase, releaseMs: timeMs + DELAY_MS } : { ...fateBase, drop: 'loss' });
    let delivered = original === 'ok';
    if (typeof fate !== 'string') {
      this.fates.push(fate.copy === 'ok' ? { ...fateBase, duplicate: true, releaseMs: timeMs + DELAY_MS + 1 } : { ...fateBase, duplicate: true, drop: 'queue' });
      delivered ||= fate.copy === 'ok';
    }
    if (delivered && arrive) {
      const arrival = { ...base, kind: receiverKind ?? kind, side: 'receiver', dir: 'in', timeMs: timeMs + DELAY_MS } as PacketRecord;
      if (kind === 'rtx' && fields.originalSeq !== undefined) arrival.originalSeq = fields.originalSeq;
      this.receiver.push(arrival);
    }
    return this;
  }

  /** The receiver rebuilt a media packet. */
  recover(seq: number, by: 'fec' | 'rtx', timeMs: number, rtpTimestamp = 0): this {
    this.receiver.push({ type: 'packet', side: 'receiver', dir: 'in', ssrc: MEDIA_SSRC, seq, pt: 102, kind: 'media', size: 1000, timeMs, rtpTimestamp, recoveredBy: by });
    return this;
  }

  /** The receiver sends a NACK; it reaches the sender DELAY_MS later unless `lost`. */
  nack(seqs: number[], timeMs: number, lost = false): this {
    this.receiver.push({ type: 'feedback', side: 'receiver', dir: 'out', kind: 'nack', timeMs, by: 'lab', seqs });
    if (!lost) this.sender.push({ type: 'feedback', side: 'sender', dir: 'in', kind: 'nack', timeMs: timeMs + DELAY_MS, seqs });
    return this;
  }

  event(side: 'sender' | 'receiver', name: string, timeMs: number, detail: Record<string, unknown> = {}): this {
    (side === 'sender' ? this.sender : this.receiver).push({ type: 'event', side, timeMs, name, detail } as EventRecord);
    return this;
  }

  fecBlock(mediaSeqs: number[], fecSsrc: number, fecSeqs: number[], covers: number[][], timeMs: number, rate255 = 80): this {
    this.sender.push({ type: 'fec-block', side: 'sender', timeMs, ssrc: MEDIA_SSRC, mediaSeqs, fecSsrc, fecSeqs, covers, keyframe: false, rate255 } satisfies FecBlockRecord);
    return this;
  }

  frame(record: Omit<ReceiverFrameRecord, 'type' | 'side'>): this {
    this.receiver.push({ type: 'frame', side: 'receiver', ...record });
    return this;
  }

  records(): RunRecords {
    return sortRecords([...this.sender, ...this.receiver]);
  }
}
