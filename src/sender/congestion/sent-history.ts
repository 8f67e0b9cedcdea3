/**
 * What the sender sent with a transport-wide sequence number (send time, size), and what a
 * transport-wide feedback packet says of each: arrived (with its arrival time on the receiver's
 * clock) or lost. Sans-I/O; times ms. The feedback's reference time is 24 bits of 64 ms ticks
 * (≈ 12 days) and is unwrapped against the previous report.
 */
import { twccArrivalsUs, TWCC_REFERENCE_TICK_US, type TwccFeedback } from '../../shared/rtcp/twcc.ts';
import { NewestSeqUnwrapper } from '../../shared/rtp/seq.ts';

/** One sent packet as a feedback report it. */
export interface PacketResult {
  /** extended transport-wide sequence number */
  seq: number;
  sendMs: number;
  /** bytes on the wire (RTP) */
  bytes: number;
  /** on the receiver's clock, ms; undefined = reported lost */
  arrivalMs: number | undefined;
}

/** Packets kept waiting for their feedback (older ones are forgotten). */
const KEPT = 8192;
const REFERENCE_MODULUS = 1 << 24;

export class SentPacketHistory {
  private readonly sendUnwrapper = new NewestSeqUnwrapper();
  private readonly sent = new Map<number, { sendMs: number; bytes: number }>();
  private lastReference: number | undefined;

  /** A packet with transport-wide seq `seq` (uint16) left at `sendMs`, `bytes` long. */
  onSent(seq: number, sendMs: number, bytes: number): void {
    const ext = this.sendUnwrapper.unwrap(seq);
    this.sent.set(ext, { sendMs, bytes });
    if (this.sent.size > KEPT) this.sent.delete(this.sent.keys().next().value!);
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
