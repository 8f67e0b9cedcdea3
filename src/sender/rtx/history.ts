/**
 * Send history for retransmission: the serialized media packets of one SSRC that left the pacer,
 * keyed by 16-bit sequence number, bounded by packet count and by age. Eviction is oldest-first
 * (insertion order), O(1) per packet.
 */

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

  constructor(private readonly options: PacketHistoryOptions) {
    if (!(options.maxPackets >= 1) || !(options.maxAgeMs >= 0)) {
      throw new RangeError(`PacketHistory needs maxPackets >= 1 and maxAgeMs >= 0, got ${options.maxPackets}, ${options.maxAgeMs}`);
    }
  }

  /** Stores a packet sent at `sentMs`; evicts by count and age. A repeated seq replaces the older entry. */
  insert(seq: number, packet: Uint8Array, sentMs: number): void {
    const key = seq & 0xffff;
    this.entries.delete(key);
    this.entries.set(key, { seq: key, packet, sentMs, lastRetransmitMs: undefined, retransmissions: 0 });
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
    for (const [key, e] of this.entries) {
      if (e.sentMs >= cutoff) break;
      this.entries.delete(key);
    }
  }

  /** Packets held. */
  get size(): number {
    return this.entries.size;
  }

  private evictOldest(): void {
    const first = this.entries.keys().next();
    if (!first.done) this.entries.delete(first.value);
  }
}
