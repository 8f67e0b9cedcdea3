/**
 * Receive recovery chain, sans-I/O: any received RTP packet (media, RED, ULPFEC in RED, FlexFEC,
 * RTX) in with `nowMs`; plain media packets out for the frame assembler (flagged when recovered
 * by FEC or RTX), RTCP to send (generic NACK, PLI, RR) and events (recovered, too-late, spurious
 * RTX). Demux by SSRC and payload type from the options; RED is decapsulated, RTX unwrapped, FEC
 * decoded; every media seq (received or recovered) feeds the NACK requester, FEC-recovered ones
 * flagged so they are never NACKed. Malformed input is reported as `discarded`, never thrown.
 */
import { UlpfecDecoder } from '../../shared/fec/ulpfec.ts';
import { FlexfecDecoder } from '../../shared/fec/flexfec.ts';
import { decapsulateRed } from '../../shared/fec/red.ts';
import { FecError } from '../../shared/fec/errors.ts';
import { isRtpLayoutError, readRtpLayout } from '../../shared/fec/rtp-fields.ts';
import { NewestSeqUnwrapper } from '../../shared/rtp/seq.ts';
import { parseCompound } from '../../shared/rtcp/compound.ts';
import { compactNtp } from '../../shared/rtcp/sr.ts';
import { encodeNack } from '../../shared/rtcp/nack.ts';
import { encodePli } from '../../shared/rtcp/pli.ts';
import { encodeReceiverReport } from '../../shared/rtcp/rr.ts';
import { NackRequester } from '../nack/requester.ts';
import { RtxUnwrapper } from '../rtx-unwrap.ts';
import { Fifo } from '../../shared/fifo.ts';
import { checkReceiveRecoveryOptions, type ReceiveOutput, type ReceiveRecoveryOptions, type RecoveredBy } from './options.ts';

/** What is known of one media sequence number. */
interface SeqState {
  /** how it arrived; undefined while missing */
  got: 'wire' | RecoveredBy | 'fec-packet' | undefined;
  /** when the gap was first seen, ms */
  missingSinceMs: number | undefined;
}

/** Counters (packets). */
export interface ReceiveRecoveryStats {
  received: number;
  recoveredByFec: number;
  recoveredByRtx: number;
  tooLate: number;
  spuriousRtx: number;
  nacksSent: number;
  nackedSeqs: number;
  keyframeRequests: number;
  discarded: number;
}

/** The receive side of loss protection for one media SSRC. */
export class ReceiveRecovery {
  private readonly out = new Fifo<ReceiveOutput>();
  private readonly nack: NackRequester | undefined;
  private readonly ulpfec: UlpfecDecoder | undefined;
  private readonly flexfec: FlexfecDecoder | undefined;
  private readonly rtx: RtxUnwrapper | undefined;
  private readonly unwrapper = new NewestSeqUnwrapper();
  private readonly seqs = new Map<number, SeqState>();
  private lowestKept: number | undefined;
  private rrNextMs: number | undefined;
  private rrBase: { expected: number; received: number } = { expected: 0, received: 0 };
  private firstExt: number | undefined;
  private wireReceived = 0;
  private lastSr: { compact: number; atMs: number } | undefined;
  readonly stats: ReceiveRecoveryStats = { received: 0, recoveredByFec: 0, recoveredByRtx: 0, tooLate: 0, spuriousRtx: 0, nacksSent: 0, nackedSeqs: 0, keyframeRequests: 0, discarded: 0 };

  /** Throws ReceiveRecoveryError('invalid-option') for unusable options. */
  constructor(private readonly o: ReceiveRecoveryOptions) {
    checkReceiveRecoveryOptions(o);
    const rec = { ssrc: o.mediaSsrc, windowPackets: o.fecWindowPackets, maxPendingFec: o.maxPendingFec };
    this.nack = o.nack ? new NackRequester(o.nack) : undefined;
    this.ulpfec = o.red ? new UlpfecDecoder(rec) : undefined;
    this.flexfec = o.flexfec ? new FlexfecDecoder({ ...rec, fecSsrc: o.flexfec.ssrc }) : undefined;
    this.rtx = o.rtx ? new RtxUnwrapper({ mediaSsrcByRtxSsrc: { [o.rtx.ssrc]: o.mediaSsrc }, apt: { [o.rtx.payloadType]: o.mediaPayloadType } }) : undefined;
    this.rrNextMs = o.receiverReportIntervalMs;
  }

  /** Updates the RTT the NACK requester retries by, ms. */
  setRtt(rttMs: number): void {
    this.nack?.setRtt(rttMs);
  }

  /** Asks for a keyframe (the frame assembler reported a frame that cannot be completed). */
  requestKeyframe(nowMs: number): void {
    if (this.nack) {
      this.nack.requestKeyframe(nowMs);
      this.drainNack();
    } else {
      this.sendPli(nowMs);
    }
  }

  /** Handles one received RTP packet; drain `pollOutput()` afterwards. */
  receive(packet: Uint8Array, nowMs: number): void {
    const l = readRtpLayout(packet);
    if (isRtpLayoutError(l)) return this.discard(l.code, nowMs);
    const o = this.o;
    if (o.rtx && this.rtx && l.ssrc === o.rtx.ssrc >>> 0) {
      const r = this.rtx.unwrap(packet);
      if (!r.ok) return this.discard(`rtx-${r.error.code}`, nowMs);
      this.onMedia(r.value.packet, 'rtx', nowMs);
    } else if (o.flexfec && this.flexfec && l.ssrc === o.flexfec.ssrc >>> 0 && l.payloadType === o.flexfec.payloadType) {
      this.onRecovered(this.flexfec.insertFec(packet), nowMs);
    } else if (l.ssrc !== o.mediaSsrc >>> 0) {
      this.discard('unknown-ssrc', nowMs);
    } else if (o.red && l.payloadType === o.red.payloadType) {
      const red = decapsulateRed(packet);
      if (red instanceof FecError) return this.discard(red.code, nowMs);
      if (red.payloadType === o.red.ulpfecPayloadType) {
        // recover first: a NACK due on this packet's arrival must not ask for what it repairs
        if (this.ulpfec) this.onRecovered(this.ulpfec.insertFec(red.payload), nowMs);
        this.onFecSeq(l.sequenceNumber, nowMs);
      } else if (red.payloadType === o.mediaPayloadType) {
        this.onMedia(red.packet, 'wire', nowMs);
      } else {
        this.discard('unknown-red-pt', nowMs);
      }
    } else if (l.payloadType === o.mediaPayloadType) {
      this.onMedia(packet, 'wire', nowMs);
    } else {
      this.discard('unknown-pt', nowMs);
    }
    this.drainNack();
  }

  /** Handles an RTCP datagram from the sender (SR: remembered for the RR's LSR/DLSR). */
  handleRtcp(datagram: Uint8Array, nowMs: number): void {
    const parsed = parseCompound(datagram);
    if (!parsed.ok) return this.discard(`rtcp-${parsed.error.code}`, nowMs);
    for (const p of parsed.value) {
      if (p.type === 'sr' && p.ssrc === this.o.mediaSsrc >>> 0) this.lastSr = { compact: compactNtp(p), atMs: nowMs };
    }
  }

  private discard(reason: string, nowMs: number): void {
    this.stats.discarded++;
    this.out.push({ type: 'discarded', reason, timeMs: nowMs });
  }

  private onRecovered(result: Buffer[] | FecError, nowMs: number): void {
    if (result instanceof FecError) return this.discard(result.code, nowMs);
    for (const p of result) this.onMedia(p, 'fec', nowMs);
  }

  /** Tracks the sequence number as seen; returns its state (new or known). */
  private track(seq: number, nowMs: number): { ext: number; state: SeqState } {
    const before = this.unwrapper.newestSeen;
    const ext = this.unwrapper.unwrap(seq);
    if (this.firstExt === undefined) this.firstExt = ext;
    if (before !== undefined && ext > before + 1) {
      for (let s = Math.max(before + 1, ext - this.o.historyPackets); s < ext; s++) {
        if (!this.seqs.has(s)) this.seqs.set(s, { got: undefined, missingSinceMs: nowMs });
      }
    }
    let state = this.seqs.get(ext);
    if (!state) {
      state = { got: undefined, missingSinceMs: undefined };
      this.seqs.set(ext, state);
    }
    this.evict(ext);
    return { ext, state };
  }

  private evict(ext: number): void {
    const newest = Math.max(ext, this.unwrapper.newestSeen ?? ext);
    const floor = newest - this.o.historyPackets;
    if (this.lowestKept === undefined) this.lowestKept = Math.min(...this.seqs.keys());
    for (; this.lowestKept < floor; this.lowestKept++) this.seqs.delete(this.lowestKept);
  }

  private onFecSeq(seq: number, nowMs: number): void {
    const { ext, state } = this.track(seq, nowMs);
    this.wireReceived++;
    if (state.got === undefined) state.got = 'fec-packet';
    this.nack?.onExtendedPacket(ext, nowMs);
    this.out.push({ type: 'fec-seq', seq, extSeq: ext, timeMs: nowMs });
  }

  private onMedia(packet: Uint8Array, by: 'wire' | RecoveredBy, nowMs: number): void {
    const l = readRtpLayout(packet);
    if (isRtpLayoutError(l)) return this.discard(l.code, nowMs);
    if (l.ssrc !== this.o.mediaSsrc >>> 0) return this.discard('unknown-ssrc', nowMs);
    const seq = l.sequenceNumber;
    if (by === 'wire') this.wireReceived++;
    const { ext, state } = this.track(seq, nowMs);
    if (state.got !== undefined) {
      if (by === 'rtx') {
        this.stats.spuriousRtx++;
        this.out.push({ type: 'spurious-rtx', seq, had: state.got === 'fec-packet' ? 'wire' : state.got, timeMs: nowMs });
      }
      return;
    }
    state.got = by;
    if (by !== 'fec') {
      this.onRecovered(this.ulpfec ? this.ulpfec.insertMedia(packet) : [], nowMs);
      this.onRecovered(this.flexfec ? this.flexfec.insertMedia(packet) : [], nowMs);
    }
    if (by === 'wire') {
      this.stats.received++;
    } else {
      const afterMs = state.missingSinceMs === undefined ? undefined : nowMs - state.missingSinceMs;
      if (by === 'fec') this.stats.recoveredByFec++;
      else this.stats.recoveredByRtx++;
      this.out.push({ type: 'recovered', seq, by, afterMs, timeMs: nowMs });
      if (afterMs !== undefined && afterMs > this.o.usefulWithinMs) {
        this.stats.tooLate++;
        this.out.push({ type: 'too-late', seq, by, afterMs, timeMs: nowMs });
      }
    }
    // the media stream is unwrapped once, here (track): the NACK requester and the assembler take the extended number
    this.nack?.onExtendedPacket(ext, nowMs, { recovered: by === 'fec' });
    this.out.push({ type: 'media', packet, seq, extSeq: ext, recoveredBy: by === 'wire' ? undefined : by, timeMs: nowMs });
  }

  private drainNack(): void {
    if (!this.nack) return;
    for (let e = this.nack.pollOutput(); e !== undefined; e = this.nack.pollOutput()) {
      if (e.type === 'nack') {
        this.stats.nacksSent++;
        this.stats.nackedSeqs += e.seqs.length;
        const packet = encodeNack({ senderSsrc: this.o.receiverSsrc, mediaSsrc: this.o.mediaSsrc, seqs: e.seqs });
        this.out.push({ type: 'rtcp', kind: 'nack', packet, seqs: e.seqs, timeMs: e.timeMs });
      } else if (e.type === 'keyframe-request') {
        this.sendPli(e.timeMs);
      } else {
        this.out.push({ type: 'nack-given-up', seqs: e.seqs, reason: e.reason, timeMs: e.timeMs });
      }
    }
  }

  private sendPli(nowMs: number): void {
    this.stats.keyframeRequests++;
    this.out.push({ type: 'rtcp', kind: 'pli', packet: encodePli({ senderSsrc: this.o.receiverSsrc, mediaSsrc: this.o.mediaSsrc }), timeMs: nowMs });
  }

  /** Earliest time `handleTimeout` has work (NACK retries, RR), ms. */
  pollTimeout(): number | undefined {
    const a = this.nack?.pollTimeout();
    const b = this.rrNextMs;
    if (a === undefined) return b;
    return b === undefined ? a : Math.min(a, b);
  }

  /** Sends due NACK retries and the receiver report. */
  handleTimeout(nowMs: number): void {
    this.nack?.handleTimeout(nowMs);
    this.drainNack();
    if (this.rrNextMs !== undefined && nowMs >= this.rrNextMs && this.o.receiverReportIntervalMs !== undefined) {
      this.rrNextMs = nowMs + this.o.receiverReportIntervalMs;
      this.sendRr(nowMs);
    }
  }

  private sendRr(nowMs: number): void {
    const newest = this.unwrapper.newestSeen;
    if (newest === undefined || this.firstExt === undefined) return;
    const expected = newest - this.firstExt + 1;
    const dExpected = expected - this.rrBase.expected;
    const dReceived = this.wireReceived - this.rrBase.received;
    this.rrBase = { expected, received: this.wireReceived };
    const fractionLost = dExpected <= 0 || dReceived >= dExpected ? 0 : Math.min(255, Math.floor(((dExpected - dReceived) * 256) / dExpected));
    const cumulative = Math.max(-0x800000, Math.min(0x7fffff, expected - this.wireReceived));
    const sr = this.lastSr;
    const packet = encodeReceiverReport({
      ssrc: this.o.receiverSsrc,
      reports: [{
        ssrc: this.o.mediaSsrc, fractionLost, cumulativeLost: cumulative, extendedHighestSeq: newest >>> 0, jitter: 0,
        lastSr: sr?.compact ?? 0, delaySinceLastSr: sr ? Math.floor(((nowMs - sr.atMs) * 65536) / 1000) >>> 0 : 0,
      }],
    });
    this.out.push({ type: 'rtcp', kind: 'rr', packet, timeMs: nowMs });
  }

  /** Next output, or undefined when drained. */
  pollOutput(): ReceiveOutput | undefined {
    return this.out.shift();
  }
}
