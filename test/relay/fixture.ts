/**
 * Access units for the relay tests: real frames of the Vulkan scene (lavapipe, 320x180 readback)
 * encoded by the lab's x264 encoder, with injected capture times so every run feeds the same
 * bitstream; and the NAL comparison the byte-exactness checks use.
 */
import { splitAnnexB } from '../../src/shared/h264/annexb.ts';
import { NalType, nalType } from '../../src/shared/h264/nal.ts';
import { loadNative } from '../../src/native/addon.ts';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer } from '../../src/sender/h264/packetizer.ts';
import { parseRtp, RtpParseError, type RtpPacket } from '../../src/shared/rtp/packet.ts';

export const WIDTH = 320;
export const HEIGHT = 180;
export const FPS = 30;
/** keyframe interval, frames */
export const GOP = 15;
/** injected capture time of frame 0 and the step per frame, ns */
export const FIRST_NS = 5_000_000_000n;
export const STEP_NS = 33_333_333n;

export interface Unit {
  frameId: number;
  data: Buffer;
  keyframe: boolean;
  captureTimeNs: bigint;
}

/** Encodes `count` scene frames (x264, 600 kbit/s, qpMax 40 so every marker survives). */
export async function encodeUnits(count: number): Promise<Unit[]> {
  const native = loadNative();
  const source = new native.FrameSource({ width: WIDTH, height: HEIGHT, fps: FPS, capturePath: 'readback', pixelFormat: 'i420', testCaptureTime: { firstNs: FIRST_NS, stepNs: STEP_NS } });
  const encoder = new native.Encoder({ codec: 'x264', width: WIDTH, height: HEIGHT, fps: FPS, bitrateBps: 600_000, gop: GOP, qpMax: 40 });
  const units: Unit[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const frame = await source.captureOne();
      const unit = await encoder.encode(frame);
      if (!unit) throw new Error(`frame ${i}: x264 held the frame back`);
      units.push({ frameId: unit.frameId, data: unit.data, keyframe: unit.keyframe, captureTimeNs: unit.captureTimeNs });
    }
  } finally {
    source.close();
    encoder.close();
  }
  return units;
}

/**
 * What the comparison ignores: SPS (7) and PPS (8), which muxers and ffmpeg's h264_mp4toannexb
 * may repeat or move (FLV carries them once in the AVC sequence header, RTSP in the SDP too), and
 * access unit delimiters (9), which the mpegts muxer inserts before every access unit. Start code
 * length (3 or 4 bytes) and trailing zero bytes are not part of a NAL unit. Everything else (SEI,
 * IDR and non-IDR slices) must arrive byte for byte, in order.
 */
export const IGNORED_NAL_TYPES: ReadonlySet<number> = new Set([NalType.Sps, NalType.Pps, NalType.Aud]);

/** NAL units of an Annex-B stream that the comparison keeps. */
export function comparedNals(stream: Buffer): Buffer[] {
  return splitAnnexB(stream).filter((nal) => !IGNORED_NAL_TYPES.has(nalType(nal[0] ?? 0)));
}

/** Distinct parameter sets (SPS, PPS) of a stream, hex. */
export function parameterSets(stream: Buffer): Set<string> {
  return new Set(
    splitAnnexB(stream)
      .filter((nal) => {
        const t = nalType(nal[0] ?? 0);
        return t === NalType.Sps || t === NalType.Pps;
      })
      .map((nal) => nal.toString('hex')),
  );
}

/**
 * Each unit's RTP packets as a forwarder's first hop hands them on (the lab's packetizer, no
 * extensions, RTP time from the capture time), parsed; sequence numbers from `firstSeq`.
 */
export function upstreamPackets(list: readonly Unit[], firstSeq: number): RtpPacket[][] {
  const packetizer = new H264Packetizer({ ...DEFAULT_H264_PACKETIZER_OPTIONS, payloadType: 102, ssrc: 0xabcdef01, extensions: {} });
  let seq = firstSeq;
  return list.map((unit) => {
    const frame = packetizer.packetize({ accessUnit: unit.data, rtpTimestamp: Number(((unit.captureTimeNs * 9n) / 100_000n) & 0xffff_ffffn), firstSequenceNumber: seq });
    if (frame instanceof H264PacketizeError) throw new Error(frame.message);
    seq = frame.nextSequenceNumber;
    return frame.packets.map((p) => {
      const parsed = parseRtp(p.data);
      if (parsed instanceof RtpParseError) throw new Error(parsed.message);
      return parsed;
    });
  });
}
