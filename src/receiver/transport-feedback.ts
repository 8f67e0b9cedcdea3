/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01)
 * on the receiving side, sans-I/O: every RTP packet carrying a transport-wide sequence number goes
 * in with its arrival time; every `intervalMs` (and when a report would grow past
 * `maxPacketsPerReport`) out comes one feedback packet reporting each sequence number from the
 * first not yet reported to the newest received, as received (its arrival delta) or not. A packet
 * that arrives after the report that called it lost is not reported again (libwebrtc does the same
 * outside its small reordering window).
 */
import { encodeTwcc, twccDeltasFromArrivals } from '../shared/rtcp/twcc.ts';
import { NewestSeqUnwrapper } from '../shared/rtp/seq.ts';

export interface TransportFeedbackOptions {
  /** our RTCP sender SSRC */
  senderSsrc: number;
  /** the media SSRC the feedback names (any of the sender's; libwebrtc puts the media one) */
  mediaSsrc: number;
  /** time between two reports, ms (libwebrtc: 50–250 ms, 100 by default; the draft suggests once per frame or so) */
  intervalMs: number;
  /** a report covers at most this many sequence numbers (a longer stretch goes in several) */
  maxPacketsPerReport: number;
}

export const DEFAULT_TRANSPORT_FEEDBACK = { intervalMs: 50, maxPacketsPerReport: 500 } as const;

export class TransportFeedbackBuilder {
  private readonly unwrapper = new NewestSeqUnwrapper();
  /** arrival µs by extended transport sequence number, not yet reported */
  private readonly arrivals = new Map<number, number>();
  /** first extended sequence number the next report covers */
  private nextBase: number | undefined;
  private newest: number | undefined;
  private dueMs: number | undefined;
  private feedbackCount = 0;
  /** reports built so far */
  reports = 0;

  constructor(private readonly o: TransportFeedbackOptions) {}

  /** One packet with transport-wide sequence number `seq` (uint16) arrived at `nowMs`. */
  onPacket(seq: number, nowMs: number): void {
    const ext = this.unwrapper.unwrap(seq);
    if (this.nextBase !== undefined && ext < this.nextBase) return; // already reported (as lost)
    this.nextBase ??= ext;
    if (!this.arrivals.has(ext)) this.arrivals.set(ext, Math.round(nowMs * 1000));
    if (this.newest === undefined || ext > this.newest) this.newest = ext;
    this.dueMs ??= nowMs + this.o.intervalMs;
    // a long stretch unreported: report now rather than build one oversized packet
    if (this.newest - this.nextBase + 1 >= this.o.maxPacketsPerReport) this.dueMs = nowMs;
  }

  /** When the next report is due, ms; undefined while nothing waits to be reported. */
  pollTimeout(): number | undefined {
    return this.dueMs;
  }

  /** The reports due at `nowMs` (serialized RTCP packets), oldest stretch first. */
  handleTimeout(nowMs: number): Uint8Array[] {
    if (this.dueMs === undefined || nowMs < this.dueMs) return [];
    const out: Uint8Array[] = [];
    while (this.nextBase !== undefined && this.newest !== undefined && this.nextBase <= this.newest) {
      const base = this.nextBase;
      const last = Math.min(this.newest, base + this.o.maxPacketsPerReport - 1);
      const arrivalsUs: (number | undefined)[] = [];
      for (let ext = base; ext <= last; ext++) {
        arrivalsUs.push(this.arrivals.get(ext));
        this.arrivals.delete(ext);
      }
      this.nextBase = last + 1;
      const fields = twccDeltasFromArrivals(arrivalsUs);
      // a delta past ±8 s (a stall): the stretch is dropped rather than reported wrong
      if (!fields.ok) continue;
      out.push(encodeTwcc({
        senderSsrc: this.o.senderSsrc, mediaSsrc: this.o.mediaSsrc, baseSeq: base & 0xffff,
        referenceTime: fields.value.referenceTime, feedbackCount: this.feedbackCount, deltas: fields.value.deltas,
      }));
      this.feedbackCount = (this.feedbackCount + 1) & 0xff;
      this.reports++;
    }
    this.dueMs = undefined;
    return out;
  }
}
