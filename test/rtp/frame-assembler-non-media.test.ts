import { describe, expect, it } from 'vitest';
import { FrameAssembler } from '../../src/receiver/frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS, type AssemblerOutput, type FrameAssemblerOptions } from '../../src/receiver/frame-assembler-types.ts';
import { H264PacketizeError, H264Packetizer } from '../../src/sender/h264/packetizer.ts';
import { isRtpParseError, parseRtp, type RtpPacket } from '../../src/shared/rtp/packet.ts';
import { seqAdd, timestampAdd } from '../../src/shared/rtp/seq.ts';

/**
 * Packetizes access units 3000 ticks apart; `fecAfter[i]` sequence numbers are left after frame i
 * for ULPFEC packets, as the send chain lays them out.
 */
function packetize(units: Buffer[][], fecAfter: number[], firstSeq = 65530): { frames: RtpPacket[][]; fecSeqs: number[][] } {
  const p = new H264Packetizer({
    maxPacketBytes: 1200, payloadType: 96, ssrc: 1, csrcs: [], fecOverheadBytes: 0, rtxOverheadBytes: 0,
    extensions: {}, extensionProfile: 'one-byte', aggregate: true,
  });
  let seq = firstSeq;
  const fecSeqs: number[][] = [];
  const frames = units.map((nals, i) => {
    const frame = p.packetize({ accessUnit: nals, rtpTimestamp: timestampAdd(1000, i * 3000), firstSequenceNumber: seq });
    if (frame instanceof H264PacketizeError) throw new Error(frame.message);
    seq = frame.nextSequenceNumber;
    const fec: number[] = [];
    for (let k = 0; k < (fecAfter[i] ?? 0); k++) {
      fec.push(seq);
      seq = seqAdd(seq, 1);
    }
    fecSeqs.push(fec);
    return frame.packets.map((x) => {
      const parsed = parseRtp(x.data);
      if (isRtpParseError(parsed)) throw new Error(parsed.message);
      return parsed;
    });
  });
  return { frames, fecSeqs };
}

const assembler = (options: Partial<FrameAssemblerOptions> = {}) => new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, maxWaitMs: 1000, ...options });
function drain(a: FrameAssembler): AssemblerOutput[] {
  const out: AssemblerOutput[] = [];
  for (let o = a.pollOutput(); o; o = a.pollOutput()) out.push(o);
  return out;
}
const kinds = (outputs: AssemblerOutput[]) => outputs.map((o) => (o.type === 'frame' ? `frame:${o.frame.rtpTimestamp}:${o.frame.decodable ? 'ok' : 'broken'}` : o.type === 'frame-dropped' ? `dropped:${o.rtpTimestamp}:${o.reason}` : o.type));

const aud = Buffer.from([0x09, 0xf0]);
const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0x8c]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const slice = (type: 1 | 5, bytes: number, fill: number) => Buffer.concat([Buffer.from([type === 5 ? 0x65 : 0x41]), Buffer.alloc(bytes - 1, fill)]);
const key = (fill: number) => [aud, sps, pps, slice(5, 3000, fill)];
/** a P-frame as x264 writes it: AUD first, so its start is known even after a gap */
const delta = (fill: number) => [aud, slice(1, 2500, fill)];
/** a P-frame without AUD: its start is only known from the packet before it */
const bareDelta = (fill: number) => [slice(1, 2500, fill)];

describe('frame assembler: non-media (ULPFEC) sequence numbers', () => {
  it('received FEC seqs between frames fill their numbers: the next frame is released at once, decodable, across the wrap', () => {
    const { frames, fecSeqs } = packetize([key(1), delta(2), delta(3)], [2, 1, 0]);
    const a = assembler();
    for (const p of frames[0]!) a.insert(p, 0);
    expect(a.insertNonMedia(fecSeqs[0]![1]!, 1)).toBe('non-media');
    expect(a.insertNonMedia(fecSeqs[0]![1]!, 1)).toBe('duplicate');
    for (const p of frames[1]!) a.insert(p, 2);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']); // the first FEC seq is still unknown
    expect(a.insertNonMedia(fecSeqs[0]![0]!, 3)).toBe('non-media');
    expect(kinds(drain(a))).toEqual(['frame:4000:ok']);
    expect(a.insertNonMedia(fecSeqs[0]![0]!, 4)).toBe('late');
    expect(a.insertNonMedia(fecSeqs[1]![0]!, 5)).toBe('non-media');
    expect(a.insertNonMedia(fecSeqs[1]![0]!, 5)).toBe('late'); // the boundary moved over it
    for (const p of frames[2]!) a.insert(p, 6);
    expect(kinds(drain(a))).toEqual(['frame:7000:ok']);
    expect(a.needsKeyframe).toBe(false);
    expect(a.bufferedPackets).toBe(0);
  });

  it('a FEC notice inside a buffered frame\'s range is refused and the frame still completes', () => {
    const { frames } = packetize([key(1), delta(2)], [0, 0]);
    const a = assembler();
    const [first, middle, ...rest] = frames[0]!;
    expect(middle).toBeDefined();
    a.insert(first!, 0);
    for (const p of rest) a.insert(p, 0);
    expect(a.insertNonMedia(middle!.sequenceNumber, 1)).toBe('refused');
    a.insert(middle!, 2);
    for (const p of frames[1]!) a.insert(p, 3);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok', 'frame:4000:ok']);
  });

  it('by default a lost FEC seq makes the next frame wait maxWaitMs and breaks the chain', () => {
    const { frames } = packetize([key(1), delta(2)], [1, 0]);
    const a = assembler();
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!) a.insert(p, 1);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']);
    a.handleTimeout(1000);
    expect(kinds(drain(a))).toEqual([]);
    a.handleTimeout(1001);
    expect(kinds(drain(a))).toEqual(['gap-skipped', 'keyframe-needed', 'frame:4000:broken']);
  });

  it('gapAfterMarkerIsNonMedia: a lost FEC seq after a released marker does not hold a frame with a known start', () => {
    const { frames } = packetize([key(1), delta(2), delta(3)], [2, 1, 0]);
    const a = assembler({ gapAfterMarkerIsNonMedia: true });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!) a.insert(p, 1);
    for (const p of frames[2]!) a.insert(p, 2);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok', 'frame:4000:ok', 'frame:7000:ok']);
    expect(a.needsKeyframe).toBe(false);
  });

  it('gapAfterMarkerIsNonMedia: a frame whose start is not known (no AUD after the gap) still waits', () => {
    const { frames } = packetize([key(1), bareDelta(2)], [1, 0]);
    const a = assembler({ gapAfterMarkerIsNonMedia: true });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!) a.insert(p, 1);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']);
  });

  it('gapAfterMarkerIsNonMedia: without AUD, a first slice of a picture (first_mb_in_slice 0) after the gap is a known start', () => {
    // slice data 0x88…: first bit 1 → first_mb_in_slice = 0 (the packetizer splits it into FU-A)
    const { frames } = packetize([key(1), bareDelta(0x88)], [1, 0]);
    const a = assembler({ gapAfterMarkerIsNonMedia: true });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!) a.insert(p, 1);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok', 'frame:4000:ok']);
    // without the option the same frame waits for the gap
    const b = assembler();
    for (const p of frames[0]!) b.insert(p, 0);
    for (const p of frames[1]!) b.insert(p, 1);
    expect(kinds(drain(b))).toEqual(['frame:1000:ok']);
  });

  it('gapAfterMarkerIsNonMedia: a gap holding a packet of a dropped frame, or after a skip, is not taken for non-media', () => {
    const { frames } = packetize([key(1), delta(2), delta(3), delta(4)], [0, 0, 0, 0]);
    const a = assembler({ gapAfterMarkerIsNonMedia: true, maxIncompleteAgeMs: 100 });
    for (const p of frames[0]!) a.insert(p, 0);
    a.insert(frames[1]![0]!, 1); // frame 4000 arrives partly and ages out
    a.handleTimeout(101);
    for (const p of frames[2]!) a.insert(p, 102);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok', 'dropped:4000:age', 'keyframe-needed']);
    a.handleTimeout(102 + 1000); // gives the gap up: boundary is now a skip point, not a marker
    expect(kinds(drain(a))).toEqual(['gap-skipped', 'frame:7000:broken']);
    const later = frames[3]!;
    for (const p of later) a.insert({ ...p, sequenceNumber: seqAdd(p.sequenceNumber, 1) }, 1200);
    expect(kinds(drain(a))).toEqual(['frame:10000:broken']); // released across the gap after a marker; the chain stays broken
  });

  it('gapAfterMarkerIsNonMedia: a frame lost whole in the gap is missed (the documented trade-off)', () => {
    const { frames } = packetize([key(1), delta(2), delta(3)], [0, 0, 0]);
    const a = assembler({ gapAfterMarkerIsNonMedia: true });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[2]!) a.insert(p, 2);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok', 'frame:7000:ok']);
  });
});
