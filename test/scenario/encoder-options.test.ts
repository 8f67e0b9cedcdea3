// Every encoder option the addon accepts can be set in a scenario, is range-checked at load with
// the range in the message, and reaches the native encoder as written (proved by what the
// encoder does with it: a low qpMax makes x264 overshoot a starved rate many times over).
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/native/addon.ts';
import { parseScenarioText, ScenarioError } from '../../lab/scenario/load.ts';
import { describeEncoderOptions } from '../../src/sender/encoder-options.ts';
import { encoderOptionsOf } from '../../lab/run/child-options.ts';
import { SyntheticSource } from '../native/synthetic.ts';

const scenario = (encoder: string) => parseScenarioText(`name: e\nresolution: 320x240\nencoder: ${encoder}\n`, 'e.yaml', 1);

function issue(encoder: string): string {
  try {
    scenario(encoder);
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  return 'no error';
}

describe('encoder options in a scenario', () => {
  it('passes every option through to the encoder options, qpMax only when given', () => {
    const options = encoderOptionsOf(scenario('{ codec: x264, bitrate: 300kbps, gop: 60, vbvFrames: 2.5, threads: 2, qpMax: 40 }'));
    expect(options).toEqual({ codec: 'x264', width: 320, height: 240, fps: 30, bitrateBps: 300_000, gop: 60, vbvFrames: 2.5, threads: 2, qpMax: 40 });
    expect(describeEncoderOptions(options)).toBe('x264 320x240@30 bitrateBps=300000 gop=60 vbvFrames=2.5 threads=2 qpMax=40 input=i420');
    const defaults = encoderOptionsOf(scenario('{ codec: x264 }'));
    expect('qpMax' in defaults).toBe(false);
    expect(describeEncoderOptions(defaults)).toMatch(/qpMax=default input=i420$/);
  });

  it('refuses values outside the ranges the addon accepts, naming the range', () => {
    expect(issue('{ qpMax: 52 }')).toBe('e.yaml:3: encoder.qpMax: must be ≤ 51 (the highest H.264 QP)');
    expect(issue('{ qpMax: -1 }')).toBe('e.yaml:3: encoder.qpMax: must be ≥ 0');
    expect(issue('{ qpMax: 30.5 }')).toBe('e.yaml:3: encoder.qpMax: must be a whole number');
    // the addon refuses vbvFrames below 0.1 (the schema let any positive value through before)
    expect(issue('{ vbvFrames: 0.05 }')).toBe('e.yaml:3: encoder.vbvFrames: must be ≥ 0.1');
    expect(issue('{ qpMax: "low" }')).toBe('e.yaml:3: encoder.qpMax: expected number, got text');
  });

  it('reaches the native x264 encoder: qpMax 10 at a starved 30 kbit/s makes the stream far larger than the default', async () => {
    const native = loadNative();
    const bytesOf = async (encoderField: string): Promise<number> => {
      const encoder = new native.Encoder(encoderOptionsOf(scenario(encoderField)));
      const source = new SyntheticSource(native, 320, 240);
      let bytes = 0;
      try {
        for (let i = 0; i < 10; i++) bytes += (await encoder.encode(source.frame(i, native.monotonicNowNs())))?.data.length ?? 0;
      } finally {
        encoder.close();
      }
      return bytes;
    };
    const capped = await bytesOf('{ codec: x264, bitrate: 30kbps, qpMax: 10 }');
    const free = await bytesOf('{ codec: x264, bitrate: 30kbps }');
    expect(capped).toBeGreaterThan(4 * free);
  });
});
