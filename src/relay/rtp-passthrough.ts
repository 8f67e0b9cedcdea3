/**
 * The WebRTC relay's packet step, sans-I/O: media RTP packets the forwarder received (plain or
 * recovered by its own NACK/RTX and FEC on the first hop) go out on a target hop with only their
 * SSRC, payload type, sequence number and timestamp rewritten, and header extension ids mapped by
 * URI onto the target hop's (an extension the target hop did not negotiate is dropped). Payloads
 * are never touched: no depacketizing, no re-encoding.
 *
 * - It starts at a keyframe: packets are held back (one frame's worth) until a packet carrying an
 *   IDR slice or SPS shows up; that frame's packets go out first, everything before is dropped.
 * - Sequence numbers keep the first hop's spacing (downstream = first + (upstream − base)), so a
 *   packet the first hop lost and recovered later fills the same hole on the target hop, and the
 *   target's NACKs name packets this forwarder knows.
 * - Timestamps keep their distance from the first frame's (RTP time, 90 kHz), so frame timing is
 *   preserved exactly; only the origin moves.
 * - A history of what went out answers the target's NACKs with RTX (RFC 4588) on the hop's RTX
 *   stream (src/relay/whip-hop.ts).
 */
import { serializeRtp, type RtpPacket } from '../shared/rtp/packet.ts';
import { NewestSeqUnwrapper, seqFromExtended } from '../shared/rtp/seq.ts';
import { NalType, nalType } from '../shared/h264/nal.ts';
import { readRtpLayout, wrapRtx } from '../shared/rtx-format.ts';

export interface RtpPassthroughOptions {
  /** the target hop's media SSRC and payload type (uint32, 7-bit) */
  ssrc: number;
  payloadType: number;
  /** first sequence number (uint16) and timestamp (uint32) on the target hop */
  firstSeq: number;
  firstTimestamp: number;
  /** upstream extension id → the target hop's id (extensions absent here are dropped) */
  extensionIds: ReadonlyMap<number, number>;
  /** the target hop's RTX stream; undefined = NACKs are not answered */
  rtx?: { ssrc: number; payloadType: number };
  /** packets kept for retransmission (a power of two); default 1024 */
  historyPackets?: number;
}

/** What became of one upstream packet. */
export type PassthroughResult =
  | { kind: 'forward'; packet: Buffer; seq: number; timestamp: number }
  /** no keyframe yet: held (it may go out with its frame) or dropped */
  | { kind: 'waiting' }
  /** released together with a keyframe that just arrived: every held packet of that frame, in order */
  | { kind: 'start'; packets: Array<{ packet: Buffer; seq: number; timestamp: number }> }
  /** already sent, or older than the start */
  | { kind: 'duplicate' }
  | { kind: 'too-old' };

export interface PassthroughCounters {
  forwarded: number;
  /** packets dropped before the first keyframe */
  droppedBeforeKeyframe: number;
  duplicates: number;
  tooOld: number;
  /** NACKed sequence numbers answered / not in the history */
  retransmitted: number;
  notInHistory: number;
}

/** Whether an H.264 RTP payload (RFC 6184) carries an IDR slice or an SPS, or starts one (FU-A). */
export function payloadStartsKeyframe(payload: Uint8Array): boolean {
  if (payload.length === 0) return false;
  const type = nalType(payload[0]!);
  if (type === NalType.IdrSlice || type === NalType.Sps) return true;
  if (type === NalType.FuA) return payload.length >= 2 && (payload[1]! & 0x80) !== 0 && nalType(payload[1]!) === NalType.IdrSlice;
  if (type === NalType.StapA) {
    // 1-byte STAP-A header, then (16-bit size, NAL unit) pairs
    for (let o = 1; o + 2 < payload.length; ) {
      const size = (payload[o]! << 8) | payload[o + 1]!;
      const inner = nalType(payload[o + 2]!);
      if (inner === NalType.IdrSlice || inner === NalType.Sps) return true;
      o += 2 + size;
    }
  }
  return false;
}

export class RtpPassthrough {
  readonly counters: PassthroughCounters = { forwarded: 0, droppedBeforeKeyframe: 0, duplicates: 0, tooOld: 0, retransmitted: 0, notInHistory: 0 };
  private readonly upstream = new NewestSeqUnwrapper();
  /** extended upstream sequence number of the first packet sent, once started */
  private baseExt: number | undefined;
  private baseTimestamp = 0;
  /** held before the start: the packets of the newest timestamp seen */
  private held: Array<{ packet: RtpPacket; ext: number }> = [];
  private readonly history: Array<{ ext: number; bytes: Buffer } | undefined>;
  private readonly historyMask: number;
  private rtxSeq = 0;

  constructor(private readonly options: RtpPassthroughOptions) {
    const size = options.historyPackets ?? 1024;
    if (!(Number.isInteger(size) && size > 0 && (size & (size - 1)) === 0)) throw new RangeError(`historyPackets must be a power of two (got ${size})`);
    this.history = new Array<{ ext: number; bytes: Buffer } | undefined>(size);
    this.historyMask = size - 1;
  }

  get started(): boolean {
    return this.baseExt !== undefined;
  }

  /** Takes one upstream media packet (already parsed). */
  accept(packet: RtpPacket): PassthroughResult {
    const ext = this.upstream.unwrap(packet.sequenceNumber);
    if (this.baseExt === undefined) {
      const newest = this.held[0]?.packet.timestamp;
      if (newest !== undefined && newest !== packet.timestamp) {
        // a packet of a later frame: what was held can no longer start a keyframe
        if (((packet.timestamp - newest) | 0) < 0) {
          this.counters.droppedBeforeKeyframe++;
          return { kind: 'waiting' };
        }
        this.counters.droppedBeforeKeyframe += this.held.length;
        this.held = [];
      }
      this.held.push({ packet, ext });
      if (!payloadStartsKeyframe(packet.payload)) return { kind: 'waiting' };
      // the frame's packets so far, in sequence order, start the target hop's stream
      const frame = this.held.sort((a, b) => a.ext - b.ext);
      this.held = [];
      this.baseExt = frame[0]!.ext;
      this.baseTimestamp = packet.timestamp;
      return { kind: 'start', packets: frame.map((h) => this.emit(h.packet, h.ext)) };
    }
    if (ext < this.baseExt) {
      this.counters.tooOld++;
      return { kind: 'too-old' };
    }
    const slot = this.history[ext & this.historyMask];
    if (slot?.ext === ext) {
      this.counters.duplicates++;
      return { kind: 'duplicate' };
    }
    return { kind: 'forward', ...this.emit(packet, ext) };
  }

  /**
   * RTX packets answering a NACK for these target-hop sequence numbers (uint16), from the
   * history; numbers no longer (or never) there are counted and skipped.
   */
  retransmit(seqs: readonly number[]): Buffer[] {
    const rtx = this.options.rtx;
    if (!rtx || this.baseExt === undefined) return [];
    const out: Buffer[] = [];
    for (const seq of seqs) {
      const entry = this.history[this.extFromDownstream(seq) & this.historyMask];
      if (!entry || this.downstreamSeq(entry.ext) !== (seq & 0xffff)) {
        this.counters.notInHistory++;
        continue;
      }
      const layout = readRtpLayout(entry.bytes);
      if (!layout.ok) continue;
      out.push(Buffer.from(wrapRtx(entry.bytes, layout.value, rtx.ssrc, rtx.payloadType, this.rtxSeq)));
      this.rtxSeq = (this.rtxSeq + 1) & 0xffff;
      this.counters.retransmitted++;
    }
    return out;
  }

  private emit(packet: RtpPacket, ext: number): { packet: Buffer; seq: number; timestamp: number } {
    const seq = this.downstreamSeq(ext);
    const timestamp = (this.options.firstTimestamp + ((packet.timestamp - this.baseTimestamp) >>> 0)) >>> 0;
    const extensions = new Map<number, Uint8Array>();
    for (const [id, value] of packet.extensions) {
      const mapped = this.options.extensionIds.get(id);
      if (mapped !== undefined) extensions.set(mapped, value);
    }
    // the extension layout is chosen afresh for the mapped ids; a non-RFC 8285 block is not passed on
    const { extensionProfile: _profile, rawExtension: _raw, ...rest } = packet;
    const rewritten: RtpPacket = {
      ...rest,
      ssrc: this.options.ssrc,
      payloadType: this.options.payloadType,
      sequenceNumber: seq,
      timestamp,
      extensions,
    };
    const bytes = serializeRtp(rewritten);
    this.history[ext & this.historyMask] = { ext, bytes };
    this.counters.forwarded++;
    return { packet: bytes, seq, timestamp };
  }

  private downstreamSeq(ext: number): number {
    return seqFromExtended(this.options.firstSeq + (ext - this.baseExt!));
  }

  /** The extended upstream number a target-hop sequence number stands for (nearest the newest sent). */
  private extFromDownstream(seq: number): number {
    const newest = this.upstream.newestSeen ?? 0;
    const newestDown = this.downstreamSeq(newest);
    return newest + (((seq - newestDown + 0x8000) & 0xffff) - 0x8000);
  }
}
