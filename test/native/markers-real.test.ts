// Frame markers on REAL frames of the Vulkan scene (not synthetic planes): render → encode →
// decode → read, at the starved rate (300 kbit/s) and a generous one (2 Mbit/s), for
// x264 and openh264 at 1280x720 and 640x360 (30 fps, gop 0, one-frame VBV). A read that passes
// the CRC must be the truth; an unreadable one must say check-failed.
import { afterAll, describe, expect, it } from 'vitest';
import type { EncoderCodec, EncoderOptions } from '../../src/native/types.ts';
import { native } from './helpers.ts';

/** Frames per case: at 100, the 99 % floor tolerates one unreadable marker. */
const frameCount = 100;
const open: Array<{ close(): void }> = [];
afterAll(() => open.splice(0).forEach((o) => o.close()));

interface MarkerCount {
  readable: number;
  unreadable: number;
  kbps: number;
}

async function countMarkers(options: EncoderOptions): Promise<MarkerCount> {
  const { width, height } = options;
  const source = new native.FrameSource({ width, height, fps: 30, capturePath: 'readback', pixelFormat: 'i420' });
  const encoder = new native.Encoder(options);
  const decoder = new native.Decoder({ codec: 'h264' });
  open.push(source, encoder, decoder);
  const count: MarkerCount = { readable: 0, unreadable: 0, kbps: 0 };
  let bytes = 0;
  for (let i = 0; i < frameCount; i++) {
    const frame = await source.captureOne();
    const unit = await encoder.encode(frame);
    expect(unit).not.toBeNull();
    bytes += unit!.data.length;
    const pictures = await decoder.decode(unit!.data);
    expect(pictures).toHaveLength(1);
    const marker = pictures[0]!.marker!;
    if (marker.ok) {
      // never misread: a read that passes the check is this frame's id and capture time
      expect([marker.frameId, marker.captureTimeNs]).toEqual([frame.id, frame.captureTimeNs]);
      count.readable++;
    } else {
      expect(marker.reason).toBe('check-failed');
      count.unreadable++;
    }
  }
  count.kbps = Math.round((bytes * 8 * 30) / frameCount / 1000);
  for (const o of [source, encoder, decoder]) o.close();
  return count;
}

const sizes = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
];
const codecs: EncoderCodec[] = ['x264', 'openh264'];

/**
 * Readable floors with DEFAULT settings at 300 kbit/s, measured on this scene (native/CODECS.md
 * "Marker readability"): openh264 100 % (it overshoots instead); x264 64-94 % at 720p (64 % seen once in a
 * fresh-clone CI run) and 96-99 % at 360p, varying with the capture-time bits. x264's rate control runs past QP 51 into its VBV emergency mode
 * with a one-frame VBV (even on a static scene with only the marker changing), which zeroes the
 * marker blocks' residual: the IDR and the frames after it, and a few later frames, fail the CRC.
 * The issue's >= 99 % holds for x264 with `qpMax: 51` (tested below), not with its defaults.
 */
const defaultFloor: Record<string, number> = {
  'x264 1280x720': 0.55,
  'x264 640x360': 0.9,
  'openh264 1280x720': 0.99,
  'openh264 640x360': 0.99,
};

describe.each(codecs)('%s markers on real scene frames', (codec) => {
  it.each(sizes)('$width x $height: 100 % readable at 2 Mbit/s', async ({ width, height }) => {
    const count = await countMarkers({ codec, width, height, fps: 30, bitrateBps: 2_000_000, gop: 0 });
    console.log(`${codec} ${width}x${height} 2 Mbit/s: ${count.readable}/${frameCount} readable, ${count.kbps} kbit/s`);
    expect(count.readable).toBe(frameCount);
  });

  it.each(sizes)('$width x $height at 300 kbit/s, default settings: measured floor, never misread', async ({ width, height }) => {
    const count = await countMarkers({ codec, width, height, fps: 30, bitrateBps: 300_000, gop: 0 });
    console.log(`${codec} ${width}x${height} 300 kbit/s: ${count.readable}/${frameCount} readable, ${count.kbps} kbit/s`);
    expect(count.readable / frameCount).toBeGreaterThanOrEqual(defaultFloor[`${codec} ${width}x${height}`]!);
  });

  it.each(sizes)('$width x $height at 300 kbit/s with qpMax 51: >= 99 % readable', async ({ width, height }) => {
    const count = await countMarkers({ codec, width, height, fps: 30, bitrateBps: 300_000, gop: 0, qpMax: 51 });
    console.log(`${codec} ${width}x${height} 300 kbit/s qpMax 51: ${count.readable}/${frameCount} readable, ${count.kbps} kbit/s`);
    expect(count.readable / frameCount).toBeGreaterThanOrEqual(0.99);
  });
});

describe('qpMax option', () => {
  it('rejects a value outside 0..51 or not an integer', () => {
    const base = { codec: 'x264' as const, width: 640, height: 360, fps: 30, bitrateBps: 300_000, gop: 0 };
    expect(() => new native.Encoder({ ...base, qpMax: 52 })).toThrow(/qpMax must be an integer in 0\.\.51 \(got 52\)/);
    expect(() => new native.Encoder({ ...base, qpMax: 30.5 })).toThrow(/qpMax/);
  });
});
