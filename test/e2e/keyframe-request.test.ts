/**
 * A keyframe request (PLI) sent by the receiver over werift reaches the sender's RTCP handling and
 * the next frame it sends is an IDR: the real encoder, the real transport, the lab's RTCP code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/native/addon.ts';
import type { NativeEncoder, RawFrame } from '../../src/native/types.ts';
import { encodePli } from '../../src/shared/rtcp/pli.ts';
import { encodeFir } from '../../src/shared/rtcp/fir.ts';
import type { SenderFrameRecord } from '../../src/shared/records.ts';
import { VideoSender } from '../../src/sender/video-sender.ts';
import { startLocalStunServer, type LocalStunServer } from '../../src/transport/stun-server.ts';
import { ReceiverPeer, SenderPeer, type NegotiatedMedia } from '../../src/transport/webrtc-peer.ts';

const WIDTH = 640;
const HEIGHT = 360;

/** A synthetic I420 frame with a moving pattern and the frame marker. */
function frame(id: number): RawFrame {
  const native = loadNative();
  const ySize = WIDTH * HEIGHT;
  const data = Buffer.alloc(ySize * 1.5, 128);
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) data[y * WIDTH + x] = (x * 3 + y + id * 7) & 0xff;
  const now = process.hrtime.bigint();
  native.writeMarker(data, WIDTH, HEIGHT, WIDTH, id, now);
  return {
    id,
    width: WIDTH,
    height: HEIGHT,
    format: 'i420',
    data,
    strides: [WIDTH, WIDTH / 2, WIDTH / 2],
    planeOffsets: [0, ySize, ySize * 1.25],
    captureTimeNs: now,
    times: { renderSubmitNs: now, renderDoneNs: now, copyDoneNs: now, convertDoneNs: now },
  };
}

describe('keyframe requests over werift', () => {
  let stun: LocalStunServer;
  let senderPeer: SenderPeer;
  let receiverPeer: ReceiverPeer;
  let media: NegotiatedMedia;
  let encoder: NativeEncoder;
  let sender: VideoSender;
  const records: SenderFrameRecord[] = [];
  const feedback: { kind: string }[] = [];

  beforeAll(async () => {
    stun = await startLocalStunServer('127.0.0.1');
    senderPeer = SenderPeer.create({ hostAddress: '127.0.0.1', stunUrl: stun.url });
    receiverPeer = ReceiverPeer.create({ hostAddress: '127.0.0.1', stunUrl: stun.url });
    const answer = await receiverPeer.answer(await senderPeer.offer());
    [media] = await Promise.all([senderPeer.accept(answer), receiverPeer.waitConnected()]);
    encoder = new (loadNative().Encoder)({ codec: 'x264', width: WIDTH, height: HEIGHT, fps: 30, bitrateBps: 1_000_000, gop: 0 });
    sender = new VideoSender({
      encoder,
      media,
      mtu: 1200,
      seed: 9,
      records: {
        write: (record: object) => {
          const r = record as { type: string; kind?: string };
          if (r.type === 'frame') records.push(record as SenderFrameRecord);
          if (r.type === 'feedback') feedback.push(r as { kind: string });
        },
      },
      send: (packet) => senderPeer.sendRtp(packet),
      onError: (error) => {
        throw error;
      },
    });
    senderPeer.onRtcp((packet, at) => sender.handleRtcp(packet, at));
  });

  afterAll(async () => {
    encoder?.close();
    await senderPeer?.close();
    await receiverPeer?.close();
    await stun?.close();
  });

  async function sendFrames(from: number, count: number): Promise<void> {
    for (let id = from; id < from + count; id++) {
      sender.handleFrame(frame(id));
      await sender.drain();
    }
  }

  async function waitForFeedback(count: number): Promise<void> {
    for (let i = 0; i < 100 && feedback.length < count; i++) await new Promise((r) => setTimeout(r, 20));
  }

  it('PLI and FIR from the receiver make the next frame an IDR, and only then', async () => {
    await sendFrames(0, 5);
    expect(records.map((r) => r.keyframe)).toEqual([true, false, false, false, false]);

    await receiverPeer.sendRtcp(Buffer.from(encodePli({ senderSsrc: 1, mediaSsrc: media.ssrc })));
    await waitForFeedback(1);
    expect(feedback.map((f) => f.kind)).toEqual(['pli']);
    await sendFrames(5, 3);
    expect(records.slice(5).map((r) => r.keyframe)).toEqual([true, false, false]);

    await receiverPeer.sendRtcp(Buffer.from(encodeFir({ senderSsrc: 1, entries: [{ ssrc: media.ssrc, seqNr: 1 }] })));
    await waitForFeedback(2);
    expect(feedback.map((f) => f.kind)).toEqual(['pli', 'fir']);
    await sendFrames(8, 2);
    expect(records.slice(8).map((r) => r.keyframe)).toEqual([true, false]);
  });
});
