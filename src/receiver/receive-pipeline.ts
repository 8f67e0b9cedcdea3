/**
 * The receive side of one video stream as one sans-I/O unit: RTP and RTCP datagrams, timeouts
 * and decode results go in (each with the time it happened, ms); out come records, RTCP to send
 * (NACK, RR, PLI) and frames to decode, drained with `pollOutput()`, and the next time it needs
 * to run with `pollTimeout()`. It holds demux, the recovery chain (RTX unwrap, FEC, NACK
 * requester, RR), the frame assembler and the keyframe-request policy with its one rate limiter.
 * It reads no clock and starts no timer: `VideoReceiver` drives it in real time with the native
 * decoder and the transport, tests and the simulator drive it in virtual time.
 */
import type { PacketRecord, ReceiverFrameRecord, LabRecord } from '../shared/records.ts';
import { parseRtp, RtpParseError, type RtpPacket } from '../shared/rtp/packet.ts';
import { encodePli } from '../shared/rtcp/pli.ts';
import { FrameAssembler } from './frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS, type AssembledFrame } from './frame-assembler-types.ts';
import { ReceiveRecovery } from './protection/receive-chain.ts';
import { realtimeReceiveOptions, type RealtimeRecoveryPlan } from './protection/realtime-options.ts';
import { Fifo } from '../shared/fifo.ts';
import { decodeTransportWideSeq } from '../shared/rtp/extensions/transport-wide-seq.ts';
import { DEFAULT_TRANSPORT_FEEDBACK, TransportFeedbackBuilder } from './transport-feedback.ts';
import { CcfbFeedbackBuilder, DEFAULT_CCFB_FEEDBACK } from './ccfb-feedback.ts';

export interface ReceivePipelineOptions {
  /** minimum time between two keyframe requests, ms */
  pliIntervalMs: number;
  /** our RTCP sender SSRC */
  localSsrc: number;
  /** ms a complete frame waits for missing earlier packets before they are given up; 0 releases at once */
  maxWaitMs: number;
  /** loss recovery (RTX unwrap, FEC, NACK requester); undefined = none */
  recovery?: RealtimeRecoveryPlan;
  /** transport-wide congestion control feedback: the negotiated id of the transport-wide sequence number extension; undefined = none */
  transportFeedback?: { extensionId: number; intervalMs?: number };
  /**
   * RFC 8888 congestion control feedback on every SSRC received (interval ms, default 50), sent
   * instead of transport-wide feedback when both are given; undefined = none
   */
  ccfb?: { intervalMs?: number };
  /** hand out every media packet (plain or recovered) as a `media` output, for the WebRTC relay; default false */
  mediaOutput?: boolean;
}

/** What became of a frame handed out for decoding (times in ms on the pipeline's clock). */
export type DecodeResult =
  | { kind: 'picture'; decodeStartMs: number; decodeDoneMs: number; markerReadMs?: number; marker?: { ok: true; frameId: number; captureMs: number } | { ok: false; reason: 'too-small' | 'check-failed' } }
  /** the decoder kept the access unit without a picture (it should not at low delay) */
  | { kind: 'held' }
  | { kind: 'error' };

export type ReceiveOutput =
  | { type: 'record'; record: LabRecord }
  /** one serialized RTCP packet for the sender */
  | { type: 'rtcp'; packet: Uint8Array }
  /** a complete, decodable frame: decode it, then give the result to `handleDecoded` */
  | { type: 'decode'; frame: AssembledFrame }
  /** (mediaOutput only) a media packet as it reaches the assembler, at `atMs` (its own arrival, or its repair's) */
  | { type: 'media'; packet: RtpPacket; atMs: number };

/** Counters of the stream so far (the `stopped` summary). */
export interface ReceiveCounters {
  framesReceived: number;
  framesDisplayed: number;
  keyframeRequests: number;
  badPackets: number;
  recoveredByRtx: number;
  recoveredByFec: number;
  nacksSent: number;
}

/** How long `finish` lets frames still waiting run on, ms: long enough for any wait to end. */
const FINISH_HORIZON_MS = 3_600_000;

export class ReceivePipeline {
  readonly counters: ReceiveCounters = { framesReceived: 0, framesDisplayed: 0, keyframeRequests: 0, badPackets: 0, recoveredByRtx: 0, recoveredByFec: 0, nacksSent: 0 };
  /** built on the first media packet, when its SSRC and payload type are known */
  private recovery: ReceiveRecovery | undefined;
  private readonly assembler: FrameAssembler;
  private readonly out = new Fifo<ReceiveOutput>();
  private lastPliMs = -Infinity;
  private mediaSsrc: number | undefined;
  /** transport-wide feedback, built on the first packet carrying the extension */
  private feedback: TransportFeedbackBuilder | undefined;
  /** RFC 8888 feedback, when configured (it replaces transport-wide feedback) */
  private readonly ccfb: CcfbFeedbackBuilder | undefined;
  /** the datagram being handled and its parse, while the recovery chain runs on it */
  private wireParsed: { raw: Uint8Array; packet: RtpPacket } | undefined;

  constructor(private readonly options: ReceivePipelineOptions) {
    // ULPFEC packets take media sequence numbers: one lost on the link leaves a gap after a frame's last packet
    const ulpfec = options.recovery !== undefined && options.recovery.mode !== 'nack' && options.recovery.fecScheme === 'ulpfec';
    this.assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, maxWaitMs: options.maxWaitMs, ...(ulpfec ? { gapAfterMarkerIsNonMedia: true } : {}) });
    if (options.ccfb) {
      this.ccfb = new CcfbFeedbackBuilder({
        senderSsrc: options.localSsrc, intervalMs: options.ccfb.intervalMs ?? DEFAULT_CCFB_FEEDBACK.intervalMs, maxPacketsPerReport: DEFAULT_CCFB_FEEDBACK.maxPacketsPerReport,
      });
    }
  }

  /** One RTP datagram as it came off the transport. */
  handleRtp(raw: Uint8Array, nowMs: number): void {
    const packet = parseRtp(raw);
    if (packet instanceof RtpParseError) {
      this.counters.badPackets++;
      this.record({ type: 'event', side: 'receiver', timeMs: nowMs, name: 'bad-rtp', detail: { code: packet.code, size: raw.length } });
      return;
    }
    // every packet that parses, whatever its SSRC (media, RTX, FEC), as it came off the wire
    if (this.ccfb) this.ccfb.onPacket(packet.ssrc, packet.sequenceNumber, nowMs);
    else this.noteTransportSeq(packet, nowMs);
    const plan = this.options.recovery;
    if (!plan) {
      this.mediaSsrc ??= packet.ssrc;
      this.record(incomingPacketRecord(packet, raw.length, nowMs, 'media'));
      if (this.options.mediaOutput) this.out.push({ type: 'media', packet, atMs: nowMs });
      this.assembler.insert(packet, nowMs);
      this.drainAssembler(nowMs);
      return;
    }
    // with recovery, every packet goes through the chain (RTX unwrapped, FEC decoded, gaps NACKed)
    const kind = packetKind(packet, plan);
    const record = incomingPacketRecord(packet, raw.length, nowMs, kind);
    // RFC 4588: an RTX payload starts with the original sequence number
    if (kind === 'rtx' && packet.payload.length >= 2) record.originalSeq = (packet.payload[0]! << 8) | packet.payload[1]!;
    this.record(record);
    if (kind === 'media' && !this.recovery) {
      this.mediaSsrc = packet.ssrc;
      // media inside RED: its own payload type is the RED block's
      const payloadType = packet.payloadType === plan.streams.red.payloadType && packet.payload.length > 0 ? packet.payload[0]! & 0x7f : packet.payloadType;
      this.recovery = new ReceiveRecovery(realtimeReceiveOptions(plan, { ssrc: packet.ssrc, payloadType }, this.options.localSsrc));
    }
    if (!this.recovery) return; // recovery packets before any media: nothing to recover yet
    // the chain hands plain media on as the same bytes: the parse above is reused for it
    this.wireParsed = { raw, packet };
    this.recovery.receive(raw, nowMs);
    this.drainRecovery(nowMs);
    this.wireParsed = undefined;
    this.drainAssembler(nowMs);
  }

  /** One RTCP datagram from the sender (its SRs give our RRs their LSR/DLSR). */
  handleRtcp(raw: Uint8Array, nowMs: number): void {
    this.recovery?.handleRtcp(raw, nowMs);
    this.drainRecovery(nowMs);
  }

  /** When the pipeline next has work (assembler waits, NACK retries, reports), ms; undefined = none. */
  pollTimeout(): number | undefined {
    const dues = [this.assembler.pollTimeout(), this.recovery?.pollTimeout(), this.feedback?.pollTimeout(), this.ccfb?.pollTimeout()].filter((t): t is number => t !== undefined);
    return dues.length === 0 ? undefined : Math.min(...dues);
  }

  handleTimeout(nowMs: number): void {
    if (this.feedback) {
      for (const packet of this.feedback.handleTimeout(nowMs)) {
        this.record({ type: 'feedback', side: 'receiver', dir: 'out', kind: 'twcc', timeMs: nowMs, by: 'lab' });
        this.out.push({ type: 'rtcp', packet });
      }
    }
    if (this.ccfb) {
      for (const packet of this.ccfb.handleTimeout(nowMs)) {
        this.record({ type: 'feedback', side: 'receiver', dir: 'out', kind: 'ccfb', timeMs: nowMs, by: 'lab' });
        this.out.push({ type: 'rtcp', packet });
      }
    }
    if (this.recovery) {
      this.recovery.handleTimeout(nowMs);
      this.drainRecovery(nowMs);
    }
    this.assembler.handleTimeout(nowMs);
    this.drainAssembler(nowMs);
  }

  /** The end of the stream: frames still waiting are recorded as never displayed. */
  finish(nowMs: number): void {
    this.assembler.handleTimeout(nowMs + FINISH_HORIZON_MS);
    this.drainAssembler(nowMs);
  }

  /** What became of a frame from a `decode` output. */
  handleDecoded(frame: AssembledFrame, result: DecodeResult, nowMs: number): void {
    if (result.kind === 'error') {
      this.writeFrame(frame, { notDisplayed: 'decode-error' });
      this.requestKeyframe(nowMs, 'decode-error');
      return;
    }
    if (result.kind === 'held') {
      this.writeFrame(frame, { notDisplayed: 'decoder-held' });
      return;
    }
    this.counters.framesDisplayed++;
    const fields: Partial<ReceiverFrameRecord> = {
      decodeStartMs: result.decodeStartMs,
      decodeDoneMs: result.decodeDoneMs,
      ...(result.markerReadMs !== undefined ? { markerReadMs: result.markerReadMs } : {}),
    };
    const marker = result.marker;
    if (marker?.ok) this.writeFrame(frame, { ...fields, marker: 'ok', frameId: marker.frameId, captureMs: marker.captureMs });
    else this.writeFrame(frame, { ...fields, marker: marker ? marker.reason : 'check-failed' });
  }

  pollOutput(): ReceiveOutput | undefined {
    return this.out.shift();
  }

  private record(record: LabRecord): void {
    this.out.push({ type: 'record', record });
  }

  /** Passes the recovery chain's media to the assembler and its RTCP (NACK, RR) out. */
  private drainRecovery(nowMs: number): void {
    const recovery = this.recovery;
    if (!recovery) return;
    for (let e = recovery.pollOutput(); e !== undefined; e = recovery.pollOutput()) {
      switch (e.type) {
        case 'media': {
          // parsed once: a packet that arrived as plain media is the datagram handleRtp parsed
          const media = this.wireParsed?.raw === e.packet ? this.wireParsed.packet : parseRtp(e.packet);
          if (media instanceof RtpParseError) break;
          if (e.recoveredBy) {
            if (e.recoveredBy === 'rtx') this.counters.recoveredByRtx++;
            else this.counters.recoveredByFec++;
            this.record({
              type: 'packet', side: 'receiver', dir: 'in', ssrc: media.ssrc, seq: media.sequenceNumber, pt: media.payloadType, kind: 'media',
              size: e.packet.length, timeMs: nowMs, rtpTimestamp: media.timestamp, recoveredBy: e.recoveredBy,
            } satisfies PacketRecord);
          }
          if (this.options.mediaOutput) this.out.push({ type: 'media', packet: media, atMs: nowMs });
          this.assembler.insert(media, nowMs, e.extSeq);
          break;
        }
        case 'fec-seq':
          // a ULPFEC packet holds this media sequence number: not a gap
          this.assembler.insertNonMedia(e.seq, nowMs, e.extSeq);
          break;
        case 'rtcp':
          // the chain's own PLI (NACK given up) goes through the one rate limiter below
          if (e.kind === 'pli') {
            this.requestKeyframe(nowMs, 'nack-given-up');
            break;
          }
          if (e.kind === 'nack') this.counters.nacksSent++;
          this.record({ type: 'feedback', side: 'receiver', dir: 'out', kind: e.kind, timeMs: nowMs, by: 'lab', ...(e.seqs ? { seqs: e.seqs } : {}) });
          this.out.push({ type: 'rtcp', packet: e.packet });
          break;
        case 'too-late':
        case 'nack-given-up':
        case 'spurious-rtx': {
          const { type, timeMs: _t, ...detail } = e;
          this.record({ type: 'event', side: 'receiver', timeMs: nowMs, name: type, detail });
          break;
        }
        case 'recovered': // counted with its media output (recoveredBy)
        case 'discarded': // in the chain's stats
          break;
      }
    }
  }

  private drainAssembler(nowMs: number): void {
    for (let output = this.assembler.pollOutput(); output !== undefined; output = this.assembler.pollOutput()) {
      switch (output.type) {
        case 'frame':
          this.counters.framesReceived++;
          if (!output.frame.decodable) {
            this.writeFrame(output.frame, { notDisplayed: 'not-decodable' });
            this.requestKeyframe(nowMs, 'not-decodable');
            break;
          }
          this.out.push({ type: 'decode', frame: output.frame });
          break;
        case 'frame-dropped':
          this.record({
            type: 'frame', side: 'receiver', rtpTimestamp: output.rtpTimestamp, firstPacketMs: output.firstPacketMs, lastPacketMs: output.lastPacketMs,
            packets: output.packets, notDisplayed: `incomplete:${output.reason}`,
          } satisfies ReceiverFrameRecord);
          break;
        case 'gap-skipped':
          this.record({ type: 'event', side: 'receiver', timeMs: nowMs, name: 'gap-skipped', detail: { fromSeq: output.fromSeq, toSeq: output.toSeq, missingPackets: output.missingPackets, reason: output.reason } });
          break;
        case 'keyframe-needed':
          this.requestKeyframe(nowMs, output.reason);
          break;
      }
    }
  }

  private writeFrame(frame: AssembledFrame, rest: Partial<ReceiverFrameRecord>): void {
    this.record({
      type: 'frame',
      side: 'receiver',
      rtpTimestamp: frame.rtpTimestamp,
      firstPacketMs: frame.firstPacketMs,
      lastPacketMs: frame.lastPacketMs,
      ...(frame.completeMs !== undefined ? { completeMs: frame.completeMs } : {}),
      keyframe: frame.keyframe,
      packets: frame.packets,
      ...rest,
    });
  }

  /** Every packet's transport-wide sequence number goes to the feedback builder (all SSRCs share the one sequence). */
  private noteTransportSeq(packet: RtpPacket, nowMs: number): void {
    const o = this.options.transportFeedback;
    if (!o) return;
    const value = packet.extensions.get(o.extensionId);
    const seq = value ? decodeTransportWideSeq(value) : undefined;
    if (seq === undefined) return;
    this.feedback ??= new TransportFeedbackBuilder({
      senderSsrc: this.options.localSsrc, mediaSsrc: this.mediaSsrc ?? packet.ssrc,
      intervalMs: o.intervalMs ?? DEFAULT_TRANSPORT_FEEDBACK.intervalMs, maxPacketsPerReport: DEFAULT_TRANSPORT_FEEDBACK.maxPacketsPerReport,
    });
    this.feedback.onPacket(seq, nowMs);
  }

  /** A keyframe asked for from outside (a relay target that just (re)connected), through the same rate limiter. */
  askForKeyframe(nowMs: number, reason: string): void {
    this.requestKeyframe(nowMs, reason);
  }

  /** The one keyframe-request policy: a PLI for the media stream, at most one per pliIntervalMs. */
  private requestKeyframe(nowMs: number, reason: string): void {
    if (this.mediaSsrc === undefined || nowMs - this.lastPliMs < this.options.pliIntervalMs) return;
    this.lastPliMs = nowMs;
    this.counters.keyframeRequests++;
    this.record({ type: 'feedback', side: 'receiver', dir: 'out', kind: 'pli', timeMs: nowMs, reason });
    this.out.push({ type: 'rtcp', packet: encodePli({ senderSsrc: this.options.localSsrc, mediaSsrc: this.mediaSsrc }) });
  }
}

/** RTX and FlexFEC by SSRC; on the media SSRC, RED carrying ULPFEC is FEC, anything else (RED media too) media. */
function packetKind(packet: RtpPacket, plan: RealtimeRecoveryPlan): PacketRecord['kind'] {
  if (packet.ssrc === plan.streams.rtx.ssrc) return 'rtx';
  if (packet.ssrc === plan.streams.flexfec.ssrc) return 'fec';
  const red = plan.streams.red;
  // RFC 2198: the last (here only) block header is one byte, F bit clear, then the block's payload type
  if (packet.payloadType === red.payloadType && packet.payload.length > 0 && (packet.payload[0]! & 0x7f) === red.ulpfecPayloadType) return 'fec';
  return 'media';
}

/** The record of one RTP packet as it arrived (size in bytes, time in ms). */
function incomingPacketRecord(packet: RtpPacket, size: number, nowMs: number, kind: PacketRecord['kind']): PacketRecord {
  return { type: 'packet', side: 'receiver', dir: 'in', ssrc: packet.ssrc, seq: packet.sequenceNumber, pt: packet.payloadType, kind, size, timeMs: nowMs, rtpTimestamp: packet.timestamp };
}
