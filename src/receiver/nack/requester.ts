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
import { SeqUnwrapper } from '../../shared/seqnum.ts';
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
  /** send a generic NACK for these 16-bit sequence numbers (ascending) */
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
  sentMs: number | undefined;
  retries: number;
}

/** Decides which missing packets to NACK, when, and when to ask for a keyframe instead. */
export class NackRequester {
  private readonly opts: NackRequesterOptions;
  private readonly unwrapper = new SeqUnwrapper();
  /** extended seq → entry, in ascending seq order (ranges are only ever appended) */
  private readonly list = new Map<number, Entry>();
  /** extended seqs of keyframe starts, ascending */
  private keyframes: number[] = [];
  /** extended seqs recovered ahead of the newest received packet */
  private readonly recoveredAhead = new Set<number>();
  private newest: number | undefined;
  /** no entry in the list is older than this extended seq (skips the age scan while it holds) */
  private oldestBound = Infinity;
  private rttMs: number;
  private unsent = 0;
  private nextTimeout: number | undefined;
  private timeoutDirty = false;
  private lastKeyframeRequestMs: number | undefined;
  private readonly out = new Fifo<NackRequesterOutput>();

  constructor(options: Partial<NackRequesterOptions> = {}) {
    this.opts = { ...DEFAULT_NACK_REQUESTER_OPTIONS, ...options };
    this.rttMs = this.opts.initialRttMs;
  }

  /** Updates the RTT, ms. */
  setRtt(rttMs: number): void {
    this.rttMs = rttMs;
    this.timeoutDirty = true;
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
    const ext = this.unwrapper.unwrap(seq);
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
    if (this.unsent > 0) this.sendBatch(nowMs, false);
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
    this.sendBatch(nowMs, true);
  }

  /** When `handleTimeout` should next run, ms; undefined when nothing is pending. */
  pollTimeout(): number | undefined {
    if (!this.timeoutDirty) return this.nextTimeout;
    const interval = this.retryIntervalMs();
    let next = Infinity;
    for (const e of this.list.values()) {
      const due = e.sentMs === undefined ? e.createdMs + this.opts.reorderWaitMaxMs : e.sentMs + interval;
      if (due < next) next = due;
    }
    this.nextTimeout = next === Infinity ? undefined : next;
    this.timeoutDirty = false;
    return this.nextTimeout;
  }

  /** Next output, or undefined when drained. */
  pollOutput(): NackRequesterOutput | undefined {
    return this.out.shift();
  }

  private retryIntervalMs(): number {
    return Math.max(this.rttMs, this.opts.minRetryIntervalMs);
  }

  private remove(e: Entry): void {
    this.list.delete(e.seq);
    if (e.sentMs === undefined) this.unsent--;
    this.timeoutDirty = true;
  }

  private drop(seqs: number[], reason: NackDropReason, nowMs: number): void {
    if (seqs.length === 0) return;
    this.out.push({ type: 'dropped', seqs, reason, timeMs: nowMs });
    if (this.opts.keyframeOnGiveUp && (reason === 'max-retries' || reason === 'too-old')) this.requestKeyframe(nowMs, 'gave-up');
  }

  /** Adds extended seqs [start, end) as missing, after age and size housekeeping. */
  private addMissing(start: number, end: number, nowMs: number): void {
    const oldest = end - this.opts.maxPacketAgeSeqs;
    if (this.list.size === 0) this.oldestBound = Infinity;
    if (this.oldestBound < oldest) {
      const tooOld: number[] = [];
      this.oldestBound = Infinity;
      for (const e of this.list.values()) {
        if (e.seq >= oldest) { this.oldestBound = e.seq; break; }
        this.remove(e);
        tooOld.push(e.seq & 0xffff);
      }
      this.drop(tooOld, 'too-old', nowMs);
    }
    start = Math.max(start, oldest);
    const count = end - start;
    if (count <= 0) return;
    while (this.list.size + count > this.opts.maxListSize && this.removeUntilKeyframe(nowMs)) { /* trimmed */ }
    if (this.list.size + count > this.opts.maxListSize) {
      const cleared = Array.from(this.list.keys(), (s) => s & 0xffff);
      this.list.clear();
      this.unsent = 0;
      this.timeoutDirty = true;
      this.drop(cleared, 'list-overflow', nowMs);
      for (const r of this.recoveredAhead) if (r < end) this.recoveredAhead.delete(r);
      this.requestKeyframe(nowMs, 'list-overflow');
      return;
    }
    if (this.list.size === 0) this.oldestBound = Infinity;
    this.oldestBound = Math.min(this.oldestBound, start);
    for (let s = start; s < end; s++) {
      if (this.recoveredAhead.size > 0 && this.recoveredAhead.delete(s)) continue;
      this.list.set(s, { seq: s, createdMs: nowMs, sendAtSeq: s + this.opts.reorderWaitPackets, sentMs: undefined, retries: 0 });
      this.unsent++;
    }
    this.timeoutDirty = true;
  }

  /** Drops missing packets older than the oldest useful keyframe; false when no keyframe helps. */
  private removeUntilKeyframe(nowMs: number): boolean {
    while (this.keyframes.length > 0) {
      const kf = this.keyframes[0]!;
      const removed: number[] = [];
      for (const e of this.list.values()) {
        if (e.seq >= kf) break;
        this.remove(e);
        removed.push(e.seq & 0xffff);
      }
      if (removed.length > 0) {
        this.drop(removed, 'before-keyframe', nowMs);
        return true;
      }
      this.keyframes.shift();
    }
    return false;
  }

  /** Collects the entries due now; `byTime` also sends retries and gives up on exhausted ones. */
  private sendBatch(nowMs: number, byTime: boolean): void {
    const newest = this.newest ?? 0;
    const interval = this.retryIntervalMs();
    const seqs: number[] = [];
    const gaveUp: number[] = [];
    for (const e of this.list.values()) {
      if (e.sentMs === undefined) {
        if (newest < e.sendAtSeq && nowMs < e.createdMs + this.opts.reorderWaitMaxMs) continue;
        this.unsent--;
      } else if (!byTime || nowMs < e.sentMs + interval) { // same expression as pollTimeout, so float times agree
        continue;
      } else if (e.retries >= this.opts.maxRetries) {
        this.list.delete(e.seq);
        gaveUp.push(e.seq & 0xffff);
        continue;
      }
      e.sentMs = nowMs;
      e.retries++;
      seqs.push(e.seq & 0xffff);
    }
    if (seqs.length > 0 || gaveUp.length > 0) this.timeoutDirty = true;
    if (seqs.length > 0) this.out.push({ type: 'nack', seqs, timeMs: nowMs });
    this.drop(gaveUp, 'max-retries', nowMs);
  }
}
