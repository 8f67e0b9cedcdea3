/**
 * The whole native frame pipeline on real frames: Vulkan scene on lavapipe → readback → libyuv →
 * encoder → decoder → marker read. The marker must carry exactly the frame id and capture time,
 * and a marker that did not survive compression must be reported unreadable, never misread.
 *
 * Measured floors at a starved 300 kbit/s (one-frame VBV, ultrafast): x264 at 640x360 reads
 * 298/300; at 1280x720 the rate cannot even carry the textured scene (x264 lands at ~210 kbit/s,
 * the decoded picture is mostly flat grey, frames after the first IDR are starved) and reads
 * ~83 %; openh264 reads every marker but does not hold the rate (see native/CODECS.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { EncoderCodec } from '../../src/native/types.ts';
import { native, SourceTracker } from './helpers.ts';

const sources = new SourceTracker();
afterAll(() => sources.closeAll());

interface Outcome {
  frames: number;
  readable: number;
  misread: number;
  kbps: number;
}

async function roundTrip(codec: EncoderCodec, width: number, height: number, bitrateBps: number, frames: number): Promise<Outcome> {
  const source = sources.open({ width, height });
  const encoder = new native.Encoder({ codec, width, height, fps: 30, bitrateBps, gop: 0 });
  const decoder = new native.Decoder({ codec: 'h264' });
  let readable = 0;
  let misread = 0;
  let bytes = 0;
  try {
    for (let i = 0; i < frames; i++) {
      const frame = await source.captureOne();
      const encoded = await encoder.encode(frame);
      expect(encoded).not.toBeNull();
      bytes += encoded!.data.length;
      const pictures = await decoder.decode(encoded!.data);
      expect(pictures).toHaveLength(1);
      const marker = pictures[0]!.marker!;
      if (marker.ok) {
        if (marker.frameId === frame.id && marker.captureTimeNs === frame.captureTimeNs) readable++;
        else misread++;
      } else {
        expect(marker.reason).toBe('check-failed');
      }
    }
  } finally {
    encoder.close();
    decoder.close();
  }
  return { frames, readable, misread, kbps: (bytes * 8 * 30) / frames / 1000 };
}

describe('render → readback → encode → decode → marker, on the real scene', () => {
  for (const codec of ['x264', 'openh264'] as const) {
    for (const [width, height, frames] of [
      [640, 360, 90],
      [1280, 720, 60],
    ] as const) {
      it(`${codec} ${width}x${height} at 2 Mbit/s: every marker exact`, async () => {
        const outcome = await roundTrip(codec, width, height, 2_000_000, frames);
        console.log(`${codec} ${width}x${height} 2 Mbit/s:`, outcome);
        expect(outcome.misread).toBe(0);
        expect(outcome.readable).toBe(frames);
      });
    }
  }

  it('x264 640x360 at 300 kbit/s: >= 99 % readable, never misread', async () => {
    const outcome = await roundTrip('x264', 640, 360, 300_000, 300);
    console.log('x264 640x360 300 kbit/s:', outcome);
    expect(outcome.misread).toBe(0);
    expect(outcome.readable / outcome.frames).toBeGreaterThanOrEqual(0.99);
  });

  it('openh264 at a 300 kbit/s target: >= 99 % readable, never misread (openh264 overshoots the target: see native/CODECS.md)', async () => {
    for (const [width, height] of [
      [640, 360],
      [1280, 720],
    ] as const) {
      const outcome = await roundTrip('openh264', width, height, 300_000, 60);
      console.log(`openh264 ${width}x${height} 300 kbit/s:`, outcome);
      expect(outcome.misread).toBe(0);
      expect(outcome.readable / outcome.frames).toBeGreaterThanOrEqual(0.99);
    }
  });

  it('x264 1280x720 at 300 kbit/s: unreadable markers are reported, never misread (floor 75 %, measured ~83 %)', async () => {
    const outcome = await roundTrip('x264', 1280, 720, 300_000, 90);
    console.log('x264 1280x720 300 kbit/s:', outcome);
    expect(outcome.misread).toBe(0);
    expect(outcome.readable / outcome.frames).toBeGreaterThanOrEqual(0.75);
  });
});
