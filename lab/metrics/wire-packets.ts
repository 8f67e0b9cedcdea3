/**
 * The packets the sender put on the wire, each joined with its fate on the link (link.ndjson, up
 * direction). Pure.
 *
 * - A packet is one (SSRC, uint16 seq) sent by the sender (`side sender, dir out`); sends of the
 *   same SSRC/seq less than {@link REPEAT_WINDOW_MS} after its first send are repeats of the same
 *   packet, later ones (after a sequence-number wrap) are a new packet. Its kind is the sender's
 *   record kind: a ULPFEC packet on the media SSRC is `fec` because the sender says so.
 * - Any later record naming an SSRC/seq (fate, receiver arrival, NACK) belongs to the newest packet
 *   sent no later than {@link RECORD_SLACK_MS} after the record's time (the clock is shared, so
 *   sends come first); a record older than every send goes to the first.
 * - Fate of the FIRST transmission: the earliest non-duplicate fate record of the packet. It is
 *   dropped when that record has a drop reason and every duplicate copy of it (same `id`, flag
 *   `duplicate`) was dropped as well: a delivered copy means the packet got through.
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { PacketKind, PacketRecord } from '../../src/shared/records.ts';

/** Sends of one SSRC/seq closer together than this (ms) are the same packet. */
export const REPEAT_WINDOW_MS = 2000;
/** A record may carry a time this much (ms) before the send it belongs to. */
export const RECORD_SLACK_MS = 50;

/** The link's verdict on a packet's first transmission. */
export interface FirstFate {
  /** CLOCK_MONOTONIC ms the packet entered the link (the drop time when dropped) */
  enqueueMs: number;
  dropped: boolean;
  /** drop reason of the first transmission (loss, queue, mtu, shutdown) */
  reason?: string;
}

/** One packet the sender sent. Sizes in bytes, times CLOCK_MONOTONIC ms. */
export interface SentPacket {
  ssrc: number;
  /** uint16 */
  seq: number;
  kind: PacketKind;
  /** first send */
  sentMs: number;
  /** RTP size of the first send */
  size: number;
  /** sends of this packet (1 = sent once) */
  sends: number;
  rtpTimestamp?: number;
  /** RTX: the media seq it carries */
  originalSeq?: number;
  /** undefined when the fate log has no record of it */
  fate?: FirstFate;
}

const keyOf = (ssrc: number, seq: number): string => `${ssrc >>> 0}/${seq & 0xffff}`;

/** The sender's packets by SSRC/seq, with the link's fates. */
export class SentPacketIndex {
  private readonly byKey = new Map<string, SentPacket[]>();
  private readonly list: SentPacket[] = [];

  /** `senderOut`: the sender's outgoing packet records; `fates`: the fate log (null: none). */
  constructor(senderOut: readonly PacketRecord[], fates: readonly LinkFateRecord[] | null) {
    const ordered = [...senderOut].sort((a, b) => a.timeMs - b.timeMs);
    for (const record of ordered) {
      const key = keyOf(record.ssrc, record.seq);
      const occurrences = this.byKey.get(key) ?? [];
      const last = occurrences[occurrences.length - 1];
      if (last !== undefined && record.timeMs - last.sentMs < REPEAT_WINDOW_MS) {
        last.sends += 1;
        continue;
      }
      const packet: SentPacket = { ssrc: record.ssrc >>> 0, seq: record.seq & 0xffff, kind: record.kind, sentMs: record.timeMs, size: record.size, sends: 1 };
      if (typeof record.rtpTimestamp === 'number') packet.rtpTimestamp = record.rtpTimestamp;
      if (typeof record.originalSeq === 'number') packet.originalSeq = record.originalSeq;
      occurrences.push(packet);
      this.byKey.set(key, occurrences);
      this.list.push(packet);
    }
    if (fates !== null) this.joinFates(fates);
  }

  private joinFates(fates: readonly LinkFateRecord[]): void {
    const copiesById = new Map<number, LinkFateRecord[]>();
    for (const fate of fates) {
      if (fate.dir !== 'up' || fate.duplicate !== true) continue;
      copiesById.set(fate.id, [...(copiesById.get(fate.id) ?? []), fate]);
    }
    for (const fate of fates) {
      if (fate.dir !== 'up' || fate.duplicate === true || fate.ssrc === undefined || fate.seq === undefined) continue;
      const packet = this.resolve(fate.ssrc, fate.seq, fate.enqueueMs);
      if (packet === undefined || (packet.fate !== undefined && packet.fate.enqueueMs <= fate.enqueueMs)) continue;
      const copies = copiesById.get(fate.id) ?? [];
      const dropped = fate.drop !== undefined && copies.every((copy) => copy.drop !== undefined);
      packet.fate = { enqueueMs: fate.enqueueMs, dropped, ...(fate.drop !== undefined ? { reason: fate.drop } : {}) };
    }
  }

  /** The packet a record of SSRC/seq at `atMs` belongs to (see the module doc). */
  resolve(ssrc: number, seq: number, atMs: number): SentPacket | undefined {
    const occurrences = this.byKey.get(keyOf(ssrc, seq));
    if (occurrences === undefined) return undefined;
    let chosen = occurrences[0];
    for (const packet of occurrences) if (packet.sentMs <= atMs + RECORD_SLACK_MS) chosen = packet;
    return chosen;
  }

  /** The packet of SSRC/seq whose first send is nearest to `atMs` (for records written before the send). */
  nearest(ssrc: number, seq: number, atMs: number): SentPacket | undefined {
    const occurrences = this.byKey.get(keyOf(ssrc, seq));
    if (occurrences === undefined) return undefined;
    let best = occurrences[0];
    for (const packet of occurrences) if (Math.abs(packet.sentMs - atMs) < Math.abs(best!.sentMs - atMs)) best = packet;
    return best;
  }

  /** Every packet, in first-send order. */
  all(): readonly SentPacket[] {
    return this.list;
  }
}

