/**
 * RTX sender (RFC 4588): keeps the send history of each media SSRC and answers NACKs with RTX
 * packets on a separate SSRC and payload type (the `apt` map), with its own sequence numbers and
 * the original sequence number prepended. A packet already retransmitted less than one RTT ago is
 * not sent again. Sans-I/O: NACKs and sent packets in, events out through `pollOutput()`.
 */
import { PacketHistory, type PacketHistoryOptions } from './history.ts';
import { Fifo } from '../../shared/fifo.ts';
import { readRtpLayout, wrapRtx } from '../../shared/rtx-format.ts';

/** One media stream protected by RTX. */
export interface RtxStreamConfig {
  /** uint32 */
  mediaSsrc: number;
  /** uint32 */
  rtxSsrc: number;
  /** first RTX sequence number, uint16 (RFC 4588 asks for a random one; the caller draws it) */
  initialRtxSeq: number;
}

/** RTX sender options. */
export interface RtxSenderOptions {
  streams: RtxStreamConfig[];
  /** RTX payload type → the media payload type it repairs (SDP `apt`), 7-bit each */
  apt: Record<number, number>;
  history: PacketHistoryOptions;
  /** RTT until the caller reports one, ms */
  initialRttMs: number;
}

/** Why a requested packet was not retransmitted. */
export type RtxRefusal = 'unknown-ssrc' | 'not-in-history' | 'within-rtt' | 'no-rtx-pt';

/** What the RTX sender produced. */
export type RtxEvent =
  | {
    type: 'rtx';
    /** the id `handleNack` returned for the NACK that asked */
    nackId: number;
    mediaSsrc: number;
    /** uint16 */
    originalSeq: number;
    rtxSsrc: number;
    /** uint16 */
    rtxSeq: number;
    /** the RTX packet, ready for the pacer (kind retransmission) */
    packet: Uint8Array;
    /** retransmissions of this original packet including this one */
    retransmission: number;
    timeMs: number;
  }
  | { type: 'rtx-refused'; nackId: number; mediaSsrc: number; originalSeq: number; reason: RtxRefusal; timeMs: number };

interface StreamState {
  config: RtxStreamConfig;
  history: PacketHistory;
  nextRtxSeq: number;
}

/** Answers NACKs from a bounded send history. */
export class RtxSender {
  private readonly streams = new Map<number, StreamState>();
  private readonly rtxPtByMediaPt = new Map<number, number>();
  private rttMs: number;
  private nextNackId = 1;
  private readonly out = new Fifo<RtxEvent>();

  constructor(options: RtxSenderOptions) {
    for (const s of options.streams) {
      this.streams.set(s.mediaSsrc >>> 0, { config: s, history: new PacketHistory(options.history), nextRtxSeq: s.initialRtxSeq & 0xffff });
    }
    for (const [rtxPt, mediaPt] of Object.entries(options.apt)) this.rtxPtByMediaPt.set(mediaPt, Number(rtxPt));
    this.rttMs = options.initialRttMs;
  }

  /**
   * The next RTX sequence number of `mediaSsrc`'s RTX stream, for a padding-only packet (a
   * probe): RTX and padding share the stream's numbering, so the receiver never sees a gap.
   */
  takePaddingSeq(mediaSsrc: number): { rtxSsrc: number; seq: number } | undefined {
    const s = this.streams.get(mediaSsrc >>> 0);
    if (!s) return undefined;
    const seq = s.nextRtxSeq;
    s.nextRtxSeq = (seq + 1) & 0xffff;
    return { rtxSsrc: s.config.rtxSsrc, seq };
  }

  /** Updates the RTT used to hold back repeated retransmissions, ms. */
  setRtt(rttMs: number): void {
    this.rttMs = rttMs;
  }

  /**
   * Records a media packet as sent at `nowMs` (call when it leaves the pacer). Returns false and
   * stores nothing for packets that are not RTP or belong to no configured stream.
   */
  onMediaSent(packet: Uint8Array, nowMs: number): boolean {
    const l = readRtpLayout(packet);
    if (!l.ok) return false;
    const s = this.streams.get(l.value.ssrc);
    if (!s) return false;
    s.history.insert(l.value.seq, packet, nowMs);
    return true;
  }

  /**
   * Handles one NACK for `mediaSsrc` asking for 16-bit `seqs` at `nowMs`; queues one event per
   * seq. Returns the id that the events carry.
   */
  handleNack(mediaSsrc: number, seqs: readonly number[], nowMs: number): number {
    const nackId = this.nextNackId++;
    const s = this.streams.get(mediaSsrc >>> 0);
    for (const seq of seqs) {
      const originalSeq = seq & 0xffff;
      const refuse = (reason: RtxRefusal): void => {
        this.out.push({ type: 'rtx-refused', nackId, mediaSsrc, originalSeq, reason, timeMs: nowMs });
      };
      if (!s) { refuse('unknown-ssrc'); continue; }
      const e = s.history.get(originalSeq, nowMs);
      if (!e) { refuse('not-in-history'); continue; }
      if (e.lastRetransmitMs !== undefined && nowMs - e.lastRetransmitMs < this.rttMs) { refuse('within-rtt'); continue; }
      const layout = readRtpLayout(e.packet);
      if (!layout.ok) { refuse('not-in-history'); continue; }
      const rtxPt = this.rtxPtByMediaPt.get(layout.value.payloadType);
      if (rtxPt === undefined) { refuse('no-rtx-pt'); continue; }
      const rtxSeq = s.nextRtxSeq;
      s.nextRtxSeq = (rtxSeq + 1) & 0xffff;
      e.lastRetransmitMs = nowMs;
      e.retransmissions++;
      this.out.push({
        type: 'rtx', nackId, mediaSsrc, originalSeq, rtxSsrc: s.config.rtxSsrc, rtxSeq,
        packet: wrapRtx(e.packet, layout.value, s.config.rtxSsrc, rtxPt, rtxSeq),
        retransmission: e.retransmissions, timeMs: nowMs,
      });
    }
    return nackId;
  }

  /** Next event, or undefined when drained. */
  pollOutput(): RtxEvent | undefined {
    return this.out.shift();
  }

  /** Packets held in the history of `mediaSsrc`. */
  historySize(mediaSsrc: number): number {
    return this.streams.get(mediaSsrc >>> 0)?.history.size ?? 0;
  }
}
