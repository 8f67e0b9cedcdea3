// Bad inputs to the native Encoder/Decoder fail with clear exceptions; corrupt access units
// reject with libavcodec's reason and leave the decoder usable; NVENC runs only where it opens.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadNative } from '../../src/native/addon.ts';
import type { EncoderOptions } from '../../src/native/types.ts';
import { NAL, SyntheticSource, h264NalTypes } from './synthetic.ts';

const addon = loadNative();
const probes = await addon.probeEncoders();
/** The error `run` throws (fails the test when it does not throw). */
function thrown(run: () => unknown): Error & { code?: string } {
  try {
    run();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

const base: EncoderOptions = { codec: 'x264', width: 640, height: 360, fps: 30, bitrateBps: 1_000_000, gop: 30 };

describe('Encoder option validation', () => {
  const bad: Array<[string, Partial<EncoderOptions> | Record<string, unknown>, RegExp]> = [
    ['odd width', { width: 641 }, /width must be an even integer in 2\.\.8192 \(got 641\)/],
    ['zero height', { height: 0 }, /height must be an even integer/],
    ['width over 8192', { width: 8194 }, /width must be/],
    ['fps 0', { fps: 0 }, /fps must be > 0 and <= 240 \(got 0\)/],
    ['fps 241', { fps: 241 }, /fps must be/],
    ['bitrate too low', { bitrateBps: 9_999 }, /bitrateBps must be in 10000\.\.500000000/],
    ['bitrate too high', { bitrateBps: 500_000_001 }, /bitrateBps must be/],
    ['negative gop', { gop: -1 }, /gop must be an integer >= 0/],
    ['unknown codec', { codec: 'vp8' }, /unknown codec 'vp8' \(allowed: x264, openh264, h264_nvenc, hevc_nvenc\)/],
    ['missing fps', { fps: undefined }, /option 'fps' is required/],
    ['threads 0', { threads: 0 }, /threads must be an integer in 1\.\.64/],
  ];
  it.each(bad)('%s', (_name, change, message) => {
    const error = thrown(() => new addon.Encoder({ ...base, ...change }));
    expect(error.message).toMatch(message);
    expect(error.code).toBe('ERR_CODEC_OPTIONS');
  });

  it('setBitrate out of range throws and keeps the encoder usable', async () => {
    const e = new addon.Encoder(base);
    expect(() => e.setBitrate(5_000)).toThrow(/setBitrate: bitrateBps must be in 10000\.\.500000000/);
    expect(() => e.setBitrate(Number.NaN)).toThrow(/setBitrate/);
    const out = await e.encode(new SyntheticSource(addon, 640, 360).frame(0, 1n));
    expect(out!.keyframe).toBe(true);
    e.close();
  });

  it('encode of a frame with the wrong size or a short buffer throws', () => {
    const e = new addon.Encoder(base);
    const wrong = new SyntheticSource(addon, 1280, 720).frame(0, 1n);
    expect(() => e.encode(wrong)).toThrow(/frame is 1280x720, the encoder was opened for 640x360/);
    expect(thrown(() => e.encode(wrong)).code).toBe('ERR_INPUT_INVALID');
    const short = new SyntheticSource(addon, 640, 360).frame(0, 1n);
    expect(() => e.encode({ ...short, data: short.data.subarray(0, 1000) })).toThrow(/plane 0 ends at byte 230400 beyond the 1000-byte buffer/);
    expect(() => e.encode({ ...short, format: 'rgba' as never })).toThrow(/frame.format must be 'i420' or 'nv12'/);
    e.close();
  });
});

describe('probeEncoders and NVENC', () => {
  it('reports all four codecs, software ones available, each unavailable one with a reason', () => {
    expect(probes.map((p) => p.codec)).toEqual(['x264', 'openh264', 'h264_nvenc', 'hevc_nvenc']);
    for (const p of probes) {
      if (p.available) expect(p.implementation).toBeTruthy();
      else expect(p.reason).toMatch(/avcodec_open2|not built/);
    }
    expect(probes.find((p) => p.codec === 'x264')!.implementation).toMatch(/libavcodec .* libx264 \(x264 core \d+\)/);
    expect(probes.find((p) => p.codec === 'openh264')!.implementation).toMatch(/^libopenh264 \d+\.\d+\.\d+$/);
  });

  for (const codec of ['h264_nvenc', 'hevc_nvenc'] as const) {
    const probe = probes.find((p) => p.codec === codec)!;
    const label = probe.available ? probe.implementation : `unavailable: ${probe.reason}`;
    it.skipIf(probe.available)(`new Encoder({codec: '${codec}'}) throws the probe's reason (${label})`, () => {
      const error = thrown(() => new addon.Encoder({ ...base, codec }));
      expect(error.message).toContain(probe.reason!);
      expect(error.code).toBe('ERR_CODEC_UNAVAILABLE');
    });
    it.skipIf(!probe.available)(`${codec} encodes with IDR on request (${label})`, async () => {
      const source = new SyntheticSource(addon, 640, 360);
      const e = new addon.Encoder({ ...base, codec, gop: 0 });
      const first = await e.encode(source.frame(0, 1n));
      const second = await e.encode(source.frame(1, 2n));
      e.requestKeyframe();
      const third = await e.encode(source.frame(2, 3n));
      expect([first!.keyframe, second!.keyframe, third!.keyframe]).toEqual([true, false, true]);
      if (codec === 'h264_nvenc') {
        const types = h264NalTypes(third!.data);
        expect(types).toEqual(expect.arrayContaining([NAL.sps, NAL.pps, NAL.idrSlice]));
        const d = new addon.Decoder({ codec: 'h264' });
        const [picture] = await d.decode(third!.data);
        expect(picture!.marker).toEqual({ ok: true, frameId: 2, captureTimeNs: 3n });
        d.close();
      }
      e.close();
    });
  }
});

describe('Decoder robustness', () => {
  it('rejects bad options and empty input clearly', () => {
    expect(() => new addon.Decoder({ codec: 'vp8' as 'h264' })).toThrow(/unknown codec 'vp8' \(allowed: h264\)/);
    const d = new addon.Decoder({ codec: 'h264' });
    expect(() => d.decode(Buffer.alloc(0))).toThrow(/access unit must be 1 byte/);
    d.close();
    d.close();
    return expect(d.decode(Buffer.from([0, 0, 1, 0x65]))).rejects.toMatchObject({ code: 'ERR_CODEC_CLOSED' });
  });

  it('garbage rejects with the libavcodec reason and the decoder keeps decoding afterwards', async () => {
    const d = new addon.Decoder({ codec: 'h264', readMarker: false });
    await expect(d.decode(Buffer.from('definitely not h264'))).rejects.toThrow(/Decoder.decode: .*Invalid data/);
    await expect(d.decode(Buffer.from('definitely not h264'))).rejects.toMatchObject({ code: 'ERR_DECODE_FAILED' });
    const source = new SyntheticSource(addon, 640, 360);
    const e = new addon.Encoder(base);
    const idr = await e.encode(source.frame(0, 1n));
    const [picture] = await d.decode(idr!.data);
    expect(picture!.width).toBe(640);
    expect(picture!.marker).toBeUndefined();
    expect(picture!.y.length).toBe(640 * 360);
    e.close();
    d.close();
  });

  it('never crashes on mutated access units (fast-check), and recovers at the next IDR', async () => {
    const source = new SyntheticSource(addon, 320, 240);
    const e = new addon.Encoder({ ...base, width: 320, height: 240, gop: 0 });
    const units: Buffer[] = [];
    for (let i = 0; i < 4; i++) units.push((await e.encode(source.frame(i, BigInt(i + 1))))!.data);
    e.requestKeyframe();
    const recovery = (await e.encode(source.frame(9, 99n)))!.data;
    e.close();
    const d = new addon.Decoder({ codec: 'h264' });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 40 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, flips, cut) => {
          const unit = Buffer.from(units[which]!);
          for (const [at, value] of flips) unit[at % unit.length] = value;
          const input = cut === undefined ? unit : unit.subarray(0, 1 + (cut % unit.length));
          const result = await d.decode(input).then(
            (pictures) => pictures.length,
            (error: Error) => error.message,
          );
          if (typeof result === 'string') expect(result).toMatch(/^Decoder\.decode: /);
        },
      ),
      { numRuns: 150 },
    );
    // the IDR right after the damage comes out itself, not a picture the damage left queued
    const pictures = await d.decode(recovery);
    expect(pictures).toHaveLength(1);
    expect(pictures[0]!.marker).toEqual({ ok: true, frameId: 9, captureTimeNs: 99n });
    d.close();
  });
});
