/**
 * Frame assembler, sans-I/O: RTP packets in any order (duplicates, reordering) → complete H.264
 * access units in sequence order, with keyframe and decodability flags, and events for what was
 * given up so the receiver can request a keyframe.
 *
 * A frame (one RTP timestamp) is complete when its packets run without a gap from its first packet
 * to its marker packet. Its first packet is known when the packet before it belongs to another
 * timestamp (or is the end of the last released frame); it is guessed when the packet before is
 * missing and it begins with an AUD or SPS (a keyframe after loss, the stream's first frame).
 * Frames are released in sequence order; a complete frame behind missing packets waits
 * `maxWaitMs`, unless it is a keyframe whose start is proven. At stream start (nothing released
 * yet) the lowest complete frame is released at once, guessed start or not. Sequence numbers that
 * carry no media fill their place: empty-payload padding packets, and `insertNonMedia` notices
 * (ULPFEC in RED). With `gapAfterMarkerIsNonMedia`, a gap right after a released frame's marker
 * is taken for non-media (a lost ULPFEC packet) when the next frame's start is known.
 */

import { joinAnnexB } from '../shared/h264/annexb.ts';
import { NalType, nalType } from '../shared/h264/nal.ts';
import { SeqUnwrapper, seqFromExtended } from '../shared/rtp/seq.ts';
import {
  type AssembledFrame,
  type AssemblerOutput,
  type AssemblerPacket,
  type DropReason,
  type FrameAssemblerOptions,
  type InsertResult,
  type NonMediaResult,
} from './frame-assembler-types.ts';
import { H264DepacketizeError, depacketizeH264, firstNalTypeBegun } from './h264/depacketizer.ts';

interface StoredPacket {
  payload: Uint8Array;
  timestamp: number;
  arrivalMs: number;
}

interface FrameState {
  timestamp: number;
  minSeq: number;
  maxSeq: number;
  markerSeq: number | undefined;
  count: number;
  /** extended seqs of the packets held, in arrival order */
  seqs: number[];
  firstArrivalMs: number;
  lastArrivalMs: number;
  /** set once complete and depacketized */
  completeMs?: number;
  nals?: Uint8Array[];
  /** the first packet is known from its neighbour, not guessed from its content (AUD/SPS) */
  startProven?: boolean;
  hasIdr?: boolean;
  hasSps?: boolean;
  hasPps?: boolean;
}

/** Remembered timestamps of dropped frames (late packets of them are refused), count. */
const DROPPED_TIMESTAMPS_KEPT = 64;
/** `seqTimestamps` value of a padding packet: belongs to no frame (RTP timestamps are ≥ 0). */
const PADDING = -1;

/**
 * Assembles the H.264 frames of one RTP stream (one SSRC, media payload type; the caller demuxes
 * and unwraps RTX). Sans-I/O: `insert` packets with their arrival time, drain `pollOutput`, and
 * call `handleTimeout` at `pollTimeout`.
 */
export class FrameAssembler {
  private readonly unwrapper = new SeqUnwrapper();
  private readonly packets = new Map<number, StoredPacket>();
  /** extended seq → RTP timestamp of packets seen recently (also after release or drop), to find frame starts */
  private readonly seqTimestamps = new Map<number, number>();
  private readonly frames = new Map<number, FrameState>();
  private readonly droppedTimestamps = new Set<number>();
  /** extended seqs of padding packets beyond the boundary */
  private readonly paddingSeqs = new Set<number>();
  private readonly outputs: AssemblerOutput[] = [];
  /** extended seq of the last packet released or skipped; undefined before the first release */
  private boundary: number | undefined;
  /** the boundary is the marker packet of a released frame (not a point skipped to) */
  private boundaryAtMarker = false;
  private chainOk = false;
  private keyframeRequested = false;
  private haveSps = false;
  private havePps = false;
  /** earliest time handleTimeout may have work (a lower bound), ms */
  private deadlineHintMs = Infinity;

  constructor(private readonly options: FrameAssemblerOptions) {
    if (options.maxPackets < 1 || options.maxFrames < 1 || options.maxWaitMs < 0 || options.maxIncompleteAgeMs < 0) {
      throw new RangeError('FrameAssembler: limits must be ≥ 1 and waits ≥ 0');
    }
  }

  /** True while frames are not decodable until the next keyframe. */
  get needsKeyframe(): boolean {
    return !this.chainOk;
  }

  /** Packets currently held. */
  get bufferedPackets(): number {
    return this.packets.size;
  }

  /**
   * Inserts one received (or recovered) packet at `nowMs`; drain `pollOutput()` afterwards.
   * `extSeq`: its sequence number as the caller unwrapped it (the receive chain unwraps each
   * stream once at its edge); without it the assembler unwraps itself. Feed it one way or the
   * other, never both.
   */
  insert(packet: AssemblerPacket, nowMs: number, extSeq?: number): InsertResult {
    const seq = extSeq ?? this.unwrapper.unwrap(packet.sequenceNumber);
    if (this.boundary !== undefined && seq <= this.boundary) return 'late';
    if (this.packets.has(seq) || this.seqTimestamps.get(seq) === PADDING) return 'duplicate';
    if (packet.payload.length === 0) return this.insertPadding(seq, nowMs);
    if (this.droppedTimestamps.has(packet.timestamp)) return 'late';

    let frame = this.frames.get(packet.timestamp);
    if (!frame) {
      frame = { timestamp: packet.timestamp, minSeq: seq, maxSeq: seq, markerSeq: undefined, count: 0, seqs: [], firstArrivalMs: nowMs, lastArrivalMs: nowMs };
      this.frames.set(packet.timestamp, frame);
      this.deadlineHintMs = Math.min(this.deadlineHintMs, nowMs + this.options.maxIncompleteAgeMs);
    }
    this.packets.set(seq, { payload: packet.payload, timestamp: packet.timestamp, arrivalMs: nowMs });
    this.seqTimestamps.set(seq, packet.timestamp);
    frame.count++;
    frame.seqs.push(seq);
    // A packet outside a frame thought complete (its start was guessed from content): think again.
    if (frame.completeMs !== undefined) frame.completeMs = frame.nals = undefined;
    frame.minSeq = Math.min(frame.minSeq, seq);
    frame.maxSeq = Math.max(frame.maxSeq, seq);
    frame.lastArrivalMs = nowMs;
    if (packet.marker) frame.markerSeq = seq;

    let changed = this.checkComplete(frame, nowMs);
    const next = this.frames.get(this.seqTimestamps.get(seq + 1) ?? PADDING);
    if (next && next !== frame) changed = this.checkComplete(next, nowMs) || changed;
    this.enforceLimits();
    if (changed) this.release(nowMs);
    if (nowMs >= this.deadlineHintMs) this.handleTimeout(nowMs);
    return 'buffered';
  }

  /**
   * Tells the assembler that uint16 `seq` carries no media (a ULPFEC packet in RED, which takes
   * media sequence numbers after its frame's packets; libwebrtc's packet buffer gets the same
   * "padding" notice). It then fills its sequence number like an empty-payload padding packet, so
   * a frame behind it neither waits `maxWaitMs` nor loses decodability. Refused when `seq` lies
   * inside a buffered frame's range (between its lowest and highest packet held): media sequence
   * numbers of one frame are contiguous, so the notice is wrong and would keep that frame from
   * completing. 'late' at or below the last released packet, 'duplicate' when already known.
   */
  insertNonMedia(seq: number, nowMs: number, extSeq?: number): NonMediaResult {
    const ext = extSeq ?? this.unwrapper.unwrap(seq);
    if (this.boundary !== undefined && ext <= this.boundary) return 'late';
    if (this.packets.has(ext) || this.seqTimestamps.get(ext) === PADDING) return 'duplicate';
    for (const frame of this.frames.values()) if (ext > frame.minSeq && ext < frame.maxSeq) return 'refused';
    this.insertPadding(ext, nowMs);
    return 'non-media';
  }

  private insertPadding(seq: number, nowMs: number): InsertResult {
    this.seqTimestamps.set(seq, PADDING);
    this.paddingSeqs.add(seq);
    this.advanceOverPadding();
    const next = this.frames.get(this.seqTimestamps.get(seq + 1) ?? PADDING);
    if (next) this.checkComplete(next, nowMs);
    this.checkCompleteAfterBoundary(nowMs);
    this.enforceLimits();
    this.release(nowMs);
    return 'padding';
  }

  /** Moves the boundary over padding packets that directly follow it. */
  private advanceOverPadding(): void {
    while (this.boundary !== undefined && this.paddingSeqs.delete(this.boundary + 1)) this.boundary++;
  }

  /** The frame right after the boundary may have just become provably started. */
  private checkCompleteAfterBoundary(nowMs: number): void {
    if (this.boundary === undefined) return;
    const after = this.frames.get(this.seqTimestamps.get(this.boundary + 1) ?? PADDING);
    if (after) this.checkComplete(after, nowMs);
  }

  /** Next output, or undefined when there is none. */
  pollOutput(): AssemblerOutput | undefined {
    return this.outputs.shift();
  }

  /** When `handleTimeout` next has work, ms; undefined when nothing waits. */
  pollTimeout(): number | undefined {
    let earliest = Infinity;
    // of the complete frames only the lowest one's wait counts: `release` skips to no other
    // (a later frame that completed sooner would otherwise give a due time with nothing to do)
    let head: FrameState | undefined;
    for (const frame of this.frames.values()) {
      if (frame.completeMs === undefined) earliest = Math.min(earliest, frame.firstArrivalMs + this.options.maxIncompleteAgeMs);
      else if (!head || frame.minSeq < head.minSeq) head = frame;
    }
    if (head) earliest = Math.min(earliest, head.completeMs! + this.options.maxWaitMs);
    return earliest === Infinity ? undefined : earliest;
  }

  /** Applies the waits that expired by `nowMs`: drops old incomplete frames, stops waiting for missing packets. */
  handleTimeout(nowMs: number): void {
    for (const frame of [...this.frames.values()]) {
      if (frame.completeMs === undefined && nowMs >= frame.firstArrivalMs + this.options.maxIncompleteAgeMs) {
        this.dropFrame(frame, 'age');
      }
    }
    this.release(nowMs);
    this.deadlineHintMs = this.pollTimeout() ?? Infinity;
  }

  /** Depacketizes `frame` when it is complete; returns true when it just became complete. */
  private checkComplete(frame: FrameState, nowMs: number): boolean {
    if (frame.completeMs !== undefined || frame.markerSeq === undefined) return false;
    if (frame.maxSeq !== frame.markerSeq || frame.count !== frame.markerSeq - frame.minSeq + 1) return false;
    const start = this.frameStart(frame.minSeq, frame.timestamp);
    if (start === 'no') return false;
    frame.startProven = start === 'proven';
    const payloads: Uint8Array[] = [];
    for (let seq = frame.minSeq; seq <= frame.markerSeq; seq++) payloads.push(this.packets.get(seq)!.payload);
    const nals = depacketizeH264(payloads);
    if (nals instanceof H264DepacketizeError) {
      this.dropFrame(frame, 'depacketize-error', nals.code);
      return true;
    }
    frame.nals = nals;
    frame.hasIdr = frame.hasSps = frame.hasPps = false;
    for (const nal of nals) {
      const type = nalType(nal[0]!);
      if (type === NalType.IdrSlice) frame.hasIdr = true;
      else if (type === NalType.Sps) frame.hasSps = true;
      else if (type === NalType.Pps) frame.hasPps = true;
    }
    frame.completeMs = nowMs;
    this.deadlineHintMs = Math.min(this.deadlineHintMs, nowMs + this.options.maxWaitMs);
    return true;
  }

  /**
   * Whether `seq` starts the frame of `timestamp`: 'proven' when the packet before it is the end of
   * the last released frame or belongs to another timestamp; 'guessed' when the packet before it
   * is missing and `seq` begins with an AUD or SPS (which H.264 §7.4.1.2.3 only allows before a
   * picture's slices; an AUD or SEI before an SPS may still be missing).
   */
  private frameStart(seq: number, timestamp: number): 'proven' | 'guessed' | 'no' {
    if (this.boundary !== undefined && seq === this.boundary + 1) return 'proven';
    const before = this.seqTimestamps.get(seq - 1);
    if (before !== undefined) return before !== timestamp ? 'proven' : 'no';
    const payload = this.packets.get(seq)!.payload;
    const begun = firstNalTypeBegun(payload);
    if (begun === NalType.Aud || begun === NalType.Sps) return 'guessed';
    // encoders without AUDs (x264 by default): with ULPFEC gaps taken for non-media, the first
    // slice of a picture (first_mb_in_slice = 0, §7.4.3; no arbitrary slice order) starts it too
    if (this.options.gapAfterMarkerIsNonMedia === true && beginsPicture(payload)) return 'guessed';
    return 'no';
  }

  /** Releases complete frames in order; skips missing packets for a keyframe or after `maxWaitMs`. */
  private release(nowMs: number): void {
    for (;;) {
      let head: FrameState | undefined;
      let firstKeyframe: FrameState | undefined;
      let lowestSeq = Infinity;
      for (const frame of this.frames.values()) {
        lowestSeq = Math.min(lowestSeq, frame.minSeq);
        if (frame.completeMs === undefined) continue;
        if (!head || frame.minSeq < head.minSeq) head = frame;
        if (frame.startProven && this.isKeyframe(frame) && (!firstKeyframe || frame.minSeq < firstKeyframe.minSeq)) firstKeyframe = frame;
      }
      if (!head) return;
      const inOrder = this.boundary === undefined ? lowestSeq === head.minSeq : head.minSeq === this.boundary + 1 || (lowestSeq === head.minSeq && this.gapIsNonMedia(head.minSeq));
      if (inOrder) {
        this.emitFrame(head, true);
      } else if (firstKeyframe) {
        this.skipTo(firstKeyframe.minSeq, 'skipped');
        this.emitFrame(firstKeyframe, false);
      } else if (nowMs >= head.completeMs! + this.options.maxWaitMs) {
        this.skipTo(head.minSeq, 'skipped');
        this.emitFrame(head, false);
      } else {
        return;
      }
      this.advanceOverPadding();
      this.checkCompleteAfterBoundary(nowMs);
    }
  }

  /**
   * With `gapAfterMarkerIsNonMedia`: whether the missing seqs between the boundary and `firstSeq`
   * (the first packet of the lowest frame held, which is complete) may be taken for non-media.
   *
   * Why the frame itself is whole: it is complete from its first packet to its marker packet, and
   * its start is proven (the packet before belongs elsewhere) or guessed from an AUD or SPS, which
   * H.264 only allows first in an access unit, so none of its own packets lie in the gap. The gap
   * begins right after a released frame's marker packet (not after a point skipped to), so it holds
   * no packet of that frame either; no packet held or remembered in it carries media. What it can
   * hold is ULPFEC in RED (which takes media seqs after its frame), padding, or a frame lost whole.
   * Neither this assembler nor libwebrtc's packet buffer can tell these apart (libwebrtc waits for
   * its padding notice or a keyframe); the option trades that last case (a P-frame whose reference
   * is missing, decoded with artefacts until the next keyframe) for never stalling on a lost FEC
   * packet. Hence off by default.
   */
  private gapIsNonMedia(firstSeq: number): boolean {
    if (this.options.gapAfterMarkerIsNonMedia !== true || !this.boundaryAtMarker || this.boundary === undefined) return false;
    for (let seq = this.boundary + 1; seq < firstSeq; seq++) {
      const timestamp = this.seqTimestamps.get(seq);
      if (timestamp !== undefined && timestamp !== PADDING) return false;
    }
    return true;
  }

  /** IDR with SPS and PPS, in this frame or in a frame released before. */
  private isKeyframe(frame: FrameState): boolean {
    return frame.hasIdr === true && (frame.hasSps === true || this.haveSps) && (frame.hasPps === true || this.havePps);
  }

  private emitFrame(frame: FrameState, inOrder: boolean): void {
    const keyframe = this.isKeyframe(frame);
    const decodable = keyframe || (this.chainOk && inOrder);
    const nals = frame.nals!;
    const nalTypes = nals.map((nal) => nalType(nal[0]!));
    if (frame.hasSps) this.haveSps = true;
    if (frame.hasPps) this.havePps = true;
    let firstPacketMs = Infinity;
    let lastPacketMs = -Infinity;
    for (let seq = frame.minSeq; seq <= frame.markerSeq!; seq++) {
      const arrival = this.packets.get(seq)!.arrivalMs;
      firstPacketMs = Math.min(firstPacketMs, arrival);
      lastPacketMs = Math.max(lastPacketMs, arrival);
      this.packets.delete(seq);
    }
    this.frames.delete(frame.timestamp);
    this.boundary = frame.markerSeq!;
    this.boundaryAtMarker = true;
    this.chainOk = decodable;
    if (keyframe) this.keyframeRequested = false;
    else if (!decodable) this.requestKeyframe('not-decodable');
    const assembled: AssembledFrame = {
      rtpTimestamp: frame.timestamp,
      accessUnit: joinAnnexB(nals, this.options.startCodeBytes),
      nalTypes,
      keyframe,
      decodable,
      firstSeq: seqFromExtended(frame.minSeq),
      lastSeq: seqFromExtended(frame.markerSeq!),
      firstExtSeq: frame.minSeq,
      lastExtSeq: frame.markerSeq!,
      packets: frame.count,
      firstPacketMs,
      lastPacketMs,
      completeMs: frame.completeMs!,
    };
    this.outputs.push({ type: 'frame', frame: assembled });
  }

  /** Gives up everything before extended seq `toSeq`: frames below it are dropped, missing seqs reported. */
  private skipTo(toSeq: number, reason: DropReason): void {
    for (const frame of [...this.frames.values()]) {
      if (frame.minSeq < toSeq) this.dropFrame(frame, reason);
    }
    if (this.boundary !== undefined && toSeq - 1 > this.boundary) {
      let missing = 0;
      for (let seq = this.boundary + 1; seq < toSeq; seq++) if (!this.seqTimestamps.has(seq)) missing++;
      this.outputs.push({ type: 'gap-skipped', fromSeq: seqFromExtended(this.boundary + 1), toSeq: seqFromExtended(toSeq - 1), missingPackets: missing, reason });
    }
    this.boundary = toSeq - 1;
    this.boundaryAtMarker = false;
    this.chainOk = false;
    this.requestKeyframe(reason);
  }

  private dropFrame(frame: FrameState, reason: DropReason, errorCode?: string): void {
    let firstPacketMs = Infinity;
    let lastPacketMs = -Infinity;
    for (const seq of frame.seqs) {
      const packet = this.packets.get(seq)!;
      firstPacketMs = Math.min(firstPacketMs, packet.arrivalMs);
      lastPacketMs = Math.max(lastPacketMs, packet.arrivalMs);
      this.packets.delete(seq);
    }
    this.frames.delete(frame.timestamp);
    this.droppedTimestamps.add(frame.timestamp);
    if (this.droppedTimestamps.size > DROPPED_TIMESTAMPS_KEPT) {
      this.droppedTimestamps.delete(this.droppedTimestamps.values().next().value!);
    }
    const event: AssemblerOutput = { type: 'frame-dropped', rtpTimestamp: frame.timestamp, reason, packets: frame.count, firstPacketMs, lastPacketMs };
    if (errorCode !== undefined) event.errorCode = errorCode;
    this.outputs.push(event);
    this.chainOk = false;
    this.requestKeyframe(reason);
  }

  private requestKeyframe(reason: DropReason | 'not-decodable'): void {
    if (this.keyframeRequested) return;
    this.keyframeRequested = true;
    this.outputs.push({ type: 'keyframe-needed', reason });
  }

  /** Drops the oldest frames while over the packet or frame limit; trims the seq → timestamp memory. */
  private enforceLimits(): void {
    while (this.packets.size > this.options.maxPackets || this.frames.size > this.options.maxFrames) {
      let oldest: FrameState | undefined;
      for (const frame of this.frames.values()) if (!oldest || frame.minSeq < oldest.minSeq) oldest = frame;
      if (!oldest) break;
      this.dropFrame(oldest, 'overflow');
    }
    for (const seq of this.paddingSeqs) {
      if (this.paddingSeqs.size <= this.options.maxPackets) break;
      this.paddingSeqs.delete(seq);
    }
    const keep = this.options.maxPackets * 2;
    if (this.seqTimestamps.size > keep) {
      for (const seq of this.seqTimestamps.keys()) {
        if (this.seqTimestamps.size <= keep) break;
        this.seqTimestamps.delete(seq);
      }
    }
  }
}

/**
 * Whether an RTP payload begins a slice NAL (single NAL, FU-A start, or STAP-A's first unit) whose
 * first_mb_in_slice is 0: the ue(v) right after the NAL header is 0 exactly when its first bit is 1.
 */
function beginsPicture(payload: Uint8Array): boolean {
  const type = firstNalTypeBegun(payload);
  if (type !== NalType.NonIdrSlice && type !== NalType.IdrSlice) return false;
  const outer = nalType(payload[0]!);
  const at = outer === NalType.StapA ? 4 : outer === NalType.FuA ? 2 : 1;
  return payload.length > at && (payload[at]! & 0x80) !== 0;
}
