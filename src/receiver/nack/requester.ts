/**
 * NACK requester, shaped after libwebrtc's NackRequester: a gap in the sequence numbers is NACKed
 * at once (or after an optional reordering allowance), each missing packet is asked for again
 * about once per RTT up to a retry limit, entries older than a packet-age limit are dropped, and
 * when the list would overflow it is first trimmed up to the newest keyframe and otherwise cleared
 * with a keyframe request. Packets that arrive, or are recovered by FEC or RTX, leave the list.
 *
 * Sans-I/O: `onPacket(seq, nowMs)`, `handleTimeout(nowMs)`, `pollTimeout()`, `pollOutput()`.
 * Sequence numbers are unwrapped once, on entry; outputs carry 16-bit values.
 */
import { NewestSeqUnwrapper } from '../../shared/rtp/seq.ts';
import { Fifo } from '../../shared/fifo.ts';

/** Tuning of the requester; every value is an option, defaults in DEFAULT_NACK_REQUESTER_OPTIONS. */
export interface NackRequesterOptions {
  /** RTT used until `setRtt` is called, ms */
  initialRttMs: number;
  /** lower bound of the retry interval, which is max(RTT, this), ms */
  minRetryIntervalMs: number;
  /** NACKs sent per missing packet before giving up on it */
  maxRetries: number;
  /** missing packets more than this many sequence numbers behind the newest are dropped, packets */
  maxPacketAgeSeqs: number;
  /** most missing packets tracked; beyond it the list is trimmed to a keyframe or cleared, packets */
  maxListSize: number;
  /** reordering allowance: first NACK waits until this many newer packets arrived, packets (0 = at once) */
  reorderWaitPackets: number;
  /** ...or until this long after the gap was seen, whichever is first, ms */
  reorderWaitMaxMs: number;
  /** a packet given up on (retries exhausted or too old) means its frame cannot complete: request a keyframe */
  keyframeOnGiveUp: boolean;
  /** keyframe requests closer together than this are suppressed, ms (0 = never suppressed) */
  minKeyframeRequestIntervalMs: number;
}

/**
 * libwebrtc-like defaults (kMaxNackPackets 1000, kMaxPacketAge 10000, 10 retries, 100 ms RTT).
 * The 20 ms retry floor matches libwebrtc's 20 ms process interval, which bounds its retries the
 * same way; without a floor a veth link's 0.04 ms RTT would turn retries into a NACK storm.
 */
export const DEFAULT_NACK_REQUESTER_OPTIONS: Readonly<NackRequesterOptions> = {
  initialRttMs: 100,
  minRetryIntervalMs: 20,
  maxRetries: 10,
  maxPacketAgeSeqs: 10_000,
  maxListSize: 1000,
  reorderWaitPackets: 0,
  reorderWaitMaxMs: 0,
  keyframeOnGiveUp: true,
  minKeyframeRequestIntervalMs: 0,
};

/** Why missing packets left the list without arriving. */
export type NackDropReason = 'max-retries' | 'too-old' | 'before-keyframe' | 'list-overflow';
/** Why a keyframe was requested. */
export type KeyframeReason = 'list-overflow' | 'gave-up' | 'frame-incomplete';

/** What the requester asks the RTCP sender to do, or reports. */
export type NackRequesterOutput =
  /** send a generic NACK for these 16-bit sequence numbers (in ascending extended order) */
  | { type: 'nack'; seqs: number[]; timeMs: number }
  /** send PLI/FIR */
  | { type: 'keyframe-request'; reason: KeyframeReason; timeMs: number }
  /** these 16-bit sequence numbers are no longer asked for */
  | { type: 'dropped'; seqs: number[]; reason: NackDropReason; timeMs: number };

/** Per-packet flags for `onPacket`. */
export interface PacketFlags {
  /** the packet was recovered (FEC, or RTX arriving through a path that marks it) rather than received */
  recovered?: boolean;
  /** the packet starts a keyframe */
  keyframe?: boolean;
}

interface Entry {
  /** extended seq */
  seq: number;
  createdMs: number;
  /** first NACK once the newest extended seq reaches this */
  sendAtSeq: number;
  /** last NACK time, ms; undefined before the first */
  sentMs: number | undefined;
  retries: number;
  /** false once the entry left the list (the queues below drop such entries lazily) */
  inList: boolean;
  /** the entry's one live mark in the NACK-order queue */
  mark: SentMark | undefined;
}

interface SentMark {
  entry: Entry;
  /** the send this mark stands for; stale once the entry holds a newer mark */
  sentMs: number;
}

/**
 * Decides which missing packets to NACK, when, and when to ask for a keyframe instead.
 * Bookkeeping is O(1) amortised per packet: besides the seq → entry map, three FIFOs hold the
 * entries in seq order (age and keyframe trimming), not yet NACKed (first NACK), and in NACK order
 * (retries come due in the order they were sent).
 */
export class NackRequester {
  private readonly opts: NackRequesterOptions;
  private readonly unwrapper = new NewestSeqUnwrapper();
  /** extended seq → entry */
  private readonly list = new Map<number, Entry>();
  private bySeq = new Fifo<Entry>();
  private pending = new Fifo<Entry>();
  private bySend = new Fifo<SentMark>();
  /** extended seqs of keyframe starts, ascending */
  private keyframes: number[] = [];
  /** extended seqs recovered ahead of the newest received packet */
  private readonly recoveredAhead = new Set<number>();
  private newest: number | undefined;
  private rttMs: number;
  private lastKeyframeRequestMs: number | undefined;
  private readonly out = new Fifo<NackRequesterOutput>();

  constructor(options: Partial<NackRequesterOptions> = {}) {
    this.opts = { ...DEFAULT_NACK_REQUESTER_OPTIONS, ...options };
    this.rttMs = this.opts.initialRttMs;
  }

  /** Updates the RTT, ms. */
  setRtt(rttMs: number): void {
    this.rttMs = rttMs;
  }

  /** Missing packets currently tracked. */
  get listSize(): number {
    return this.list.size;
  }

  /**
   * A media packet (16-bit `seq`) arrived or was recovered at `nowMs`. Returns how many NACKs had
   * been sent for it (0 when it was not missing).
   */
  onPacket(seq: number, nowMs: number, flags: PacketFlags = {}): number {
    return this.onExtendedPacket(this.unwrapper.unwrap(seq), nowMs, flags);
  }

  /**
   * The same for an extended sequence number unwrapped by the caller (the receive chain unwraps
   * each stream once at its edge); a requester is fed one way or the other, never both.
   */
  onExtendedPacket(ext: number, nowMs: number, flags: PacketFlags = {}): number {
    if (this.newest === undefined) {
      this.newest = ext;
      if (flags.keyframe) this.keyframes.push(ext);
      return 0;
    }
    if (ext === this.newest) return 0;
    if (ext < this.newest) {
      const e = this.list.get(ext);
      if (!e) return 0;
      this.remove(e);
      return e.retries;
    }
    if (flags.keyframe) {
      this.keyframes.push(ext);
      const oldest = ext - this.opts.maxPacketAgeSeqs;
      let k = 0;
      while (k < this.keyframes.length && this.keyframes[k]! < oldest) k++;
      if (k > 0) this.keyframes = this.keyframes.slice(k);
    }
    if (flags.recovered) {
      this.recoveredAhead.add(ext);
      return 0;
    }
    this.addMissing(this.newest + 1, ext, nowMs);
    this.newest = ext;
    this.recoveredAhead.delete(ext);
    if (this.pending.length > 0) this.sendDue(nowMs, false);
    return 0;
  }

  /** A frame cannot be completed (reported by the frame assembler): ask for a keyframe. */
  requestKeyframe(nowMs: number, reason: KeyframeReason = 'frame-incomplete'): void {
    if (this.lastKeyframeRequestMs !== undefined && nowMs - this.lastKeyframeRequestMs < this.opts.minKeyframeRequestIntervalMs) return;
    this.lastKeyframeRequestMs = nowMs;
    this.out.push({ type: 'keyframe-request', reason, timeMs: nowMs });
  }

  /** Sends the retries that are due and gives up on packets out of retries. */
  handleTimeout(nowMs: number): void {
    this.sendDue(nowMs, true);
  }

  /** When `handleTimeout` should next run, ms; undefined when nothing is pending. */
  pollTimeout(): number | undefined {
    let next: number | undefined;
    const p = this.livePending();
    if (p) next = p.createdMs + this.opts.reorderWaitMaxMs;
    const m = this.liveSent();
    if (m) {
      const due = m.sentMs + this.retryIntervalMs();
      if (next === undefined || due < next) next = due;
    }
    return next;
  }

  /** Next output, or undefined when drained. */
  pollOutput(): NackRequesterOutput | undefined {
    return this.out.shift();
  }

  private retryIntervalMs(): number {
    return Math.max(this.rttMs, this.opts.minRetryIntervalMs);
  }

  /** Oldest entry not yet NACKed, dropping stale heads. */
  private livePending(): Entry | undefined {
    for (let e = this.pending.peek(); e !== undefined; e = this.pending.peek()) {
      if (e.inList && e.sentMs === undefined) return e;
      this.pending.shift();
    }
    return undefined;
  }

  /** Earliest NACK still standing for an entry in the list, dropping stale heads. */
  private liveSent(): SentMark | undefined {
    for (let m = this.bySend.peek(); m !== undefined; m = this.bySend.peek()) {
      if (m.entry.inList && m.entry.mark === m) return m;
      this.bySend.shift();
    }
    return undefined;
  }

  private remove(e: Entry): void {
    this.list.delete(e.seq);
    e.inList = false;
  }

  private drop(seqs: number[], reason: NackDropReason, nowMs: number): void {
    if (seqs.length === 0) return;
    this.out.push({ type: 'dropped', seqs, reason, timeMs: nowMs });
    if (this.opts.keyframeOnGiveUp && (reason === 'max-retries' || reason === 'too-old')) this.requestKeyframe(nowMs, 'gave-up');
  }

  /** Removes entries older than extended seq `limit` from the old end of the seq order; their 16-bit seqs. */
  private trimOldest(limit: number): number[] {
    const removed: number[] = [];
    for (let e = this.bySeq.peek(); e !== undefined; e = this.bySeq.peek()) {
      if (e.inList) {
        if (e.seq >= limit) break;
        this.remove(e);
        removed.push(e.seq & 0xffff);
      }
      this.bySeq.shift();
    }
    return removed;
  }

  /** Adds extended seqs [start, end) as missing, after age and size housekeeping. */
  private addMissing(start: number, end: number, nowMs: number): void {
    const oldest = end - this.opts.maxPacketAgeSeqs;
    const head = this.bySeq.peek();
    if (head !== undefined && head.seq < oldest) this.drop(this.trimOldest(oldest), 'too-old', nowMs);
    start = Math.max(start, oldest);
    const count = end - start;
    if (count <= 0) return;
    while (this.list.size + count > this.opts.maxListSize && this.removeUntilKeyframe(nowMs)) { /* trimmed */ }
    if (this.list.size + count > this.opts.maxListSize) {
      this.drop(this.trimOldest(Infinity), 'list-overflow', nowMs);
      this.pending = new Fifo();
      this.bySend = new Fifo();
      for (const r of this.recoveredAhead) if (r < end) this.recoveredAhead.delete(r);
      this.requestKeyframe(nowMs, 'list-overflow');
      return;
    }
    for (let s = start; s < end; s++) {
      if (this.recoveredAhead.size > 0 && this.recoveredAhead.delete(s)) continue;
      const e: Entry = { seq: s, createdMs: nowMs, sendAtSeq: s + this.opts.reorderWaitPackets, sentMs: undefined, retries: 0, inList: true, mark: undefined };
      this.list.set(s, e);
      this.bySeq.push(e);
      this.pending.push(e);
    }
  }

  /** Drops missing packets older than the oldest useful keyframe; false when no keyframe helps. */
  private removeUntilKeyframe(nowMs: number): boolean {
    while (this.keyframes.length > 0) {
      const kf = this.keyframes[0]!;
      const removed = this.trimOldest(kf);
      if (removed.length > 0) {
        this.drop(removed, 'before-keyframe', nowMs);
        return true;
      }
      this.keyframes.shift();
    }
    return false;
  }

  /**
   * NACKs what is due at `nowMs`: first NACKs whose reordering allowance is over, and with
   * `byTime` the retries whose interval has passed (giving up on those out of retries). Due
   * checks use the same expressions as pollTimeout, so float times agree.
   */
  private sendDue(nowMs: number, byTime: boolean): void {
    const newest = this.newest ?? 0;
    const batch: Entry[] = [];
    const gaveUp: number[] = [];
    // pending is in seq and creation order: once its head is not due, none after it is
    for (let e = this.livePending(); e !== undefined; e = this.livePending()) {
      if (newest < e.sendAtSeq && nowMs < e.createdMs + this.opts.reorderWaitMaxMs) break;
      this.pending.shift();
      batch.push(e);
    }
    if (byTime) {
      const interval = this.retryIntervalMs();
      for (let m = this.liveSent(); m !== undefined && nowMs >= m.sentMs + interval; m = this.liveSent()) {
        this.bySend.shift();
        m.entry.mark = undefined;
        if (m.entry.retries >= this.opts.maxRetries) {
          this.remove(m.entry);
          gaveUp.push(m.entry.seq & 0xffff);
        } else {
          batch.push(m.entry);
        }
      }
    }
    if (batch.length > 0) {
      batch.sort((a, b) => a.seq - b.seq);
      for (const e of batch) {
        e.sentMs = nowMs;
        e.retries++;
        e.mark = { entry: e, sentMs: nowMs };
        this.bySend.push(e.mark);
      }
      this.out.push({ type: 'nack', seqs: batch.map((e) => e.seq & 0xffff), timeMs: nowMs });
    }
    this.drop(gaveUp, 'max-retries', nowMs);
  }
}
