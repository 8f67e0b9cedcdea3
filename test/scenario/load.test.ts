import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenarioText, ScenarioError } from '../../lab/scenario/load.ts';
import { parseBitrateBps, parseDurationMs, parseResolution } from '../../lab/scenario/units.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function issuesOf(text: string): string[] {
  try {
    parseScenarioText(text, 'x.yaml', 1);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).message.split('\n');
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario units', () => {
  it('parses durations, bitrates and resolutions, and refuses the rest', () => {
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5m')).toBe(90_000);
    expect(parseDurationMs('10 parsecs')).toBeUndefined();
    expect(parseBitrateBps('2Mbps')).toBe(2_000_000);
    expect(parseBitrateBps('300 kbit/s')).toBe(300_000);
    expect(parseBitrateBps('1.5M')).toBe(1_500_000);
    expect(parseBitrateBps('fast')).toBeUndefined();
    expect(parseResolution('720p')).toEqual([1280, 720]);
    expect(parseResolution('640x360')).toEqual([640, 360]);
    expect(parseResolution('big')).toBeUndefined();
  });
});

describe('scenario files', () => {
  it('fills every default and resolves units; the seed is kept or given', () => {
    const s = parseScenarioText('name: a\n', 'a.yaml', 77);
    expect(s).toMatchObject({
      name: 'a',
      durationMs: 10_000,
      width: 1280,
      height: 720,
      fps: 30,
      seed: 77,
      encoder: { codec: 'x264', bitrateBps: 2_000_000, gop: 0, vbvFrames: 1, threads: 1 },
      capture: { path: 'readback', format: 'i420' },
      transport: { mtu: 1200 },
      budgets: [],
    });
    expect(parseScenarioText('name: a\nseed: 5\n', 'a.yaml', 77).seed).toBe(5);
  });

  it('normalizes budgets given as a map or as a list', () => {
    expect(parseScenarioText('name: a\nbudgets:\n  g2g.p95: 120ms\n  fps: ">= 29"\n', 'a.yaml').budgets).toEqual(['g2g.p95 <= 120ms', 'fps >= 29']);
    expect(parseScenarioText('name: a\nbudgets: ["residualLoss <= 0.1%"]\n', 'a.yaml').budgets).toEqual(['residualLoss <= 0.1%']);
  });

  it('names file, line, path and expectation for every problem', () => {
    const issues = issuesOf('name: a\nencoder:\n  codec: vp8\n  bitrate: 5\nresolution: 641x360\nfps: -1\nbogus: 1\n');
    expect(issues).toContainEqual(expect.stringMatching(/^x\.yaml:3: encoder\.codec: .*"x264"/));
    expect(issues).toContainEqual(expect.stringMatching(/^x\.yaml:4: encoder\.bitrate: expected a bitrate/));
    expect(issues).toContainEqual(expect.stringMatching(/^x\.yaml:5: resolution: expected "WIDTHxHEIGHT"/));
    expect(issues).toContainEqual(expect.stringMatching(/^x\.yaml:6: fps: /));
    expect(issues).toContainEqual('x.yaml:7: bogus: unknown field "bogus"');
    expect(issuesOf('duration: 5s\n')).toContainEqual(expect.stringMatching(/^x\.yaml(:\d+)?: name: required/));
    expect(issuesOf('name: [\n')[0]).toMatch(/^x\.yaml:\d+: \(document\): YAML: /);
    expect(issuesOf('- a\n')).toEqual(['x.yaml: (document): expected a mapping of scenario fields (name, duration, ...)']);
  });

  it('any text is either a scenario or a ScenarioError, never another exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseScenarioText(text, 'f.yaml', 1);
        } catch (error) {
          expect(error).toBeInstanceOf(ScenarioError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a missing file is a ScenarioError naming it', async () => {
    await expect(loadScenario('/nonexistent/s.yaml')).rejects.toThrow('/nonexistent/s.yaml: (document): cannot read: ENOENT');
  });

  it('every scenario shipped in scenarios/ loads', async () => {
    const files = (await readdir(path.join(root, 'scenarios'))).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const scenario = await loadScenario(path.join(root, 'scenarios', file));
      expect(scenario.name).toMatch(/\S/);
    }
  });
});
