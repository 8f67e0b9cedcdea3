import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAssembler } from '../../src/receiver/frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS, type AssembledFrame } from '../../src/receiver/frame-assembler-types.ts';
import { H264PacketizeError, H264Packetizer } from '../../src/sender/h264/packetizer.ts';
import { RtpTimestampClock } from '../../src/sender/rtp-clock.ts';
import { splitAnnexB } from '../../src/shared/h264/annexb.ts';
import { NalType, nalType } from '../../src/shared/h264/nal.ts';
import { isRtpParseError, parseRtp, type RtpPacket } from '../../src/shared/rtp/packet.ts';
import { shuffledWithDuplicatesArb } from './arbitraries.ts';

const stream = readFileSync(new URL('./fixtures/x264-320x240-12f-aud-2slices.h264', import.meta.url));

/** Access units of the stream: each starts at an AUD. */
function accessUnits(): Uint8Array[][] {
  const units: Uint8Array[][] = [];
  for (const nal of splitAnnexB(stream)) {
    if (nalType(nal[0]!) === NalType.Aud || units.length === 0) units.push([]);
    units.at(-1)!.push(nal);
  }
  return units;
}

function packetizeAll(units: Uint8Array[][], mtu: number): RtpPacket[][] {
  const packetizer = new H264Packetizer({
    maxPacketBytes: mtu, payloadType: 102, ssrc: 5, csrcs: [], fecOverheadBytes: 0, rtxOverheadBytes: 2,
    extensions: {}, extensionProfile: 'one-byte', aggregate: true,
  });
  const clock = new RtpTimestampClock({ clockRateHz: 90_000, seed: 3 });
  let seq = 65_500;
  return units.map((nals, i) => {
    const frame = packetizer.packetize({ accessUnit: nals, rtpTimestamp: clock.fromMs((i * 1000) / 30), firstSequenceNumber: seq });
    if (frame instanceof H264PacketizeError) throw new Error(frame.message);
    seq = frame.nextSequenceNumber;
    return frame.packets.map((p) => {
      expect(p.data.length).toBeLessThanOrEqual(mtu - 2);
      const parsed = parseRtp(p.data);
      if (isRtpParseError(parsed)) throw new Error(parsed.message);
      return parsed;
    });
  });
}

function assemble(arrivals: RtpPacket[][], maxWaitMs: number): { frames: AssembledFrame[]; keyframeRequests: number } {
  const assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, maxWaitMs });
  const frames: AssembledFrame[] = [];
  let keyframeRequests = 0;
  let now = 0;
  const drain = () => {
    for (let o = assembler.pollOutput(); o; o = assembler.pollOutput()) {
      if (o.type === 'frame') frames.push(o.frame);
      if (o.type === 'keyframe-needed') keyframeRequests++;
    }
  };
  for (const frame of arrivals) {
    now += 33;
    for (const packet of frame) assembler.insert(packet, now);
    drain();
    assembler.handleTimeout(now);
    drain();
  }
  return { frames, keyframeRequests };
}

describe('a real x264 stream through packetizer and assembler', () => {
  const units = accessUnits();

  it('has the structure the fixture promises', () => {
    expect(units).toHaveLength(12);
    expect(units.map((u) => u.some((n) => nalType(n[0]!) === NalType.IdrSlice))).toEqual([true, false, false, false, false, false, true, false, false, false, false, false]);
  });

  it('round-trips every access unit at any MTU with reordering and duplicates inside frames', () => {
    const arb = fc.integer({ min: 300, max: 1500 }).chain((mtu) => {
      const frames = packetizeAll(units, mtu);
      return fc.tuple(...frames.map((f) => shuffledWithDuplicatesArb(f)));
    });
    fc.assert(
      fc.property(arb, (arrivals) => {
        const { frames, keyframeRequests } = assemble(arrivals, 100);
        expect(keyframeRequests).toBe(0);
        expect(frames.map((f) => splitAnnexB(f.accessUnit).map((n) => Buffer.from(n).toString('hex')))).toEqual(
          units.map((u) => u.map((n) => Buffer.from(n).toString('hex'))),
        );
        expect(frames.map((f) => f.keyframe)).toEqual(units.map((_, i) => i % 6 === 0));
        expect(frames.every((f) => f.decodable)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('a lost packet makes the rest of the GOP undecodable and asks for a keyframe; the next IDR recovers', () => {
    const frames = packetizeAll(units, 600);
    const arrivals = frames.map((f, i) => (i === 2 ? f.slice(1) : f));
    const { frames: out, keyframeRequests } = assemble(arrivals, 0);
    expect(keyframeRequests).toBe(1);
    // frame 2 lost; 3..5 released but not decodable; 6.. decodable again
    expect(out.map((f) => [frames.findIndex((p) => p[0]!.timestamp === f.rtpTimestamp), f.decodable])).toEqual([
      [0, true], [1, true], [3, false], [4, false], [5, false], [6, true], [7, true], [8, true], [9, true], [10, true], [11, true],
    ]);
  });
});
