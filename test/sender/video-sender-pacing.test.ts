/**
 * VideoSender with the real-time pacer (real timers, fake encoder, in-memory transport): every
 * packet record carries its queue time and its release time, the frame record's first/last sent
 * times are its media packets' release times, a leaky pacer spreads a frame over its size at
 * factor × target while none sends it back to back, FEC follows its frame's media, and drain()
 * returns only once the queue is empty and every frame record is written.
 */
import { describe, expect, it } from 'vitest';
import type { EncodedFrame, NativeEncoder, RawFrame } from '../../src/native/types.ts';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { VideoSender } from '../../src/sender/video-sender.ts';
import { sendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';
import { sendProtectionPlan } from '../../lab/run/child-options.ts';
import type { ResolvedScenario } from '../../lab/scenario/schema.ts';
import type { FecBlockRecord, PacketRecord, SenderFrameRecord } from '../../src/shared/records.ts';
import { isRtpParseError, parseRtp } from '../../src/shared/rtp/packet.ts';
import { decodeTransportWideSeq, TRANSPORT_WIDE_SEQ_URI } from '../../src/shared/rtp/extensions/transport-wide-seq.ts';
import { ABS_SEND_TIME_URI, absSendTimeFromUs, decodeAbsSendTime } from '../../src/shared/rtp/extensions/abs-send-time.ts';

/** The send chain's options for a scenario and media stream, as the orchestrator and the sender compose them. */
const realtimeSendProtectionOptions = (scenario: ResolvedScenario, media: { ssrc: number; payloadType: number }) => {
  const plan = sendProtectionPlan(scenario);
  return plan ? sendProtectionOptions(plan, media) : undefined;
};


const TWCC_ID = 3;
const AST_ID = 2;
const MEDIA = { ssrc: 0x0badcafe, payloadType: 102, extensions: { [TRANSPORT_WIDE_SEQ_URI]: TWCC_ID, [ABS_SEND_TIME_URI]: AST_ID } };
const FRAME_BYTES = 12_000;

async function run(pacer: 'leaky' | 'none', protection: string) {
  const scenario = parseScenarioText(`name: a\nseed: 3\nencoder: { bitrate: 400kbps }\nprotection: ${protection}\npacer: { mode: ${pacer}, factor: 2 }\n`, 'a.yaml', 1);
  const encoder: NativeEncoder = {
    codec: 'x264', implementation: 'fake',
    encode: async (frame: RawFrame): Promise<EncodedFrame> => {
      const data = Buffer.concat([Buffer.from([0, 0, 0, 1, frame.id === 0 ? 0x65 : 0x41]), Buffer.alloc(FRAME_BYTES, 0x33)]);
      const t = process.hrtime.bigint();
      return { frameId: frame.id, data, keyframe: frame.id === 0, captureTimeNs: frame.captureTimeNs, encodeStartNs: t, encodeDoneNs: t };
    },
    setBitrate: () => {}, requestKeyframe: () => {}, close: () => {},
  };
  const packets: PacketRecord[] = [];
  const frames: SenderFrameRecord[] = [];
  const blocks: FecBlockRecord[] = [];
  const wire: Buffer[] = [];
  const options = realtimeSendProtectionOptions(scenario, MEDIA);
  const sender = new VideoSender({
    encoder, media: MEDIA, mtu: 1200, seed: 3, onError: (e) => { throw e; },
    records: {
      write: (r) => {
        const t = (r as { type: string }).type;
        if (t === 'packet') packets.push(r as PacketRecord);
        else if (t === 'frame') frames.push(r as SenderFrameRecord);
        else if (t === 'fec-block') blocks.push(r as FecBlockRecord);
      },
    },
    send: async (packet) => { wire.push(Buffer.from(packet)); return true; },
    pacing: { ...scenario.pacer!, targetBitrateBps: scenario.encoder.bitrateBps },
    ...(options ? { protection: options } : {}),
  });
  const times = { renderSubmitNs: 0n, renderDoneNs: 0n, copyDoneNs: 0n, convertDoneNs: 0n };
  // capture times a frame interval apart: frames captured within one 90 kHz tick would share an RTP timestamp
  const start = process.hrtime.bigint();
  for (let id = 0; id < 3; id++) {
    sender.handleFrame({ id, width: 2, height: 2, format: 'i420', data: Buffer.alloc(6), strides: [2, 1, 1], planeOffsets: [0, 4, 5], captureTimeNs: start + BigInt(id) * 33_333_333n, times });
  }
  await sender.drain();
  const done = { packets: [...packets], frames: [...frames], blocks: [...blocks], wire };
  sender.stop();
  return done;
}

describe('VideoSender pacing', () => {
  it('leaky: frames spread at factor × target; records carry release and queue times; drain waits for the queue', async () => {
    const r = await run('leaky', '{ mode: none }');
    expect(r.frames.length).toBe(3);
    expect(r.wire.length).toBe(r.packets.length);
    // send-time extensions are written at release: transport-wide seqs in release order, abs-send-time = release time
    r.wire.forEach((bytes, i) => {
      const p = parseRtp(bytes);
      if (isRtpParseError(p)) throw new Error(p.code);
      expect(decodeTransportWideSeq(p.extensions.get(TWCC_ID)!)).toBe(i);
      expect(decodeAbsSendTime(p.extensions.get(AST_ID)!)).toBe(absSendTimeFromUs(r.packets[i]!.timeMs * 1000));
    });
    // 3 frames × 12 kB at 2 × 400 kbit/s = 100 bytes/ms: about 360 ms in all
    const span = r.packets.at(-1)!.timeMs - r.packets[0]!.timeMs;
    const bytes = r.packets.slice(0, -1).reduce((n, p) => n + p.size, 0);
    expect(span).toBeGreaterThanOrEqual(bytes / 100 - 1);
    for (const f of r.frames) {
      const own = r.packets.filter((p) => p.rtpTimestamp === f.rtpTimestamp);
      expect(own.length).toBe(f.packets);
      expect(f.firstPacketSentMs).toBe(own[0]!.timeMs);
      expect(f.lastPacketSentMs).toBe(own.at(-1)!.timeMs);
    }
    expect(r.packets.every((p) => p.queueMs !== undefined && p.queueMs >= 0)).toBe(true);
    expect(Math.max(...r.packets.map((p) => p.queueMs!))).toBeGreaterThan(100);
  });

  it('none: each frame leaves back to back with queue time 0', async () => {
    const r = await run('none', '{ mode: none }');
    expect(r.frames.length).toBe(3);
    expect(r.packets.every((p) => p.queueMs === 0)).toBe(true);
    for (const f of r.frames) expect(f.lastPacketSentMs! - f.firstPacketSentMs!).toBeLessThan(20);
  });

  it('leaky with FEC: each frame\'s FEC leaves after its media, one fec-block record per block', async () => {
    const r = await run('leaky', '{ mode: fec, fecRates: { key: 60, delta: 60 } }');
    expect(r.frames.length).toBe(3);
    const fec = r.packets.filter((p) => p.kind === 'fec');
    expect(fec.length).toBeGreaterThan(0);
    expect(r.blocks.flatMap((b) => b.fecSeqs).sort()).toEqual(fec.map((p) => p.seq).sort());
    for (const b of r.blocks) {
      const lastMedia = Math.max(...r.packets.filter((p) => p.kind === 'media' && b.mediaSeqs.includes(p.seq)).map((p) => p.timeMs));
      for (const p of fec.filter((x) => b.fecSeqs.includes(x.seq))) expect(p.timeMs).toBeGreaterThanOrEqual(lastMedia);
    }
  });
});
