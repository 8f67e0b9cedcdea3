import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameAssembler } from '../../src/receiver/frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS, type AssembledFrame, type AssemblerOutput, type FrameAssemblerOptions } from '../../src/receiver/frame-assembler-types.ts';
import { H264PacketizeError, H264Packetizer } from '../../src/sender/h264/packetizer.ts';
import { joinAnnexB } from '../../src/shared/h264/annexb.ts';
import { isRtpParseError, parseRtp, type RtpPacket } from '../../src/shared/rtp/packet.ts';
import { seqAdd, timestampAdd } from '../../src/shared/rtp/seq.ts';
import { keyframeArb, orderedAccessUnitArb, shuffledWithDuplicatesArb } from './arbitraries.ts';

/** Packetizes access units into parsed RTP packets, one list per frame, 3000 ticks apart. */
function packetize(units: Buffer[][], mtu = 1200, firstSeq = 100, firstTs = 1000): RtpPacket[][] {
  const p = new H264Packetizer({
    maxPacketBytes: mtu, payloadType: 96, ssrc: 1, csrcs: [], fecOverheadBytes: 0, rtxOverheadBytes: 0,
    extensions: {}, extensionProfile: 'one-byte', aggregate: true,
  });
  let seq = firstSeq;
  return units.map((nals, i) => {
    const frame = p.packetize({ accessUnit: nals, rtpTimestamp: timestampAdd(firstTs, i * 3000), firstSequenceNumber: seq });
    if (frame instanceof H264PacketizeError) throw new Error(frame.message);
    seq = frame.nextSequenceNumber;
    return frame.packets.map((x) => {
      const parsed = parseRtp(x.data);
      if (isRtpParseError(parsed)) throw new Error(parsed.message);
      return parsed;
    });
  });
}

function assembler(options: Partial<FrameAssemblerOptions> = {}): FrameAssembler {
  return new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, ...options });
}

function drain(a: FrameAssembler): AssemblerOutput[] {
  const out: AssemblerOutput[] = [];
  for (let o = a.pollOutput(); o; o = a.pollOutput()) out.push(o);
  return out;
}

const framesOf = (outputs: AssemblerOutput[]): AssembledFrame[] => outputs.flatMap((o) => (o.type === 'frame' ? [o.frame] : []));
const kinds = (outputs: AssemblerOutput[]) => outputs.map((o) => (o.type === 'frame' ? `frame:${o.frame.rtpTimestamp}:${o.frame.decodable ? 'ok' : 'broken'}` : o.type === 'frame-dropped' ? `dropped:${o.rtpTimestamp}:${o.reason}` : o.type));

// Small synthetic NAL units: SPS, PPS, IDR, non-IDR of chosen sizes.
const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0x8c]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const slice = (type: 1 | 5, bytes: number, fill: number) => Buffer.concat([Buffer.from([type === 5 ? 0x65 : 0x41]), Buffer.alloc(bytes - 1, fill)]);
const key = (fill: number) => [sps, pps, slice(5, 3000, fill)];
const delta = (fill: number) => [slice(1, 2500, fill)];

describe('frame assembler: properties', () => {
  it('reordering and duplicates within each frame still assemble every frame, in order, decodable', () => {
    const arb = fc
      .tuple(keyframeArb(8000), fc.array(fc.oneof(orderedAccessUnitArb(8000, 'idr'), orderedAccessUnitArb(8000, 'non-idr')), { maxLength: 4 }), fc.integer({ min: 300, max: 1500 }), fc.integer({ min: 0, max: 65535 }))
      .chain(([first, rest, mtu, seq]) => {
        const frames = packetize([first, ...rest], mtu, seq, 0xffff_f000); // timestamps wrap after the first frame
        return fc.tuple(fc.constant([first, ...rest]), fc.tuple(...frames.map((f) => shuffledWithDuplicatesArb(f))));
      });
    fc.assert(
      fc.property(arb, ([units, arrivals]) => {
        const a = assembler();
        let now = 0;
        for (const frame of arrivals) for (const packet of frame) a.insert(packet, (now += 0.1));
        const outputs = drain(a);
        expect(kinds(outputs)).toEqual(units.map((_, i) => `frame:${timestampAdd(0xffff_f000, i * 3000)}:ok`));
        const frames = framesOf(outputs);
        expect(frames.map((f) => f.accessUnit.toString('hex'))).toEqual(units.map((u) => joinAnnexB(u).toString('hex')));
        expect(frames.every((f) => f.decodable)).toBe(true);
        expect(frames[0]!.keyframe).toBe(true);
        expect(a.bufferedPackets).toBe(0);
        expect(a.needsKeyframe).toBe(false);
      }),
      { numRuns: 120 },
    );
  });

  // Only the first frame is a keyframe: a complete keyframe supersedes earlier incomplete frames at once.
  it('any shuffle across frames (stream start first) assembles in order when waits allow', () => {
    const arb = fc
      .tuple(keyframeArb(4000), fc.array(orderedAccessUnitArb(4000, 'non-idr'), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 65535 }))
      .chain(([first, rest, seq]) => {
        const all = packetize([first, ...rest], 600, seq).flat();
        return fc.tuple(fc.constant([first, ...rest]), fc.constant(all[0]!), shuffledWithDuplicatesArb(all.slice(1)));
      });
    fc.assert(
      fc.property(arb, ([units, firstPacket, rest]) => {
        const a = assembler({ maxWaitMs: 10_000, maxIncompleteAgeMs: 10_000 });
        a.insert(firstPacket, 0);
        rest.forEach((p, i) => a.insert(p, i + 1));
        const frames = framesOf(drain(a));
        expect(frames.map((f) => f.rtpTimestamp)).toEqual(units.map((_, i) => timestampAdd(1000, i * 3000)));
        expect(frames.map((f) => f.accessUnit.toString('hex'))).toEqual(units.map((u) => joinAnnexB(u).toString('hex')));
      }),
      { numRuns: 100 },
    );
  });

  it('never throws and stays bounded on arbitrary packets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ sequenceNumber: fc.integer({ min: 0, max: 40 }), timestamp: fc.integer({ min: 0, max: 5 }), marker: fc.boolean(), payload: fc.uint8Array({ minLength: 0, maxLength: 12 }) }), { maxLength: 120 }),
        (packets) => {
          const a = assembler({ maxPackets: 16, maxFrames: 4, maxWaitMs: 5, maxIncompleteAgeMs: 20 });
          packets.forEach((p, i) => {
            a.insert(p, i);
            expect(a.bufferedPackets).toBeLessThanOrEqual(16);
          });
          a.handleTimeout(1e6);
          drain(a);
          expect(a.bufferedPackets).toBe(0);
          expect(a.pollTimeout()).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('frame assembler: loss and recovery', () => {
  it('waits maxWaitMs for a lost packet, then skips it, reports it, and marks frames undecodable until a keyframe', () => {
    const frames = packetize([key(1), delta(2), delta(3), delta(4), key(5)]);
    const lost = frames[2]![1]!; // middle packet of the second delta frame
    const a = assembler({ maxWaitMs: 50 });
    let now = 0;
    for (const frame of frames.slice(0, 4)) for (const p of frame) if (p !== lost) a.insert(p, (now += 1));
    expect(kinds(drain(a))).toEqual(['frame:1000:ok', 'frame:4000:ok']);
    const due = a.pollTimeout()!;
    expect(due).toBe(now + 50);
    a.handleTimeout(due - 1);
    expect(drain(a)).toEqual([]);
    a.handleTimeout(due);
    const outputs = drain(a);
    expect(kinds(outputs)).toEqual(['dropped:7000:skipped', 'keyframe-needed', 'gap-skipped', 'frame:10000:broken']);
    expect(outputs[2]).toMatchObject({ type: 'gap-skipped', fromSeq: frames[2]![0]!.sequenceNumber, toSeq: frames[2]!.at(-1)!.sequenceNumber, missingPackets: 1 });
    expect(a.needsKeyframe).toBe(true);
    expect(a.insert(lost, now + 60)).toBe('late');
    for (const p of frames[4]!) a.insert(p, (now += 100));
    const after = framesOf(drain(a));
    expect(after.map((f) => [f.keyframe, f.decodable])).toEqual([[true, true]]);
    expect(a.needsKeyframe).toBe(false);
  });

  it('a retransmission that arrives in time completes the frame and keeps decodability', () => {
    const frames = packetize([key(1), delta(2), delta(3)]);
    const lost = frames[1]![0]!;
    const a = assembler({ maxWaitMs: 50 });
    for (const frame of frames) for (const p of frame) if (p !== lost) a.insert(p, 1);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']);
    a.insert(lost, 30);
    const out = framesOf(drain(a));
    expect(out.map((f) => [f.rtpTimestamp, f.decodable])).toEqual([[4000, true], [7000, true]]);
    expect(out[0]!.firstPacketMs).toBe(1);
    expect(out[0]!.lastPacketMs).toBe(30);
    expect(out[0]!.completeMs).toBe(30);
  });

  it('a complete keyframe behind a gap is released at once, superseding what is missing', () => {
    const frames = packetize([key(1), delta(2), key(3)]);
    const a = assembler({ maxWaitMs: 10_000 });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!.slice(1)) a.insert(p, 1);
    for (const p of frames[2]!) a.insert(p, 2);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok', 'dropped:4000:skipped', 'keyframe-needed', 'gap-skipped', 'frame:7000:ok']);
  });

  it('a keyframe whose start is only guessed (packet before it lost) waits maxWaitMs before superseding', () => {
    const aud = Buffer.from([0x09, 0xf0]);
    const frames = packetize([key(1), delta(2), [aud, ...key(3)]], 1200);
    const a = assembler({ maxWaitMs: 40 });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!.slice(0, -1)) a.insert(p, 1); // D1's marker packet lost
    for (const p of frames[2]!) a.insert(p, 2); // AUD+SPS+PPS STAP-A first: start guessed
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']);
    expect(a.pollTimeout()).toBe(42);
    a.handleTimeout(42);
    expect(kinds(drain(a))).toEqual(['dropped:4000:skipped', 'keyframe-needed', 'gap-skipped', 'frame:7000:ok']);
  });

  it('maxWaitMs 0 skips at once when a later frame completes', () => {
    const frames = packetize([key(1), delta(2), delta(3)]);
    const lost = frames[1]![1]!;
    const a = assembler({ maxWaitMs: 0 });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!) if (p !== lost) a.insert(p, 1);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']);
    for (const p of frames[2]!) a.insert(p, 2);
    expect(kinds(drain(a))).toEqual(['dropped:4000:skipped', 'keyframe-needed', 'gap-skipped', 'frame:7000:broken']);
  });

  it('a lost marker packet hides where the next frame starts: the frame after that resolves it', () => {
    const frames = packetize([key(1), delta(2), delta(3), delta(4)]);
    const a = assembler({ maxWaitMs: 0 });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!.slice(0, -1)) a.insert(p, 1); // marker packet lost
    for (const p of frames[2]!) a.insert(p, 2); // intact, but its first packet may follow a lost one of its own
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']);
    for (const p of frames[3]!) a.insert(p, 3);
    expect(kinds(drain(a))).toEqual(['dropped:4000:skipped', 'keyframe-needed', 'dropped:7000:skipped', 'gap-skipped', 'frame:10000:broken']);
  });

  it('drops an incomplete frame after maxIncompleteAgeMs', () => {
    const frames = packetize([key(1), delta(2)]);
    const a = assembler({ maxIncompleteAgeMs: 300 });
    for (const p of frames[0]!) a.insert(p, 0);
    for (const p of frames[1]!.slice(0, -1)) a.insert(p, 10);
    drain(a);
    expect(a.pollTimeout()).toBe(310);
    a.handleTimeout(310);
    expect(drain(a)).toEqual([
      { type: 'frame-dropped', rtpTimestamp: 4000, reason: 'age', packets: frames[1]!.length - 1, firstPacketMs: 10, lastPacketMs: 10 },
      { type: 'keyframe-needed', reason: 'age' },
    ]);
    expect(a.insert(frames[1]!.at(-1)!, 400)).toBe('late');
  });

  it('stream starting mid-GOP: delta frames are dropped, the first keyframe is decodable', () => {
    const frames = packetize([delta(1), delta(2), key(3), delta(4)]);
    const a = assembler({ maxWaitMs: 10_000 });
    for (const frame of frames) for (const p of frame) a.insert(p, 0);
    expect(kinds(drain(a))).toEqual(['dropped:1000:skipped', 'keyframe-needed', 'dropped:4000:skipped', 'frame:7000:ok', 'frame:10000:ok']);
  });

  it('drops the oldest frame when over its limits', () => {
    const frames = packetize([key(1), delta(2), delta(3), delta(4)]);
    const a = assembler({ maxFrames: 2 });
    for (const frame of frames) a.insert(frame[0]!, 0); // first packet of each: nothing completes
    const out = drain(a);
    expect(kinds(out)).toEqual(['dropped:1000:overflow', 'keyframe-needed', 'dropped:4000:overflow']);
  });

  it('assembles across the sequence number wrap', () => {
    const frames = packetize([key(1), delta(2), delta(3)], 1200, 65533);
    const a = assembler();
    for (const frame of frames) for (const p of [...frame].reverse()) a.insert(p, 0);
    const out = framesOf(drain(a));
    expect(out.map((f) => [f.firstSeq, f.lastSeq, f.decodable])).toEqual(frames.map((f) => [f[0]!.sequenceNumber, f.at(-1)!.sequenceNumber, true]));
    // extended numbers keep counting through the wrap (the keyframe's 4 packets are 65533..65535, 0)
    expect(out[0]!.lastExtSeq - out[0]!.firstExtSeq).toBe(3);
    expect(out[1]!.firstExtSeq).toBe(out[0]!.lastExtSeq + 1);
    expect(out[2]!.firstExtSeq).toBe(out[1]!.lastExtSeq + 1);
  });

  it('padding packets between frames fill their sequence numbers, in any order', () => {
    const frames = packetize([key(1), delta(2)], 1200, 10);
    // renumber the delta frame two later, leaving room for two padding packets
    const delta2 = frames[1]!.map((p) => ({ ...p, sequenceNumber: seqAdd(p.sequenceNumber, 2) }));
    const lastKey = frames[0]!.at(-1)!;
    const pad = (k: number): RtpPacket => ({ ...lastKey, marker: false, sequenceNumber: seqAdd(lastKey.sequenceNumber, k), payload: Buffer.alloc(0), paddingBytes: 200 });
    const a = assembler({ maxWaitMs: 1000 });
    for (const p of frames[0]!) a.insert(p, 0);
    expect(a.insert(pad(2), 1)).toBe('padding');
    for (const p of delta2) a.insert(p, 2);
    expect(kinds(drain(a))).toEqual(['frame:1000:ok']); // seq of pad(1) still unknown
    expect(a.insert(pad(1), 3)).toBe('padding');
    expect(a.insert(pad(1), 3)).toBe('late');
    expect(kinds(drain(a))).toEqual(['frame:4000:ok']);
  });

  it('refuses duplicates and packets of released frames, and drops undepacketizable frames', () => {
    const frames = packetize([key(1), delta(2)]);
    const a = assembler();
    for (const p of frames[0]!) a.insert(p, 0);
    expect(a.insert(frames[1]![0]!, 1)).toBe('buffered');
    expect(a.insert(frames[1]![0]!, 1)).toBe('duplicate');
    expect(a.insert(frames[0]![0]!, 1)).toBe('late');
    const next = frames[1]!.at(-1)!;
    const bogus: RtpPacket = { ...next, sequenceNumber: seqAdd(next.sequenceNumber, 1), timestamp: 99_000, marker: true, payload: Buffer.from([0x7c, 0x05, 1]) };
    for (const p of frames[1]!.slice(1)) a.insert(p, 2);
    a.insert(bogus, 3);
    const out = drain(a);
    expect(kinds(out)).toEqual(['frame:1000:ok', 'frame:4000:ok', 'dropped:99000:depacketize-error', 'keyframe-needed']);
    expect(out[2]).toMatchObject({ errorCode: 'fu-a-without-start' });
  });
});
