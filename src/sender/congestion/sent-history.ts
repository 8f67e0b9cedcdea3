/**
 * What the sender sent (send time, size), found again by what a feedback packet names: the
 * transport-wide sequence number (transport-wide feedback) or the RTP stream's SSRC and sequence
 * number (RFC 8888 feedback, which reports every SSRC it receives: media, RTX, FEC). Each packet
 * reported comes back arrived (with its arrival time on the receiver's clock) or lost, the same
 * `PacketResult` for either format. Sans-I/O; times ms. The TWCC reference time (24 bits of 64 ms
 * ticks, ≈ 12 days) and the CCFB report timestamp (32 bits of 1/65536 s, ≈ 18 h) are unwrapped
 * against the previous report.
 */
import { twccArrivalsUs, TWCC_REFERENCE_TICK_US, type TwccFeedback } from '../../shared/rtcp/twcc.ts';
import { ccfbArrivalMs, CCFB_TIMESTAMP_PER_SECOND, type CcfbFeedback } from '../../shared/rtcp/ccfb.ts';
import { NewestSeqUnwrapper, TimestampUnwrapper } from '../../shared/rtp/seq.ts';

/** One sent packet as a feedback report it. */
export interface PacketResult {
  /**
   * transport-wide feedback: the extended transport-wide sequence number; RFC 8888 feedback: the
   * packet's place in send order among those given to `onSentRtp`
   */
  seq: number;
  sendMs: number;
  /** bytes on the wire (RTP) */
  bytes: number;
  /** on the receiver's clock, ms; undefined = reported lost */
  arrivalMs: number | undefined;
}

/** Packets kept waiting for their feedback (older ones are forgotten), per sequence (transport-wide, or each SSRC's). */
const KEPT = 8192;
const REFERENCE_MODULUS = 1 << 24;

/** The packets of one RTP stream waiting for RFC 8888 feedback, by extended RTP sequence number. */
interface StreamHistory {
  unwrapper: NewestSeqUnwrapper;
  sent: Map<number, { sendMs: number; bytes: number; order: number }>;
}

export class SentPacketHistory {
  private readonly sendUnwrapper = new NewestSeqUnwrapper();
  private readonly sent = new Map<number, { sendMs: number; bytes: number }>();
  private lastReference: number | undefined;
  private readonly streams = new Map<number, StreamHistory>();
  private nextOrder = 0;
  private readonly reportTimestamps = new TimestampUnwrapper();

  /** A packet with transport-wide seq `seq` (uint16) left at `sendMs`, `bytes` long; returns the extended seq its PacketResult will carry. */
  onSent(seq: number, sendMs: number, bytes: number): number {
    const ext = this.sendUnwrapper.unwrap(seq);
    this.sent.set(ext, { sendMs, bytes });
    if (this.sent.size > KEPT) this.sent.delete(this.sent.keys().next().value!);
    return ext;
  }

  /** The packets one feedback reports on, in sequence order (those we have no send record of are left out). */
  onFeedback(fb: TwccFeedback): PacketResult[] {
    const reference = this.unwrapReference(fb.referenceTime);
    const arrivals = twccArrivalsUs({ referenceTime: reference, deltas: fb.deltas });
    // a report is about packets sent lately: its base seq extends to the one nearest the newest sent
    const base = this.sendUnwrapper.peek(fb.baseSeq);
    const results: PacketResult[] = [];
    arrivals.forEach((arrivalUs, i) => {
      const seq = base + i;
      const sent = this.sent.get(seq);
      if (!sent) return;
      if (arrivalUs !== undefined) this.sent.delete(seq);
      results.push({ seq, sendMs: sent.sendMs, bytes: sent.bytes, arrivalMs: arrivalUs === undefined ? undefined : arrivalUs / 1000 });
    });
    return results;
  }

  /** A packet of RTP stream `ssrc` with sequence number `rtpSeq` (uint16) left at `sendMs`, `bytes` long (for RFC 8888 feedback); returns its place in send order, which its PacketResult will carry as `seq`. */
  onSentRtp(ssrc: number, rtpSeq: number, sendMs: number, bytes: number): number {
    let stream = this.streams.get(ssrc);
    if (!stream) {
      stream = { unwrapper: new NewestSeqUnwrapper(), sent: new Map() };
      this.streams.set(ssrc, stream);
    }
    const order = this.nextOrder++;
    stream.sent.set(stream.unwrapper.unwrap(rtpSeq), { sendMs, bytes, order });
    if (stream.sent.size > KEPT) stream.sent.delete(stream.sent.keys().next().value!);
    return order;
  }

  /**
   * The packets one RFC 8888 feedback reports on, in send order: each arrival is the report time
   * minus its ATO (1/1024 s, so within ≈ 0.49 ms of the receiver's clock). Packets we have no send
   * record of are left out, and so are those received with no arrival time (ATO over-range or
   * unavailable): neither a loss nor a delay sample.
   */
  onCcfb(fb: CcfbFeedback): PacketResult[] {
    const reportMs = (this.reportTimestamps.unwrap(fb.reportTimestamp) * 1000) / CCFB_TIMESTAMP_PER_SECOND;
    const results: PacketResult[] = [];
    for (const block of fb.blocks) {
      const stream = this.streams.get(block.ssrc >>> 0);
      if (!stream) continue;
      // as for transport-wide feedback: the block's first seq extends to the one nearest the newest sent
      const base = stream.unwrapper.peek(block.beginSeq);
      block.metrics.forEach((metric, i) => {
        const seq = base + i;
        const sent = stream.sent.get(seq);
        if (!sent) return;
        if (metric === null) {
          results.push({ seq: sent.order, sendMs: sent.sendMs, bytes: sent.bytes, arrivalMs: undefined });
          return;
        }
        stream.sent.delete(seq);
        const arrivalMs = ccfbArrivalMs(reportMs, metric.ato);
        if (arrivalMs !== undefined) results.push({ seq: sent.order, sendMs: sent.sendMs, bytes: sent.bytes, arrivalMs });
      });
    }
    return results.sort((a, b) => a.seq - b.seq);
  }

  /** The reference time (signed 24 bits on the wire) as a count of 64 ms ticks that does not wrap. */
  private unwrapReference(wire: number): number {
    const value = ((wire % REFERENCE_MODULUS) + REFERENCE_MODULUS) % REFERENCE_MODULUS;
    if (this.lastReference === undefined) {
      this.lastReference = value;
      return value;
    }
    let delta = value - (this.lastReference % REFERENCE_MODULUS);
    if (delta > REFERENCE_MODULUS / 2) delta -= REFERENCE_MODULUS;
    if (delta < -REFERENCE_MODULUS / 2) delta += REFERENCE_MODULUS;
    this.lastReference += delta;
    return this.lastReference;
  }
}

export { TWCC_REFERENCE_TICK_US };
