import type { DecodedFrame, NativeDecoder } from '../native/types.ts';
import type { PacketRecord, ReceiverFrameRecord, RecordSink } from '../shared/records.ts';
import { parseRtp, RtpParseError, type RtpPacket } from '../shared/rtp/packet.ts';
import { encodePli } from '../shared/rtcp/pli.ts';
import { FrameAssembler } from './frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS, type AssembledFrame, type AssemblerOutput } from './frame-assembler-types.ts';
import { ReceiveRecovery } from './protection/receive-chain.ts';
import { realtimeReceiveOptions, type RealtimeRecoveryPlan } from './protection/realtime-options.ts';


export interface VideoReceiverOptions {
  decoder: NativeDecoder;
  records: RecordSink;
  /** sends one serialized RTCP packet to the sender */
  sendRtcp: (packet: Buffer) => Promise<void>;
  /** minimum time between two keyframe requests, ms */
  pliIntervalMs: number;
  /** our RTCP sender SSRC */
  localSsrc: number;
  /**
   * ms a complete frame waits for missing earlier packets before they are given up; 0 releases at
   * once (pure latency: nothing here can recover a lost packet yet)
   */
  maxWaitMs: number;
  /** loss recovery (RTX unwrap, FEC, NACK requester); undefined = none */
  recovery?: RealtimeRecoveryPlan;
  onError: (error: Error) => void;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const nsToMs = (ns: bigint): number => Number(ns) / 1e6;

/**
 * The real-time receiving pipeline of one video stream: raw RTP → frame assembler → decoder (one
 * at a time, off the event loop) → marker read, writing a record per packet and per frame, and
 * asking for a keyframe when a frame cannot be decoded.
 */
export class VideoReceiver {
  framesReceived = 0;
  framesDisplayed = 0;
  keyframeRequests = 0;
  badPackets = 0;
  recoveredByRtx = 0;
  recoveredByFec = 0;
  nacksSent = 0;
  /** built on the first media packet, when its SSRC and payload type are known */
  private recovery: ReceiveRecovery | undefined;
  private readonly assembler: FrameAssembler;
  private timer: NodeJS.Timeout | undefined;
  private readonly decodeQueue: AssembledFrame[] = [];
  private decoding: Promise<void> | undefined;
  private lastPliMs = -Infinity;
  private mediaSsrc: number | undefined;
  private readonly recentG2g: { atMs: number; g2gMs: number }[] = [];

  constructor(private readonly options: VideoReceiverOptions) {
    // ULPFEC packets take media sequence numbers: one lost on the link leaves a gap after a frame's last packet
    const ulpfec = options.recovery !== undefined && options.recovery.mode !== 'nack' && options.recovery.fecScheme === 'ulpfec';
    this.assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, maxWaitMs: options.maxWaitMs, ...(ulpfec ? { gapAfterMarkerIsNonMedia: true } : {}) });
  }

  /** Takes one RTP packet as it came off the transport, with its arrival time. */
  handleRtp(raw: Buffer, arrivalNs: bigint): void {
    const arrivalMs = nsToMs(arrivalNs);
    const packet = parseRtp(raw);
    if (packet instanceof RtpParseError) {
      this.badPackets++;
      this.options.records.write({ type: 'event', side: 'receiver', timeMs: arrivalMs, name: 'bad-rtp', detail: { code: packet.code, size: raw.length } });
      return;
    }
    if (this.options.recovery) return this.handleProtectedRtp(raw, packet, arrivalMs, this.options.recovery);
    this.mediaSsrc ??= packet.ssrc;
    this.options.records.write(incomingPacketRecord(packet, raw.length, arrivalMs, 'media'));
    this.assembler.insert(packet, arrivalMs);
    this.drainAssembler(arrivalMs);
  }

  /**
   * With recovery on: every packet goes through the recovery chain (RTX unwrapped, FEC decoded,
   * gaps NACKed); media (received or recovered) goes on to the assembler.
   */
  private handleProtectedRtp(raw: Buffer, packet: RtpPacket, arrivalMs: number, plan: RealtimeRecoveryPlan): void {
    const kind = packetKind(packet, plan);
    const record = incomingPacketRecord(packet, raw.length, arrivalMs, kind);
    // RFC 4588: an RTX payload starts with the original sequence number
    if (kind === 'rtx' && packet.payload.length >= 2) record.originalSeq = (packet.payload[0]! << 8) | packet.payload[1]!;
    this.options.records.write(record);
    if (kind === 'media' && !this.recovery) {
      this.mediaSsrc = packet.ssrc;
      // media inside RED: its own payload type is the RED block's
      const payloadType = packet.payloadType === plan.streams.red.payloadType && packet.payload.length > 0 ? packet.payload[0]! & 0x7f : packet.payloadType;
      this.recovery = new ReceiveRecovery(realtimeReceiveOptions(plan, { ssrc: packet.ssrc, payloadType }, this.options.localSsrc));
    }
    if (!this.recovery) return; // recovery packets before any media: nothing to recover yet
    this.recovery.receive(raw, arrivalMs);
    this.drainRecovery(arrivalMs);
    this.drainAssembler(arrivalMs);
  }

  /** Takes one RTCP datagram from the sender (its SRs give our RRs their LSR/DLSR). */
  handleRtcp(raw: Buffer, arrivalNs: bigint): void {
    this.recovery?.handleRtcp(raw, nsToMs(arrivalNs));
    this.drainRecovery(nsToMs(arrivalNs));
  }

  /** Passes the recovery chain's media to the assembler and sends its RTCP (NACK). */
  private drainRecovery(now: number): void {
    const recovery = this.recovery;
    if (!recovery) return;
    for (let e = recovery.pollOutput(); e !== undefined; e = recovery.pollOutput()) {
      if (e.type === 'media') {
        const media = parseRtp(e.packet);
        if (media instanceof RtpParseError) continue;
        if (e.recoveredBy) {
          if (e.recoveredBy === 'rtx') this.recoveredByRtx++;
          else this.recoveredByFec++;
          this.options.records.write({
            type: 'packet', side: 'receiver', dir: 'in', ssrc: media.ssrc, seq: media.sequenceNumber, pt: media.payloadType, kind: 'media',
            size: e.packet.length, timeMs: now, rtpTimestamp: media.timestamp, recoveredBy: e.recoveredBy,
          } satisfies PacketRecord);
        }
        this.assembler.insert(media, now);
      } else if (e.type === 'fec-seq') {
        // a ULPFEC packet holds this media sequence number: not a gap
        this.assembler.insertNonMedia(e.seq, now);
      } else if (e.type === 'rtcp') {
        if (e.kind === 'nack') this.nacksSent++;
        this.options.records.write({ type: 'feedback', side: 'receiver', dir: 'out', kind: e.kind, timeMs: now, by: 'lab', ...(e.seqs ? { seqs: e.seqs } : {}) });
        this.options.sendRtcp(Buffer.from(e.packet.buffer, e.packet.byteOffset, e.packet.length)).catch((error: Error) => this.options.onError(error));
      } else if (e.type === 'too-late' || e.type === 'nack-given-up' || e.type === 'spurious-rtx') {
        const { type, timeMs: _t, ...detail } = e;
        this.options.records.write({ type: 'event', side: 'receiver', timeMs: now, name: type, detail });
      }
    }
  }

  /** Drives the assembler's waits (missing packets, incomplete-frame age) and the NACK retries in real time. */
  private schedule(): void {
    const dues = [this.assembler.pollTimeout(), this.recovery?.pollTimeout()].filter((t): t is number => t !== undefined);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (dues.length === 0) return;
    const due = Math.min(...dues);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = nowMs();
      if (this.recovery) {
        this.recovery.handleTimeout(now);
        this.drainRecovery(now);
      }
      this.assembler.handleTimeout(now);
      this.drainAssembler(now);
    }, Math.max(0, due - nowMs()));
  }

  /** Stops: frames still waiting are recorded as never displayed; resolves when decoding is done. */
  async finish(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // Give up whatever still waits: frames incomplete at the end are recorded as such.
    this.assembler.handleTimeout(nowMs() + 3_600_000);
    this.drainAssembler(nowMs(), false);
    while (this.decoding) await this.decoding;
  }

  /** Glass-to-glass p50 over the last second, ms (progress display). */
  recentG2gP50(): number | undefined {
    const cutoff = nowMs() - 1000;
    while (this.recentG2g.length > 0 && this.recentG2g[0]!.atMs < cutoff) this.recentG2g.shift();
    if (this.recentG2g.length === 0) return undefined;
    const sorted = this.recentG2g.map((s) => s.g2gMs).sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)];
  }

  private drainAssembler(now: number, reschedule = true): void {
    let output: AssemblerOutput | undefined;
    while ((output = this.assembler.pollOutput())) {
      switch (output.type) {
        case 'frame':
          this.framesReceived++;
          if (!output.frame.decodable) {
            this.writeFrame(output.frame, { notDisplayed: 'not-decodable' });
            this.requestKeyframe(now, 'not-decodable');
            break;
          }
          this.decodeQueue.push(output.frame);
          this.decoding ??= this.decodeLoop();
          break;
        case 'frame-dropped':
          this.options.records.write({
            type: 'frame',
            side: 'receiver',
            rtpTimestamp: output.rtpTimestamp,
            firstPacketMs: output.firstPacketMs,
            lastPacketMs: output.lastPacketMs,
            packets: output.packets,
            notDisplayed: `incomplete:${output.reason}`,
          } satisfies ReceiverFrameRecord);
          break;
        case 'gap-skipped':
          this.options.records.write({ type: 'event', side: 'receiver', timeMs: now, name: 'gap-skipped', detail: { fromSeq: output.fromSeq, toSeq: output.toSeq, missingPackets: output.missingPackets, reason: output.reason } });
          break;
        case 'keyframe-needed':
          this.requestKeyframe(now, output.reason);
          break;
      }
    }
    if (reschedule) this.schedule();
  }

  private async decodeLoop(): Promise<void> {
    try {
      let frame: AssembledFrame | undefined;
      while ((frame = this.decodeQueue.shift())) {
        let pictures: DecodedFrame[];
        try {
          pictures = await this.options.decoder.decode(frame.accessUnit);
        } catch {
          this.writeFrame(frame, { notDisplayed: 'decode-error' });
          this.requestKeyframe(nowMs(), 'decode-error');
          continue;
        }
        const picture = pictures[pictures.length - 1];
        if (!picture) {
          this.writeFrame(frame, { notDisplayed: 'decoder-held' });
          continue;
        }
        this.onDecoded(frame, picture);
      }
    } catch (error) {
      this.options.onError(error as Error);
    } finally {
      this.decoding = undefined;
    }
  }

  private onDecoded(frame: AssembledFrame, picture: DecodedFrame): void {
    const marker = picture.marker;
    const markerReadMs = picture.markerReadNs !== undefined ? nsToMs(picture.markerReadNs) : undefined;
    const fields: Partial<ReceiverFrameRecord> = {
      decodeStartMs: nsToMs(picture.decodeStartNs),
      decodeDoneMs: nsToMs(picture.decodeDoneNs),
      ...(markerReadMs !== undefined ? { markerReadMs } : {}),
    };
    if (marker?.ok) {
      this.framesDisplayed++;
      const captureMs = nsToMs(marker.captureTimeNs);
      if (markerReadMs !== undefined) this.recentG2g.push({ atMs: markerReadMs, g2gMs: markerReadMs - captureMs });
      this.writeFrame(frame, { ...fields, marker: 'ok', frameId: marker.frameId, captureMs });
    } else {
      this.framesDisplayed++;
      this.writeFrame(frame, { ...fields, marker: marker ? marker.reason : 'check-failed' });
    }
  }

  private writeFrame(frame: AssembledFrame, rest: Partial<ReceiverFrameRecord>): void {
    const record: ReceiverFrameRecord = {
      type: 'frame',
      side: 'receiver',
      rtpTimestamp: frame.rtpTimestamp,
      firstPacketMs: frame.firstPacketMs,
      lastPacketMs: frame.lastPacketMs,
      ...(frame.completeMs !== undefined ? { completeMs: frame.completeMs } : {}),
      keyframe: frame.keyframe,
      packets: frame.packets,
      ...rest,
    };
    this.options.records.write(record);
  }

  private requestKeyframe(now: number, reason: string): void {
    if (this.mediaSsrc === undefined || now - this.lastPliMs < this.options.pliIntervalMs) return;
    this.lastPliMs = now;
    this.keyframeRequests++;
    this.options.records.write({ type: 'feedback', side: 'receiver', dir: 'out', kind: 'pli', timeMs: now, reason });
    this.options.sendRtcp(Buffer.from(encodePli({ senderSsrc: this.options.localSsrc, mediaSsrc: this.mediaSsrc }))).catch((error: Error) => this.options.onError(error));
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
function incomingPacketRecord(packet: RtpPacket, size: number, arrivalMs: number, kind: PacketRecord['kind']): PacketRecord {
  return {
    type: 'packet',
    side: 'receiver',
    dir: 'in',
    ssrc: packet.ssrc,
    seq: packet.sequenceNumber,
    pt: packet.payloadType,
    kind,
    size,
    timeMs: arrivalMs,
    rtpTimestamp: packet.timestamp,
  };
}
