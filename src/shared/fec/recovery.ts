/**
 * XOR erasure recovery shared by the ULPFEC and FlexFEC decoders (sans-I/O, no clock).
 *
 * Holds received and recovered media packets of one SSRC and the FEC packets whose protected
 * packets are not all known yet. Whenever an FEC packet has exactly one protected packet
 * missing, that packet is rebuilt from the parity and the others; a rebuilt packet may complete
 * another FEC packet, so recovery iterates until nothing changes. Sequence numbers are
 * unwrapped to extended numbers at the edge; everything older than `windowPackets` behind the
 * newest sequence number seen is evicted, so memory stays bounded and a stale FEC packet can never
 * be combined with packets of a later sequence-number cycle.
 */
import { isRtpLayoutError, readRtpLayout, RTP_FIXED_HEADER_BYTES, writeU16, writeU32 } from './rtp-fields.ts';
import { allocParityRegion, xorBody } from './parity.ts';

/** One FEC packet, parsed into what recovery needs. */
export interface ParsedFec {
  /** uint16 sequence numbers of the media packets it protects. */
  readonly protectedSeqs: readonly number[];
  /** Parity of RTP bytes 0..1 (uint16). */
  readonly firstTwoBytes: number;
  /** Parity of the timestamps (uint32). */
  readonly timestamp: number;
  /** Parity of (length − 12) (uint16). */
  readonly lengthRecovery: number;
  /** Parity of the bytes after the fixed header; its length bounds recoverable packets. */
  readonly payload: Uint8Array;
}

/** Bounds of the recovery store. */
export interface RecoveryOptions {
  /** SSRC (uint32) of the protected media stream; recovered packets carry it. */
  readonly ssrc: number;
  /** Packets older than this many sequence numbers behind the newest are evicted (default 1024). */
  readonly windowPackets?: number;
  /** At most this many pending FEC packets are kept; the oldest go first (default 256). */
  readonly maxPendingFec?: number;
}

interface PendingFec {
  readonly fec: ParsedFec;
  readonly extSeqs: number[];
  readonly lowestExtSeq: number;
}

/** Counters of what the store did. */
export interface RecoveryStats {
  /** Media packets rebuilt from FEC. */
  recovered: number;
  /** Rebuilds rejected because the result was not a consistent RTP packet. */
  rejected: number;
}

/** Media and FEC state of one protected SSRC. */
export class RecoveryStore {
  readonly stats: RecoveryStats = { recovered: 0, rejected: 0 };
  private readonly ssrc: number;
  private readonly windowPackets: number;
  private readonly maxPendingFec: number;
  private readonly media = new Map<number, Uint8Array>();
  private readonly pending = new Set<PendingFec>();
  private readonly pendingBySeq = new Map<number, PendingFec[]>();
  private newestExtSeq: number | undefined;
  private lowestKeptExtSeq = 0;

  constructor(options: RecoveryOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.windowPackets = Math.max(64, Math.min(30000, options.windowPackets ?? 1024));
    this.maxPendingFec = Math.max(1, options.maxPendingFec ?? 256);
  }

  /** Media packets currently held (received or recovered). */
  get mediaCount(): number {
    return this.media.size;
  }

  /** FEC packets waiting for more media. */
  get pendingFecCount(): number {
    return this.pending.size;
  }

  /** Adds a received media packet (uint16 `seq`); returns packets recovered thanks to it. */
  addMedia(seq: number, packet: Uint8Array): Buffer[] {
    const extSeq = this.unwrap(seq);
    if (extSeq < this.lowestKeptExtSeq || this.media.has(extSeq)) return [];
    this.media.set(extSeq, packet);
    const recovered: Buffer[] = [];
    this.afterMediaKnown(extSeq, recovered);
    return recovered;
  }

  /** Adds an FEC packet; returns packets recovered thanks to it. */
  addFec(fec: ParsedFec): Buffer[] {
    if (fec.protectedSeqs.length === 0) return [];
    const extSeqs = fec.protectedSeqs.map((seq) => this.unwrap(seq));
    let lowestExtSeq = Infinity;
    for (const extSeq of extSeqs) lowestExtSeq = Math.min(lowestExtSeq, extSeq);
    if (lowestExtSeq < this.lowestKeptExtSeq) return [];
    const entry: PendingFec = { fec, extSeqs, lowestExtSeq };
    const recovered: Buffer[] = [];
    const outcome = this.tryRecover(entry, recovered);
    if (typeof outcome === 'number') this.afterMediaKnown(outcome, recovered);
    else if (outcome === 'keep') {
      this.pending.add(entry);
      for (const extSeq of extSeqs) {
        const list = this.pendingBySeq.get(extSeq);
        if (list === undefined) this.pendingBySeq.set(extSeq, [entry]);
        else list.push(entry);
      }
      this.limitPending();
    }
    return recovered;
  }

  private afterMediaKnown(firstExtSeq: number, recovered: Buffer[]): void {
    const work = [firstExtSeq];
    while (work.length > 0) {
      const extSeq = work.pop()!;
      const entries = this.pendingBySeq.get(extSeq);
      if (entries === undefined) continue;
      for (const entry of [...entries]) {
        if (!this.pending.has(entry)) continue;
        const outcome = this.tryRecover(entry, recovered);
        if (outcome === 'keep') continue;
        this.dropPending(entry);
        if (typeof outcome === 'number') work.push(outcome);
      }
    }
  }

  /**
   * 'keep' while two or more protected packets are missing; otherwise the entry is spent:
   * the extended sequence number it recovered, or 'done' (nothing missing, or a bad rebuild).
   */
  private tryRecover(entry: PendingFec, recovered: Buffer[]): number | 'done' | 'keep' {
    let missing: number | undefined;
    for (const extSeq of entry.extSeqs) {
      if (this.media.has(extSeq)) continue;
      if (missing !== undefined) return 'keep';
      missing = extSeq;
    }
    if (missing === undefined) return 'done';
    const packet = this.rebuild(entry, missing);
    if (packet === undefined) {
      this.stats.rejected++;
      return 'done';
    }
    this.stats.recovered++;
    this.media.set(missing, packet);
    recovered.push(packet);
    return missing;
  }

  private rebuild(entry: PendingFec, missingExtSeq: number): Buffer | undefined {
    const { fec } = entry;
    let firstTwoBytes = fec.firstTwoBytes;
    let timestamp = fec.timestamp;
    let bodyLength = fec.lengthRecovery;
    const others: Uint8Array[] = [];
    for (const extSeq of entry.extSeqs) {
      if (extSeq === missingExtSeq) continue;
      const other = this.media.get(extSeq)!;
      others.push(other);
      firstTwoBytes ^= (other[0]! << 8) | other[1]!;
      timestamp = (timestamp ^ ((other[4]! << 24) | (other[5]! << 16) | (other[6]! << 8) | other[7]!)) >>> 0;
      bodyLength ^= (other.length - RTP_FIXED_HEADER_BYTES) & 0xffff;
    }
    if (bodyLength > fec.payload.length) return undefined;
    const region = allocParityRegion(RTP_FIXED_HEADER_BYTES, bodyLength);
    region.bytes.set(fec.payload.subarray(0, bodyLength));
    for (const other of others) {
      xorBody(region, other, Math.min(bodyLength, other.length - RTP_FIXED_HEADER_BYTES));
    }
    const packet = region.buffer;
    packet[0] = 0x80 | ((firstTwoBytes >> 8) & 0x3f);
    packet[1] = firstTwoBytes & 0xff;
    writeU16(packet, 2, missingExtSeq & 0xffff);
    writeU32(packet, 4, timestamp);
    writeU32(packet, 8, this.ssrc);
    return isRtpLayoutError(readRtpLayout(packet)) ? undefined : packet;
  }

  private dropPending(entry: PendingFec): void {
    if (!this.pending.delete(entry)) return;
    for (const extSeq of entry.extSeqs) {
      const list = this.pendingBySeq.get(extSeq);
      if (list === undefined) continue;
      const index = list.indexOf(entry);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this.pendingBySeq.delete(extSeq);
    }
  }

  private limitPending(): void {
    while (this.pending.size > this.maxPendingFec) {
      const oldest = this.pending.values().next().value;
      if (oldest === undefined) break;
      this.dropPending(oldest);
    }
  }

  /** Extended sequence number of uint16 `seq`; advances the window when it is newer. */
  private unwrap(seq: number): number {
    if (this.newestExtSeq === undefined) {
      this.newestExtSeq = seq;
      this.lowestKeptExtSeq = seq - this.windowPackets;
      return seq;
    }
    const delta = ((seq - this.newestExtSeq) << 16) >> 16; // signed 16-bit distance
    const extSeq = this.newestExtSeq + delta;
    if (delta > 0) {
      this.newestExtSeq = extSeq;
      this.evictBefore(extSeq - this.windowPackets);
    }
    return extSeq;
  }

  private evictBefore(cutoff: number): void {
    if (cutoff <= this.lowestKeptExtSeq) return;
    if (cutoff - this.lowestKeptExtSeq <= this.media.size * 2) {
      for (let extSeq = this.lowestKeptExtSeq; extSeq < cutoff; extSeq++) this.media.delete(extSeq);
    } else {
      for (const extSeq of this.media.keys()) if (extSeq < cutoff) this.media.delete(extSeq);
    }
    this.lowestKeptExtSeq = cutoff;
    for (const entry of this.pending) if (entry.lowestExtSeq < cutoff) this.dropPending(entry);
  }
}
