/**
 * Send history for retransmission: the serialized media packets of one SSRC that left the pacer,
 * keyed by 16-bit sequence number, bounded by packet count and by age. Eviction is oldest-first
 * (send order) from a FIFO beside the map, O(1) per packet (iterating a Map from its front after
 * many deletions is slow in V8, so the map is only used for lookup).
 */
import { Fifo } from '../../shared/fifo.ts';

/** Bounds of a packet history. */
export interface PacketHistoryOptions {
  /** most packets kept; older ones are evicted first. Keep below 32768 so 16-bit keys stay unique. */
  maxPackets: number;
  /** packets sent longer ago than this are evicted, ms */
  maxAgeMs: number;
}

/** One stored packet. */
export interface HistoryEntry {
  /** uint16 */
  readonly seq: number;
  /** the serialized RTP packet as sent */
  readonly packet: Uint8Array;
  /** first send time, ms */
  readonly sentMs: number;
  /** last retransmission time, ms; undefined until retransmitted */
  lastRetransmitMs: number | undefined;
  /** retransmissions so far */
  retransmissions: number;
}

/** Bounded store of sent packets. */
export class PacketHistory {
  private readonly entries = new Map<number, HistoryEntry>();
  /** entries in send order; may hold entries since replaced in the map (skipped on eviction) */
  private readonly order = new Fifo<HistoryEntry>();

  constructor(private readonly options: PacketHistoryOptions) {
    if (!(options.maxPackets >= 1) || !(options.maxAgeMs >= 0)) {
      throw new RangeError(`PacketHistory needs maxPackets >= 1 and maxAgeMs >= 0, got ${options.maxPackets}, ${options.maxAgeMs}`);
    }
  }

  /** Stores a packet sent at `sentMs`; evicts by count and age. A repeated seq replaces the older entry. */
  insert(seq: number, packet: Uint8Array, sentMs: number): void {
    const key = seq & 0xffff;
    const entry: HistoryEntry = { seq: key, packet, sentMs, lastRetransmitMs: undefined, retransmissions: 0 };
    this.entries.set(key, entry);
    this.order.push(entry);
    while (this.entries.size > this.options.maxPackets) this.evictOldest();
    this.evictOlderThan(sentMs);
  }

  /** The entry for `seq` if still held at `nowMs` (age eviction runs first). */
  get(seq: number, nowMs: number): HistoryEntry | undefined {
    this.evictOlderThan(nowMs);
    return this.entries.get(seq & 0xffff);
  }

  /** Evicts packets older than maxAgeMs at `nowMs`. */
  evictOlderThan(nowMs: number): void {
    const cutoff = nowMs - this.options.maxAgeMs;
    for (let e = this.order.peek(); e !== undefined && e.sentMs < cutoff; e = this.order.peek()) this.evictOldest();
  }

  /** Packets held. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops the oldest FIFO entry, and its map entry unless a newer packet took its seq. */
  private evictOldest(): void {
    const e = this.order.shift();
    if (e !== undefined && this.entries.get(e.seq) === e) this.entries.delete(e.seq);
  }
}
