/**
 * Options, inputs and outputs of the frame assembler (`frame-assembler.ts`).
 */

import type { StartCodeBytes } from '../shared/h264/annexb.ts';
import type { RtpPacket } from '../shared/rtp/packet.ts';

/** Limits and waits of the frame assembler. */
export interface FrameAssemblerOptions {
  /** packets held at most (all frames together); the oldest frame is dropped beyond this */
  maxPackets: number;
  /** frames (RTP timestamps) held at most; the oldest frame is dropped beyond this */
  maxFrames: number;
  /**
   * ms a complete frame waits for missing earlier packets (NACK/RTX, FEC) before the assembler
   * gives them up and releases it; 0 = release at once (pure latency). A complete keyframe never
   * waits.
   */
  maxWaitMs: number;
  /** ms after its first packet an incomplete frame is dropped */
  maxIncompleteAgeMs: number;
  /** start code written before each NAL unit of the rebuilt access unit */
  startCodeBytes: StartCodeBytes;
  /**
   * Treat missing sequence numbers that lie entirely after the last released frame's marker
   * packet as non-media (a lost ULPFEC or padding packet) when the next complete frame's start is
   * known: that frame is released at once, in order and decodable. Off by default: a frame lost
   * whole leaves the same gap, and is then missed silently (see `frame-assembler.ts`).
   */
  gapAfterMarkerIsNonMedia?: boolean;
}

/** Defaults: room for ~1 s of 30 fps video at 10 Mbit/s, 200 ms wait, 4-byte start codes. */
export const DEFAULT_FRAME_ASSEMBLER_OPTIONS: FrameAssemblerOptions = {
  maxPackets: 2048,
  maxFrames: 64,
  maxWaitMs: 200,
  maxIncompleteAgeMs: 1000,
  startCodeBytes: 4,
};

/** What the assembler needs of an RTP packet. `payload` is kept: the caller must not reuse its memory. */
export type AssemblerPacket = Pick<RtpPacket, 'sequenceNumber' | 'timestamp' | 'marker' | 'payload'>;

/**
 * What happened to an inserted packet. 'padding': an empty payload (RTP padding sent between
 * frames, e.g. for bandwidth probing) that only fills its sequence number.
 */
export type InsertResult = 'buffered' | 'duplicate' | 'late' | 'padding';

/**
 * What happened to a non-media notice (`insertNonMedia`): 'non-media' fills the sequence number;
 * 'refused' when it lies inside a buffered frame's packets (ignored).
 */
export type NonMediaResult = 'non-media' | 'duplicate' | 'late' | 'refused';

/** One complete access unit. */
export interface AssembledFrame {
  /** uint32, 90 kHz */
  rtpTimestamp: number;
  /** Annex-B access unit rebuilt from the NAL units */
  accessUnit: Buffer;
  /** nal_unit_type of each NAL unit, in order */
  nalTypes: number[];
  /** holds an IDR slice, with SPS and PPS in this frame or an earlier one */
  keyframe: boolean;
  /** a decoder that got every frame released so far can decode it: keyframe, or no frame missing since one */
  decodable: boolean;
  /** uint16 sequence numbers of the first and last (marker) packet */
  firstSeq: number;
  lastSeq: number;
  /** extended (unwrapped) sequence numbers of the first and last packet */
  firstExtSeq: number;
  lastExtSeq: number;
  packets: number;
  /** arrival times of the earliest- and latest-arriving packet, ms */
  firstPacketMs: number;
  lastPacketMs: number;
  /** when the last missing packet arrived, ms */
  completeMs: number;
}

/** Why frames or packets were given up. */
export type DropReason = 'skipped' | 'age' | 'overflow' | 'depacketize-error';

/** Outputs, drained with `pollOutput()`. */
export type AssemblerOutput =
  | { type: 'frame'; frame: AssembledFrame }
  /** a partly received (or undecodable) frame was given up */
  | {
      type: 'frame-dropped';
      rtpTimestamp: number;
      reason: DropReason;
      packets: number;
      firstPacketMs: number;
      lastPacketMs: number;
      /** depacketizer error code when reason is 'depacketize-error' */
      errorCode?: string;
    }
  /** sequence numbers given up for good (frames entirely lost have no timestamp to report) */
  | { type: 'gap-skipped'; fromSeq: number; toSeq: number; missingPackets: number; reason: DropReason }
  /** decodability is lost until the next keyframe; emitted once per loss */
  | { type: 'keyframe-needed'; reason: DropReason | 'not-decodable' };
