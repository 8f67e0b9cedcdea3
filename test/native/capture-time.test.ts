// FrameSourceOptions.testCaptureTime (tests only): frame n is stamped with firstNs + n × stepNs
// (mod 2^64) instead of the time its render fence was observed; the stage times stay real.
import { afterEach, describe, expect, it } from 'vitest';
import { readMarker } from '../../src/shared/marker.ts';
import type { RawFrame } from '../../src/native/types.ts';
import { native, SourceTracker } from './helpers.ts';

const sources = new SourceTracker();
afterEach(() => sources.closeAll());

const U64 = 1n << 64n;

/** Reads the marker of a captured I420 frame's Y plane with the TS and the native reader. */
function readBoth(frame: RawFrame): [ReturnType<typeof readMarker>, ReturnType<typeof native.readMarker>] {
  const y = frame.data.subarray(frame.planeOffsets[0], frame.planeOffsets[0]! + frame.strides[0]! * frame.height);
  return [
    readMarker({ data: y, width: frame.width, height: frame.height, stride: frame.strides[0]! }),
    native.readMarker(Buffer.from(y), frame.width, frame.height, frame.strides[0]!),
  ];
}

describe('testCaptureTime', () => {
  it('stamps firstNs + id × stepNs into every captured frame and its marker; stage times stay real', async () => {
    const firstNs = 5_000_000_000n;
    const stepNs = 33_333_333n;
    const source = sources.open({ pixelFormat: 'i420', testCaptureTime: { firstNs, stepNs } });
    for (let i = 0; i < 4; i++) {
      const before = process.hrtime.bigint();
      const frame = await source.captureOne();
      const after = process.hrtime.bigint();
      expect(frame.captureTimeNs).toBe(firstNs + BigInt(i) * stepNs);
      expect(frame.times.renderDoneNs >= before && frame.times.renderDoneNs <= after).toBe(true);
      // the marker carries the injected time (test/marker/marker.test.ts counts this on more frames)
      expect(readBoth(frame)).toEqual([
        { ok: true, frameId: i, captureTimeNs: frame.captureTimeNs },
        { ok: true, frameId: i, captureTimeNs: frame.captureTimeNs },
      ]);
    }
  });

  it('applies to the paced render thread too', async () => {
    const source = sources.open({ testCaptureTime: { firstNs: 7n, stepNs: 1_000n } });
    const stamped: bigint[] = [];
    await new Promise<void>((resolve, reject) => {
      source.start((frame) => {
        stamped.push(frame.captureTimeNs - BigInt(frame.id) * 1_000n);
        if (stamped.length === 3) resolve();
      }, reject);
    });
    await source.stop();
    expect(stamped.length).toBeGreaterThanOrEqual(3);
    expect(new Set(stamped)).toEqual(new Set([7n]));
  });

  it('wraps mod 2^64', async () => {
    const source = sources.open({ testCaptureTime: { firstNs: U64 - 2n, stepNs: 3n } });
    expect((await source.captureOne()).captureTimeNs).toBe(U64 - 2n);
    const second = await source.captureOne();
    expect(second.captureTimeNs).toBe(1n);
    expect(readBoth(second)[0]).toEqual({ ok: true, frameId: 1, captureTimeNs: 1n });
  });

  it('without it the capture time is the render fence time', async () => {
    const frame = await sources.open().captureOne();
    expect(frame.captureTimeNs).toBe(frame.times.renderDoneNs);
  });

  it('rejects anything but {firstNs, stepNs} as bigints in 0..2^64-1, naming the field', () => {
    const base = { width: 640, height: 360, fps: 30, capturePath: 'readback' as const };
    const make = (testCaptureTime: unknown) => () => new native.FrameSource({ ...base, testCaptureTime } as never);
    expect(make(5n)).toThrow(/FrameSource: testCaptureTime must be \{firstNs, stepNs\}/);
    expect(make({ firstNs: 1, stepNs: 1n })).toThrow(TypeError);
    expect(make({ firstNs: 1, stepNs: 1n })).toThrow(/testCaptureTime\.firstNs must be a bigint in 0\.\.2\^64-1 \(ns\) \(got 1\)/);
    expect(make({ firstNs: 1n })).toThrow(/testCaptureTime\.stepNs must be a bigint/);
    expect(make({ firstNs: -1n, stepNs: 1n })).toThrow(RangeError);
    expect(make({ firstNs: 0n, stepNs: U64 })).toThrow(/testCaptureTime\.stepNs must be a bigint in 0\.\.2\^64-1/);
  });
});
