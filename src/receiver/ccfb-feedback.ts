/**
 * RFC 8888 congestion control feedback on the receiving side, sans-I/O: every RTP packet goes in
 * with its SSRC, RTP sequence number and arrival time (every SSRC that arrives is reported: media,
 * RTX, FlexFEC); every `intervalMs` (and when the stretch waiting grows to `maxPacketsPerReport`)
 * out comes one feedback packet with a report block per SSRC, from its first sequence number not
 * yet reported to its newest received, each received (ATO from the report time) or not. The same
 * interval semantics as the transport-wide builder (transport-feedback.ts): a packet that arrives
 * after the report that called it lost is not reported again.
 *
 * The report timestamp is the receiver's own clock (the pipeline's ms) in 16.16 seconds, not
 * wall-clock NTP: the sender uses only differences between arrivals.
 */
import { CCFB_MAX_REPORTS, ccfbAtoOf, ccfbReportTime, encodeCcfb, type CcfbMetric, type CcfbReportBlock } from '../shared/rtcp/ccfb.ts';
import { NewestSeqUnwrapper } from '../shared/rtp/seq.ts';

export interface CcfbFeedbackOptions {
  /** our RTCP sender SSRC */
  senderSsrc: number;
  /** time between two reports, ms (RFC 8888 leaves it to the congestion controller: about once per frame to once per RTT) */
  intervalMs: number;
  /**
   * a report carries at most this many metric blocks, all its SSRCs together (2 bytes each; a
   * longer stretch goes in several reports); at most 16384 per SSRC whatever this says
   */
  maxPacketsPerReport: number;
}

export const DEFAULT_CCFB_FEEDBACK = { intervalMs: 50, maxPacketsPerReport: 500 } as const;

/** One SSRC's packets not yet reported. */
interface StreamState {
  unwrapper: NewestSeqUnwrapper;
  /** arrival ms and ECN codepoint by extended RTP sequence number */
  arrivals: Map<number, { arrivalMs: number; ecn: number }>;
  /** first extended sequence number the next report covers */
  nextBase: number | undefined;
  newest: number | undefined;
}

export class CcfbFeedbackBuilder {
  /** by SSRC, in the order first seen (the order of the report blocks) */
  private readonly streams = new Map<number, StreamState>();
  private dueMs: number | undefined;
  /** reports built so far */
  reports = 0;

  constructor(private readonly o: CcfbFeedbackOptions) {}

  /** One packet of stream `ssrc` (uint32) with RTP sequence number `seq` (uint16) arrived at `nowMs`; `ecn`: its ECN codepoint, 2 bits (0 = not ECT, unknown here). */
  onPacket(ssrc: number, seq: number, nowMs: number, ecn = 0): void {
    let s = this.streams.get(ssrc);
    if (!s) {
      s = { unwrapper: new NewestSeqUnwrapper(), arrivals: new Map(), nextBase: undefined, newest: undefined };
      this.streams.set(ssrc, s);
    }
    const ext = s.unwrapper.unwrap(seq);
    if (s.nextBase !== undefined && ext < s.nextBase) return; // already reported (as lost)
    s.nextBase ??= ext;
    if (!s.arrivals.has(ext)) s.arrivals.set(ext, { arrivalMs: nowMs, ecn: ecn & 0x3 });
    if (s.newest === undefined || ext > s.newest) s.newest = ext;
    this.dueMs ??= nowMs + this.o.intervalMs;
    // a long stretch unreported: report now rather than build one oversized packet
    if (this.waiting() >= this.o.maxPacketsPerReport) this.dueMs = nowMs;
  }

  /** When the next report is due, ms; undefined while nothing waits to be reported. */
  pollTimeout(): number | undefined {
    return this.dueMs;
  }

  /** The reports due at `nowMs` (serialized RTCP packets), oldest stretch first. */
  handleTimeout(nowMs: number): Uint8Array[] {
    if (this.dueMs === undefined || nowMs < this.dueMs) return [];
    const { reportTimestamp, reportMs } = ccfbReportTime(nowMs);
    const budgetPerReport = Math.max(1, this.o.maxPacketsPerReport);
    const out: Uint8Array[] = [];
    for (;;) {
      let budget = budgetPerReport;
      const blocks: CcfbReportBlock[] = [];
      for (const [ssrc, s] of this.streams) {
        if (budget === 0) break;
        if (s.nextBase === undefined || s.newest === undefined || s.nextBase > s.newest) continue;
        const base = s.nextBase;
        const last = Math.min(s.newest, base + Math.min(budget, CCFB_MAX_REPORTS) - 1);
        const metrics: Array<CcfbMetric | null> = [];
        for (let ext = base; ext <= last; ext++) {
          const a = s.arrivals.get(ext);
          s.arrivals.delete(ext);
          metrics.push(a === undefined ? null : { ecn: a.ecn, ato: ccfbAtoOf(reportMs, a.arrivalMs) });
        }
        s.nextBase = last + 1;
        budget -= metrics.length;
        blocks.push({ ssrc, beginSeq: base & 0xffff, metrics });
      }
      if (blocks.length === 0) break;
      out.push(encodeCcfb({ senderSsrc: this.o.senderSsrc, blocks, reportTimestamp }));
      this.reports++;
    }
    this.dueMs = undefined;
    return out;
  }

  /** Sequence numbers the next reports would cover, all SSRCs together. */
  private waiting(): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.nextBase !== undefined && s.newest !== undefined) n += s.newest - s.nextBase + 1;
    return n;
  }
}
