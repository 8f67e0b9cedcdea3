/**
 * VideoSender and VideoReceiver with protection, joined by an in-memory link that drops every
 * 7th first transmission of a media packet (3 ms each way, timers real): without root or a GPU.
 * A fake encoder writes the frame id into its access units and a fake decoder reads the marker as
 * ok only when the access unit is byte for byte what was encoded, so a recovered packet with wrong
 * bytes shows as a misread frame. NACK/RTX, FlexFEC and both each bring every frame back; none loses some.
 */
import { describe, expect, it } from 'vitest';
import type { DecodedFrame, EncodedFrame, NativeDecoder, NativeEncoder, RawFrame } from '../../src/native/types.ts';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import { VideoSender } from '../../src/sender/video-sender.ts';
import { VideoReceiver } from '../../src/receiver/video-receiver.ts';
import { realtimeSendProtectionOptions } from '../../src/sender/protection/realtime-options.ts';
import { realtimeRecoveryPlan } from '../../src/receiver/protection/realtime-options.ts';
import type { PacketRecord, ReceiverFrameRecord } from '../../src/shared/records.ts';

const MEDIA = { ssrc: 0xa1b2c3d4, payloadType: 102, extensions: {} };
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

async function runPipeline(mode: 'none' | 'nack' | 'fec' | 'hybrid'): Promise<{ sent: PacketRecord[]; recv: (PacketRecord | ReceiverFrameRecord)[]; displayed: number }> {
  const scenario = parseScenarioText(`name: a\nseed: 11\nprotection: { mode: ${mode} }\n`, 'a.yaml', 1);
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
  const recv: (PacketRecord | ReceiverFrameRecord)[] = [];
  let mediaCount = 0;
  let receiver: VideoReceiver | undefined;
  const sendOptions = realtimeSendProtectionOptions(scenario, MEDIA);
  const sender = new VideoSender({
    encoder, media: MEDIA, mtu: 1200, seed: 11, onError: (e) => { throw e; },
    records: { write: (r) => { if ((r as PacketRecord).type === 'packet') sent.push(r as PacketRecord); } },
    send: async (packet) => {
      const ssrc = packet.readUInt32BE(8);
      if (ssrc === MEDIA.ssrc && ++mediaCount % 7 === 0) return true; // lost on the link
      setTimeout(() => receiver!.handleRtp(packet, process.hrtime.bigint()), 3);
      return true;
    },
    ...(sendOptions ? { protection: sendOptions } : {}),
  });
  const plan = realtimeRecoveryPlan(scenario);
  receiver = new VideoReceiver({
    decoder, localSsrc: 1, pliIntervalMs: 1000, maxWaitMs: plan?.assemblerMaxWaitMs ?? 0, onError: (e) => { throw e; },
    records: { write: (r) => { const t = (r as PacketRecord).type; if (t === 'packet' || t === 'frame') recv.push(r as PacketRecord); } },
    sendRtcp: async (packet) => { setTimeout(() => sender.handleRtcp(packet, process.hrtime.bigint()), 3); },
    ...(plan ? { recovery: plan } : {}),
  });
  const times = { renderSubmitNs: 0n, renderDoneNs: 0n, copyDoneNs: 0n, convertDoneNs: 0n };
  for (let id = 0; id < FRAMES; id++) {
    sender.handleFrame({ id, width: 2, height: 2, format: 'i420', data: Buffer.alloc(6), strides: [2, 1, 1], planeOffsets: [0, 4, 5], captureTimeNs: process.hrtime.bigint(), times });
    await sender.drain();
    await sleep(10);
  }
  await sleep(150);
  await receiver.finish();
  return { sent, recv, displayed: receiver.framesDisplayed };
}

const misread = (recv: (PacketRecord | ReceiverFrameRecord)[]): unknown[] => recv.filter((r) => r.type === 'frame' && r.marker !== undefined && r.marker !== 'ok');

describe('real-time pipeline with protection over a lossy in-memory link', () => {
  it('without protection frames are lost', async () => {
    const r = await runPipeline('none');
    expect(r.displayed).toBeLessThan(FRAMES - 3);
    expect(r.sent.some((p) => p.kind !== 'media')).toBe(false);
  });

  it('NACK/RTX: every frame displayed with the bytes sent, lost packets recovered by RTX', async () => {
    const r = await runPipeline('nack');
    expect(misread(r.recv)).toEqual([]);
    expect(r.displayed).toBe(FRAMES);
    const rtx = r.sent.filter((p) => p.kind === 'rtx');
    expect(rtx.length).toBeGreaterThan(3);
    const recovered = r.recv.filter((p) => p.type === 'packet' && p.recoveredBy === 'rtx').map((p) => (p as PacketRecord).seq);
    expect(new Set(recovered)).toEqual(new Set(rtx.map((p) => p.originalSeq)));
  });

  it('FlexFEC: every frame displayed with the bytes sent, lost packets recovered by FEC', async () => {
    const r = await runPipeline('fec');
    expect(misread(r.recv)).toEqual([]);
    expect(r.displayed).toBe(FRAMES);
    expect(r.sent.filter((p) => p.kind === 'fec').length).toBeGreaterThan(FRAMES / 2);
    expect(r.recv.filter((p) => p.type === 'packet' && p.recoveredBy === 'fec').length).toBeGreaterThan(3);
  });

  it('hybrid: every frame displayed with the bytes sent, FEC first and RTX for what it cannot repair', async () => {
    const r = await runPipeline('hybrid');
    expect(misread(r.recv)).toEqual([]);
    expect(r.displayed).toBe(FRAMES);
    const recovered = r.recv.filter((p) => p.type === 'packet' && p.recoveredBy !== undefined) as PacketRecord[];
    expect(recovered.length).toBeGreaterThan(3);
    // a packet FEC repaired is never asked for again: every RTX answers a packet FEC did not recover
    const byFec = new Set(recovered.filter((p) => p.recoveredBy === 'fec').map((p) => p.seq));
    const rtxSeqs = r.sent.filter((p) => p.kind === 'rtx').map((p) => p.originalSeq);
    expect(rtxSeqs.filter((s) => byFec.has(s!))).toEqual([]);
  });
});
