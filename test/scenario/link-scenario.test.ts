/**
 * A scenario's `link:` and `timeline:`: "none", link fields, a profile reference; resolved into
 * the model's parameters; errors name the file, the line and the path.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, parseScenarioText, ScenarioError, type ScenarioIssue } from '../../lab/scenario/load.ts';
import type { ResolvedScenarioLink } from '../../lab/scenario/schema.ts';
import { netemOptions } from '../../lab/impairment/netem-args.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function issuesOf(text: string, file = '/tmp/s/scenario.yaml'): ScenarioIssue[] {
  try {
    parseScenarioText(text, file, 1);
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error('expected the scenario to be refused');
}

const linked = (text: string): ResolvedScenarioLink => {
  const link = parseScenarioText(text, '/tmp/s/scenario.yaml', 1).link;
  if (link === 'none') throw new Error('expected a link');
  return link;
};

describe('scenario link and timeline', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-scenario-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('no link means loopback without an emulator', async () => {
    expect((await loadScenario(path.join(root, 'scenarios/ci-360p.yaml'))).link).toBe('none');
    expect(parseScenarioText('name: a\nlink: none\n', 'x.yaml', 1).link).toBe('none');
  });

  it('resolves impaired-360p: shared and per-direction fields, the timeline keeps the rest', async () => {
    const s = await loadScenario(path.join(root, 'scenarios/impaired-360p.yaml'));
    if (s.link === 'none') throw new Error('expected a link');
    expect(s.link.backend).toBe('userspace');
    expect(s.link.params.up).toMatchObject({ delayUs: 30_000, jitterUs: 4000, rateBps: 20_000_000, loss: { model: 'gemodel', p: 0.03, r: 0.35, oneMinusH: 1, oneMinusK: 0 } });
    expect(s.link.params.down.loss).toBeUndefined();
    expect(s.link.timeline).toHaveLength(1);
    expect(s.link.timeline[0]!.atUs).toBe(3_000_000);
    expect(s.link.timeline[0]!.params.up).toMatchObject({ rateBps: 1_500_000, delayUs: 30_000, loss: { model: 'gemodel', p: 0.03 } });
    expect(s.link.timeline[0]!.params.down.rateBps).toBe(20_000_000);
  });

  it('impaired-360p is expressible by the netem backend at every timeline step', async () => {
    const s = await loadScenario(path.join(root, 'scenarios/impaired-360p.yaml'));
    if (s.link === 'none') throw new Error('expected a link');
    const sets = [s.link.params, ...s.link.timeline.map((t) => t.params)];
    const words = sets.map((set) => [netemOptions(set.up).join(' '), netemOptions(set.down).join(' ')]);
    expect(words[0]).toEqual(['limit 100 delay 30000us 4000us loss gemodel 3% 35% 100% 0% rate 20000000bit', 'limit 100 delay 30000us 4000us rate 20000000bit']);
    expect(words[1]![0]).toBe('limit 100 delay 30000us 4000us loss gemodel 3% 35% 100% 0% rate 1500000bit');
    expect(words[1]![1]).not.toContain('loss');
  });

  it('takes a shipped profile by name, with backend and seed beside it', () => {
    const link = linked('name: p\nlink: { profile: webrtc-bursty-loss, backend: userspace, seed: 9 }\n');
    expect(link.profile).toBe('webrtc-bursty-loss');
    expect(link.backend).toBe('userspace');
    expect(link.seed).toBe(9);
    expect(link.params.up).toMatchObject({ delayUs: 40_000, rateBps: 2_000_000, loss: { model: 'gemodel' } });
    expect(link.timeline[0]!.atUs).toBe(10_000_000); // the profile's own timeline
    const replaced = linked('name: p\nlink: { profile: webrtc-bursty-loss }\ntimeline:\n  - at: 1s\n    set: { delay: 5ms }\n');
    expect(replaced.timeline.map((t) => t.atUs)).toEqual([1_000_000]);
    expect(replaced.timeline[0]!.params.up.delayUs).toBe(5000);
  });

  it('scheduling: realtime by default (absent), normal when asked, beside a profile too; anything else refused by name', () => {
    expect(linked('name: p\nlink: { delay: 5ms }\n').scheduling).toBeUndefined();
    expect(linked('name: p\nlink: { delay: 5ms, scheduling: normal }\n').scheduling).toBe('normal');
    expect(linked('name: p\nlink: { profile: webrtc-bursty-loss, scheduling: realtime }\n').scheduling).toBe('realtime');
    // not a per-direction knob: it does not leak into the directions' parameters
    expect(linked('name: p\nlink: { delay: 5ms, scheduling: normal }\n').params.up).toEqual({ delayUs: 5000 });
    const issues = issuesOf('name: p\nlink: { delay: 5ms, scheduling: fifo }\n');
    expect(issues.map((i) => i.path)).toContain('link.scheduling');
  });

  it('takes a profile file relative to the scenario', async () => {
    await writeFile(path.join(dir, 'mine.yaml'), 'name: mine\nsource: a test\nlink: { delay: 12ms }\n');
    await writeFile(path.join(dir, 'scenario.yaml'), 'name: s\nlink: { profile: ./mine.yaml }\n');
    const s = await loadScenario(path.join(dir, 'scenario.yaml'));
    expect(s.link !== 'none' && s.link.params.down.delayUs).toBe(12_000);
  });

  it.each<[string, string, string, number]>([
    ['a bad unit', 'name: a\nlink:\n  delay: 3 parsecs\n', 'link.delay', 3],
    ['an unknown link field', 'name: a\nlink:\n  delay: 3ms\n  wobble: 1\n', 'link.wobble', 4],
    ['a bad loss model field', 'name: a\nlink:\n  up:\n    loss: { model: gemodel, p: 140% }\n', 'link.up.loss.p', 4],
    ['a bad timeline entry', 'name: a\nlink: { delay: 1ms }\ntimeline:\n  - at: 1s\n    set:\n      rate: fast\n', 'timeline.0.set.rate', 6],
    ['a timeline without a link', 'name: a\ntimeline:\n  - at: 1s\n    set: { delay: 1ms }\n', 'timeline', 3],
    ['a field beside a profile', 'name: a\nlink:\n  profile: nlc-3g\n  delay: 1ms\n', 'link.delay', 4],
    ['an unknown profile', 'name: a\nlink:\n  profile: no-such-profile\n', 'link.profile', 3],
    ['the same knob in both vocabularies', 'name: a\nlink:\n  delay: 1ms\n  queue_delay_ms: 4\n', 'link.up', 3],
  ])('refuses %s, naming file, line and path', (_label, text, issuePath, line) => {
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    const issue = issues.find((i) => i.path === issuePath);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue!.file).toBe('/tmp/s/scenario.yaml');
    expect(issue!.line).toBe(line);
    expect(new ScenarioError(issues).message).toContain(`/tmp/s/scenario.yaml:${line}: ${issuePath}`);
  });

  it('refuses a link that is neither "none" nor a mapping', () => {
    const issues = issuesOf('name: a\nlink: loopback\n');
    expect(issues).toEqual([expect.objectContaining({ path: 'link', line: 2, message: expect.stringContaining('"none"') })]);
  });
});
