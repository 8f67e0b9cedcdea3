/**
 * VideoSender and VideoReceiver with protection, joined by an in-memory link that drops every
 * 7th first transmission of a media packet (3 ms each way, timers real): without root or a GPU.
 * A fake encoder writes the frame id into its access units and a fake decoder reads the marker as
 * ok only when the access unit is byte for byte what was encoded, so a recovered packet with wrong
 * bytes shows as a misread frame. NACK/RTX, FlexFEC, ULPFEC in RED and hybrids each bring every
 * frame back; none loses some. FEC tests use fixed factors (the controller gives 0 until the first
 * RR reports loss); one longer run checks the controller turns FEC on from the RRs. Packets go
 * through the real-time pacer (leaky or none).
 */
import { describe, expect, it } from 'vitest';
import type { DecodedFrame, EncodedFrame, NativeDecoder, NativeEncoder, RawFrame } from '../../src/native/types.ts';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { VideoSender } from '../../src/sender/video-sender.ts';
import { VideoReceiver } from '../../src/receiver/video-receiver.ts';
import { sendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';
import { realtimeRecoveryPlan, sendProtectionPlan } from '../../lab/run/child-options.ts';
import type { ResolvedScenario } from '../../lab/scenario/schema.ts';
import type { EventRecord, FecBlockRecord, FeedbackRecord, PacketRecord, ReceiverFrameRecord } from '../../src/shared/records.ts';
import { RED_PAYLOAD_TYPE, ULPFEC_PAYLOAD_TYPE } from '../../src/shared/protection-streams.ts';
import { TRANSPORT_WIDE_SEQ_URI } from '../../src/shared/rtp/extensions/transport-wide-seq.ts';
import { ABS_SEND_TIME_URI } from '../../src/shared/rtp/extensions/abs-send-time.ts';

/** The send chain's options for a scenario and media stream, as the orchestrator and the sender compose them. */
const realtimeSendProtectionOptions = (scenario: ResolvedScenario, media: { ssrc: number; payloadType: number }) => {
  const plan = sendProtectionPlan(scenario);
  return plan ? sendProtectionOptions(plan, media) : undefined;
};


// send-time extensions are written at release, before the FEC over the packet is computed
const MEDIA = { ssrc: 0xa1b2c3d4, payloadType: 102, extensions: { [TRANSPORT_WIDE_SEQ_URI]: 3, [ABS_SEND_TIME_URI]: 2 } };
const FRAMES = 30;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Annex-B access unit: SPS, PPS, IDR for keyframes, else one non-IDR slice; id in the payload. */
function accessUnit(id: number, keyframe: boolean): Buffer {
  // no zero bytes in the body, so no start code inside it; the id as text after a tag
  const body = Buffer.alloc(keyframe ? 5000 : 2600, 0x20 + ((id * 37) % 0xc0));
  body.write(`GLID${id};`, 1, 'latin1');
  body[0] = keyframe ? 0x65 : 0x41;
  const start = Buffer.from([0, 0, 0, 1]);
  const parts = keyframe ? [start, Buffer.from([0x67, 0x42, 0xe0, 0x1f]), start, Buffer.from([0x68, 0xce, 0x3c, 0x80]), start, body] : [start, body];
  return Buffer.concat(parts);
}

interface PipelineRun {
  sent: PacketRecord[];
  recv: (PacketRecord | ReceiverFrameRecord)[];
  blocks: FecBlockRecord[];
  events: EventRecord[];
  /** the receiver's NACKs */
  nacks: FeedbackRecord[];
  displayed: number;
}

interface PipelineSetup {
  mode: 'none' | 'nack' | 'fec' | 'hybrid';
  fec?: 'flexfec' | 'ulpfec';
  /** YAML of protection.fecRates; default fixed { key: 80, delta: 50 } */
  fecRates?: string;
  pacer?: 'leaky' | 'none';
  frames?: number;
}

async function runPipeline(setup: PipelineSetup): Promise<PipelineRun> {
  const { mode, fec = 'flexfec', fecRates = '{ key: 80, delta: 50 }', pacer = 'leaky', frames = FRAMES } = setup;
  const scenario = parseScenarioText(
    `name: a\nseed: 11\nencoder: { bitrate: 2Mbps }\nprotection: { mode: ${mode}, fec: ${fec}, fecRates: ${fecRates}, lowRttNackMs: 0 }\npacer: { mode: ${pacer} }\n`,
    'a.yaml', 1,
  );
  const encodedById = new Map<number, Buffer>();
  const encoder: NativeEncoder = {
    codec: 'x264', implementation: 'fake',
    encode: async (frame: RawFrame): Promise<EncodedFrame> => {
      const data = accessUnit(frame.id, frame.id === 0);
      encodedById.set(frame.id, Buffer.from(data));
      const t = process.hrtime.bigint();
      return { frameId: frame.id, data, keyframe: frame.id === 0, captureTimeNs: frame.captureTimeNs, encodeStartNs: t, encodeDoneNs: t };
    },
    setBitrate: () => {}, requestKeyframe: () => {}, close: () => {},
  };
  const decoder: NativeDecoder = {
    decode: async (au: Buffer): Promise<DecodedFrame[]> => {
      const t = process.hrtime.bigint();
      const text = au.toString('latin1');
      const at = text.indexOf('GLID');
      const id = at < 0 ? -1 : Number.parseInt(text.slice(at + 4, text.indexOf(';', at)), 10);
      const ok = encodedById.get(id)?.equals(au) === true;
      return [{ width: 2, height: 2, y: Buffer.alloc(4), yStride: 2, decodeStartNs: t, decodeDoneNs: t, markerReadNs: t, marker: ok ? { ok: true, frameId: id, captureTimeNs: t } : { ok: false, reason: 'check-failed' } }];
    },
    close: () => {},
  };
  const sent: PacketRecord[] = [];
  const blocks: FecBlockRecord[] = [];
  const events: EventRecord[] = [];
  const recv: (PacketRecord | ReceiverFrameRecord)[] = [];
  const nacks: FeedbackRecord[] = [];
  let mediaCount = 0;
  // eslint-disable-next-line prefer-const -- assigned below; the sender's callbacks read it first
  let receiver: VideoReceiver | undefined;
  const sendOptions = realtimeSendProtectionOptions(scenario, MEDIA);
  const sender = new VideoSender({
    encoder, media: MEDIA, mtu: 1200, seed: 11, onError: (e) => { throw e; },
    records: {
      write: (r) => {
        const t = (r as { type: string }).type;
        if (t === 'packet') sent.push(r as PacketRecord);
        else if (t === 'fec-block') blocks.push(r as FecBlockRecord);
        else if (t === 'event') events.push(r as EventRecord);
      },
    },
    pacing: { ...scenario.pacer!, targetBitrateBps: scenario.encoder.bitrateBps },
    send: async (packet) => {
      const ssrc = packet.readUInt32BE(8);
      // every 7th media packet is lost (ULPFEC in RED shares the media SSRC: only media counts; FEC
      // packets carry no header extension, media does)
      const isUlpfec = ssrc === MEDIA.ssrc && (packet[1]! & 0x7f) === RED_PAYLOAD_TYPE && (packet[0]! & 0x10) === 0 && (packet[12]! & 0x7f) === ULPFEC_PAYLOAD_TYPE;
      if (ssrc === MEDIA.ssrc && !isUlpfec && ++mediaCount % 7 === 0) return true; // lost on the link
      setTimeout(() => receiver!.handleRtp(packet, process.hrtime.bigint()), 3);
      return true;
    },
    ...(sendOptions ? { protection: sendOptions } : {}),
  });
  const plan = realtimeRecoveryPlan(scenario);
  receiver = new VideoReceiver({
    decoder, localSsrc: 1, pliIntervalMs: 1000, maxWaitMs: plan?.assemblerMaxWaitMs ?? 0, onError: (e) => { throw e; },
    records: {
      write: (r) => {
        const t = (r as PacketRecord).type;
        if (t === 'packet' || t === 'frame') recv.push(r as PacketRecord);
        else if (t === 'feedback' && (r as FeedbackRecord).kind === 'nack') nacks.push(r as FeedbackRecord);
      },
    },
    sendRtcp: async (packet) => { setTimeout(() => sender.handleRtcp(packet, process.hrtime.bigint()), 3); },
    ...(plan ? { recovery: plan } : {}),
  });
  const times = { renderSubmitNs: 0n, renderDoneNs: 0n, copyDoneNs: 0n, convertDoneNs: 0n };
  for (let id = 0; id < frames; id++) {
    sender.handleFrame({ id, width: 2, height: 2, format: 'i420', data: Buffer.alloc(6), strides: [2, 1, 1], planeOffsets: [0, 4, 5], captureTimeNs: process.hrtime.bigint(), times });
    await sender.drain();
    await sleep(10);
  }
  await sleep(150);
  sender.stop();
  await receiver.finish();
  return { sent, recv, blocks, events, nacks, displayed: receiver.framesDisplayed };
}

const misread = (recv: (PacketRecord | ReceiverFrameRecord)[]): unknown[] => recv.filter((r) => r.type === 'frame' && r.marker !== undefined && r.marker !== 'ok');

describe('real-time pipeline with protection over a lossy in-memory link', () => {
  it('without protection frames are lost', async () => {
    const r = await runPipeline({ mode: 'none' });
    expect(r.displayed).toBeLessThan(FRAMES - 3);
    expect(r.sent.some((p) => p.kind !== 'media')).toBe(false);
  });

  it('NACK/RTX: every frame displayed with the bytes sent, lost packets recovered by RTX', async () => {
    const r = await runPipeline({ mode: 'nack' });
    expect(misread(r.recv)).toEqual([]);
    expect(r.displayed).toBe(FRAMES);
    const rtx = r.sent.filter((p) => p.kind === 'rtx');
    expect(rtx.length).toBeGreaterThan(3);
    const recovered = r.recv.filter((p) => p.type === 'packet' && p.recoveredBy === 'rtx').map((p) => (p as PacketRecord).seq);
    expect(new Set(recovered)).toEqual(new Set(rtx.map((p) => p.originalSeq)));
    // each retransmission names the NACK that asked for it, which came after the original left
    for (const p of rtx) {
      const original = r.sent.find((o) => o.kind === 'media' && o.seq === p.originalSeq)!;
      expect(p.nackMs).toBeGreaterThan(original.timeMs);
      expect(p.timeMs).toBeGreaterThanOrEqual(p.nackMs!);
    }
  });

  for (const fec of ['flexfec', 'ulpfec'] as const) {
    it(`${fec}: every frame displayed with the bytes sent, lost packets recovered by FEC, one fec-block record per block`, async () => {
      const r = await runPipeline({ mode: 'fec', fec });
      expect(misread(r.recv)).toEqual([]);
      expect(r.displayed).toBe(FRAMES);
      const fecSent = r.sent.filter((p) => p.kind === 'fec');
      expect(fecSent.length).toBeGreaterThan(FRAMES / 2);
      expect(r.recv.filter((p) => p.type === 'packet' && p.recoveredBy === 'fec').length).toBeGreaterThan(3);
      expect(r.blocks.flatMap((b) => b.fecSeqs).sort()).toEqual(fecSent.map((p) => p.seq).sort());
      expect(r.blocks.every((b) => b.rate255 === (b.keyframe ? 80 : 50))).toBe(true);
      if (fec === 'ulpfec') {
        // media and FEC as RED on the media SSRC; the receiver tells them apart
        expect(r.sent.every((p) => p.ssrc === MEDIA.ssrc && p.pt === RED_PAYLOAD_TYPE)).toBe(true);
        const fecIn = r.recv.filter((p) => p.type === 'packet' && p.kind === 'fec');
        expect(fecIn.length).toBe(fecSent.length);
      }
    });
  }

  for (const fec of ['flexfec', 'ulpfec'] as const) {
    it(`hybrid (${fec}): every frame displayed with the bytes sent, FEC first and RTX for what it cannot repair`, async () => {
      const r = await runPipeline({ mode: 'hybrid', fec });
      expect(misread(r.recv)).toEqual([]);
      expect(r.displayed).toBe(FRAMES);
      const recovered = r.recv.filter((p) => p.type === 'packet' && p.recoveredBy !== undefined) as PacketRecord[];
      expect(recovered.length).toBeGreaterThan(3);
      // a packet FEC repaired is never asked for again: an RTX of a packet FEC recovered answers a
      // NACK sent before the recovery (a late timer may let the NACK's FEC wait run out first)
      const fecAt = new Map(recovered.filter((p) => p.recoveredBy === 'fec').map((p) => [p.seq, p.timeMs]));
      for (const p of r.sent.filter((x) => x.kind === 'rtx' && fecAt.has(x.originalSeq!))) {
        const firstNack = Math.min(...r.nacks.filter((n) => n.seqs!.includes(p.originalSeq!)).map((n) => n.timeMs));
        expect(firstNack).toBeLessThanOrEqual(fecAt.get(p.originalSeq!)!);
      }
      expect(r.nacks.every((n) => n.seqs!.every((seq) => !(fecAt.get(seq)! <= n.timeMs)))).toBe(true);
    });
  }

  it('controller rates: no FEC until an RR reports loss, then nonzero factors and FEC packets', async () => {
    const r = await runPipeline({ mode: 'fec', fec: 'ulpfec', fecRates: 'controller', pacer: 'none', frames: 80 });
    const changes = r.events.filter((e) => e.name === 'fec-rates');
    expect(changes.length).toBeGreaterThan(0);
    const on = changes.find((e) => (e.detail!.delta as number) > 0)!;
    expect(on).toBeDefined();
    expect(on.detail!.lossFraction255).toBeGreaterThan(0);
    const fecSent = r.sent.filter((p) => p.kind === 'fec');
    expect(fecSent.length).toBeGreaterThan(0);
    // the first RR comes after 500 ms: nothing is protected before the factors turn on
    expect(Math.min(...fecSent.map((p) => p.timeMs))).toBeGreaterThanOrEqual(on.timeMs);
  }, 20_000);
});
