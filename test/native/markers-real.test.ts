// Frame markers on REAL frames of the Vulkan scene (not synthetic planes): render → encode →
// decode → read, at the starved rate (300 kbit/s) and a generous one (2 Mbit/s), for
// x264 and openh264 at 1280x720 and 640x360 (30 fps, gop 0, one-frame VBV).
//
// Deterministic: the capture time is injected (FrameSourceOptions.testCaptureTime, tests only),
// and the scene is a function of the frame id, so every run feeds the encoders the same pixels;
// x264 (fixed settings, one thread) and openh264 then produce the same bitstream, and the marker
// counts are exact. Before the time could be injected, the stamped CLOCK_MONOTONIC bits changed
// the pixels on every run and x264 720p at 300 kbit/s read 64-94 % of its markers.
import { afterAll, describe, expect, it } from 'vitest';
import type { EncoderCodec, EncoderOptions } from '../../src/native/types.ts';
import { native } from './helpers.ts';

const frameCount = 100;
/** Injected capture time of frame 0 and the step per frame (one 30 fps interval), ns. */
const FIRST_NS = 1_000_000_000_000n;
const STEP_NS = 33_333_333n;
const open: Array<{ close(): void }> = [];
afterAll(() => open.splice(0).forEach((o) => o.close()));

interface MarkerCount {
  /** markers that read back exactly the frame's id and injected capture time */
  exact: number;
  /** ids of the frames whose marker failed the check */
  unreadableIds: number[];
  kbps: number;
}

async function countMarkers(options: EncoderOptions, firstNs = FIRST_NS): Promise<MarkerCount> {
  const { width, height } = options;
  const source = new native.FrameSource({ width, height, fps: 30, capturePath: 'readback', pixelFormat: 'i420', testCaptureTime: { firstNs, stepNs: STEP_NS } });
  const encoder = new native.Encoder(options);
  const decoder = new native.Decoder({ codec: 'h264' });
  open.push(source, encoder, decoder);
  const count: MarkerCount = { exact: 0, unreadableIds: [], kbps: 0 };
  let bytes = 0;
  for (let i = 0; i < frameCount; i++) {
    const frame = await source.captureOne();
    expect([frame.id, frame.captureTimeNs]).toEqual([i, firstNs + BigInt(i) * STEP_NS]);
    const unit = await encoder.encode(frame);
    expect(unit).not.toBeNull();
    bytes += unit!.data.length;
    const pictures = await decoder.decode(unit!.data);
    expect(pictures).toHaveLength(1);
    const marker = pictures[0]!.marker!;
    if (marker.ok) {
      // never misread: a read that passes the check is this frame's id and injected time
      expect([marker.frameId, marker.captureTimeNs]).toEqual([i, firstNs + BigInt(i) * STEP_NS]);
      count.exact++;
    } else {
      expect(marker.reason).toBe('check-failed');
      count.unreadableIds.push(i);
    }
  }
  count.kbps = Math.round((bytes * 8 * 30) / frameCount / 1000);
  for (const o of [source, encoder, decoder]) o.close();
  return count;
}

const ids = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);

const sizes = [
  { width: 1280, height: 720 },
  { width: 640, height: 360 },
];
const codecs: EncoderCodec[] = ['x264', 'openh264'];

/**
 * Unreadable frames with DEFAULT settings at 300 kbit/s for the injected times above (measured;
 * the same on every run): openh264 none (it overshoots instead). x264's rate control runs past
 * QP 51 into its VBV emergency mode with a one-frame VBV, which zeroes the marker blocks'
 * residual: the IDR and the frames right after it fail the CRC — exactly the frames that follow
 * a keyframe request in a run with loss. `qpMax: 51` keeps every marker (tested below).
 */
const defaultUnreadable: Record<string, number[]> = {
  'x264 1280x720': ids(0, 10),
  'x264 640x360': ids(0, 2),
  'openh264 1280x720': [],
  'openh264 640x360': [],
};

describe.each(codecs)('%s markers on real scene frames (injected capture time)', (codec) => {
  it.each(sizes)('$width x $height: all 100 exact at 2 Mbit/s', async ({ width, height }) => {
    const count = await countMarkers({ codec, width, height, fps: 30, bitrateBps: 2_000_000, gop: 0 });
    console.log(`${codec} ${width}x${height} 2 Mbit/s: ${count.exact}/${frameCount} exact, ${count.kbps} kbit/s`);
    expect(count).toMatchObject({ exact: frameCount, unreadableIds: [] });
  });

  it.each(sizes)('$width x $height at 300 kbit/s, default settings: the exact unreadable frames (x264: the IDR and those right after it)', async ({ width, height }) => {
    const count = await countMarkers({ codec, width, height, fps: 30, bitrateBps: 300_000, gop: 0 });
    console.log(`${codec} ${width}x${height} 300 kbit/s: ${count.exact}/${frameCount} exact, ${count.kbps} kbit/s`);
    const unreadable = defaultUnreadable[`${codec} ${width}x${height}`]!;
    expect(count.unreadableIds).toEqual(unreadable);
    expect(count.exact).toBe(frameCount - unreadable.length);
  });

  it.each(sizes)('$width x $height at 300 kbit/s with qpMax 51: all 100 exact', async ({ width, height }) => {
    const count = await countMarkers({ codec, width, height, fps: 30, bitrateBps: 300_000, gop: 0, qpMax: 51 });
    console.log(`${codec} ${width}x${height} 300 kbit/s qpMax 51: ${count.exact}/${frameCount} exact, ${count.kbps} kbit/s`);
    expect(count).toMatchObject({ exact: frameCount, unreadableIds: [] });
  });
});

describe('x264 is deterministic for the same input', () => {
  it('the same injected times give the same unreadable frames twice; other times, other frames', async () => {
    const options = { codec: 'x264' as const, width: 1280, height: 720, fps: 30, bitrateBps: 300_000, gop: 0 };
    const first = await countMarkers(options);
    const again = await countMarkers(options);
    expect(again).toEqual(first);
    // the stamped bits are part of the picture: other capture times, another outcome (measured: 22)
    const shifted = await countMarkers(options, 2_000_000_123_457n);
    expect(shifted.unreadableIds).toEqual(ids(0, 21));
  });
});

describe('qpMax option', () => {
  it('rejects a value outside 0..51 or not an integer', () => {
    const base = { codec: 'x264' as const, width: 640, height: 360, fps: 30, bitrateBps: 300_000, gop: 0 };
    expect(() => new native.Encoder({ ...base, qpMax: 52 })).toThrow(/qpMax must be an integer in 0\.\.51 \(got 52\)/);
    expect(() => new native.Encoder({ ...base, qpMax: 30.5 })).toThrow(/qpMax/);
  });
});
