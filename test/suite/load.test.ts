/**
 * Suite files: parsing, expansion into validated scenarios, and errors that name file:line, the
 * run with its variant names, and the field path.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterRuns, isSuiteFile, loadSuite, parseSuiteText, SuiteError } from '../../lab/suite/load.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-suite-load-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SUITE = `suite: s
description: test suite
base:
  duration: 3s
  resolution: 360p
  encoder: { codec: x264, bitrate: 400kbps }
  budgets: ["fps >= 1"]
  link:
    backend: userspace
    delay: 10ms
matrix:
  protection:
    - { name: none, set: { protection: { mode: none } } }
    - { name: fec-bursty, set: { protection: { mode: fec, mask: bursty } } }
  loss:
    - { name: 5pct, set: { link: { up: { loss: 5% } } } }
    - { name: ge, set: { link: { up: { loss: { model: gemodel, p: 1.5%, r: 25% } } } } }
  rtt:
    - { name: rtt20 }
    - { name: rtt100, set: { link: { delay: 50ms } } }
exclude:
  - { protection: none, rtt: rtt100 }
budgets: ["g2g.p95 <= 500ms"]
`;

/** The error's lines (one per issue). */
async function issuesOf(text: string, file = path.join(dir, 'suite.yaml')): Promise<string[]> {
  try {
    await parseSuiteText(text, file, 5);
  } catch (error) {
    expect(error).toBeInstanceOf(SuiteError);
    return (error as SuiteError).message.split('\n');
  }
  throw new Error('expected a SuiteError');
}

describe('a valid suite', () => {
  it('expands to validated scenarios in axis order, minus the excluded ones', async () => {
    const suite = await parseSuiteText(SUITE, path.join(dir, 'suite.yaml'), 99);
    expect(suite.name).toBe('s');
    expect(suite.axes).toEqual([
      { name: 'protection', variants: ['none', 'fec-bursty'] },
      { name: 'loss', variants: ['5pct', 'ge'] },
      { name: 'rtt', variants: ['rtt20', 'rtt100'] },
    ]);
    expect(suite.excluded).toBe(2);
    expect(suite.runs.map((r) => r.name)).toEqual(['s-none-5pct-rtt20', 's-none-ge-rtt20', 's-fec-bursty-5pct-rtt20', 's-fec-bursty-5pct-rtt100', 's-fec-bursty-ge-rtt20', 's-fec-bursty-ge-rtt100']);
    const run = suite.runs.find((r) => r.name === 's-fec-bursty-ge-rtt100')!;
    expect(run.variants).toEqual({ protection: 'fec-bursty', loss: 'ge', rtt: 'rtt100' });
    const { scenario } = run;
    expect(scenario.name).toBe('s-fec-bursty-ge-rtt100');
    expect(scenario.durationMs).toBe(3000);
    expect([scenario.width, scenario.height]).toEqual([640, 360]);
    expect(scenario.encoder.bitrateBps).toBe(400_000);
    expect(scenario.protection).toMatchObject({ mode: 'fec', mask: 'bursty' });
    expect(scenario.seed).toBe(99);
    if (scenario.link === 'none') throw new Error('expected a link');
    expect(scenario.link.params.up.delayUs).toBe(50_000);
    expect(scenario.link.params.down.delayUs).toBe(50_000);
    expect(scenario.link.params.up.loss).toMatchObject({ model: 'gemodel', p: 0.015, r: 0.25 });
    expect(scenario.link.params.down.loss).toBeUndefined();
    // the scenario's own budgets, then the suite's
    expect(scenario.budgets).toEqual(['fps >= 1', 'g2g.p95 <= 500ms']);
    const other = suite.runs.find((r) => r.name === 's-none-5pct-rtt20')!.scenario;
    expect(other.protection?.mode).toBe('none');
    if (other.link === 'none') throw new Error('expected a link');
    expect(other.link.params.up.delayUs).toBe(10_000);
    expect(other.link.params.up.loss).toMatchObject({ model: 'random', p: 0.05 });
  });

  it('takes the base from a scenario file relative to the suite file (a sibling folder once allowed); its name is replaced', async () => {
    await mkdir(path.join(dir, 'base'), { recursive: true });
    await writeFile(path.join(dir, 'base', 'b.yaml'), 'name: base-name\nduration: 2s\nresolution: 360p\nseed: 17\nlink: { profile: nlc-lte }\n');
    await mkdir(path.join(dir, 'suites'), { recursive: true });
    const file = path.join(dir, 'suites', 'from-file.yaml');
    await writeFile(file, 'suite: ff\nscenario: ../base/b.yaml\nmatrix:\n  fps:\n    - { name: f15, set: { fps: 15 } }\n    - { name: f30, set: { fps: 30 } }\n');
    // outside the suite's folder: refused, saying how to allow it
    await expect(loadSuite(file)).rejects.toThrow(`from-file.yaml:2: scenario: ${path.join(dir, 'base', 'b.yaml')}: is outside the folders it may be read from`);
    await expect(loadSuite(file)).rejects.toThrow(`run with --allow-path ${path.join(dir, 'base')}`);
    const suite = await loadSuite(file, undefined, [path.join(dir, 'base')]);
    expect(suite.runs.map((r) => [r.name, r.scenario.fps, r.scenario.durationMs, r.scenario.seed])).toEqual([
      ['ff-f15', 15, 2000, 17],
      ['ff-f30', 30, 2000, 17],
    ]);
    const link = suite.runs[0]!.scenario.link;
    expect(link !== 'none' && link.profile).toBe('nlc-lte');
  });

  it('is told apart from a scenario by its top-level suite key', async () => {
    const suiteFile = path.join(dir, 'is-suite.yaml');
    await writeFile(suiteFile, SUITE);
    const scenarioFile = path.join(dir, 'scenario.yaml');
    await writeFile(scenarioFile, 'name: x\nsuite_like: no\n');
    expect(await isSuiteFile(suiteFile)).toBe(true);
    expect(await isSuiteFile(scenarioFile)).toBe(false);
    expect(await isSuiteFile(path.join(dir, 'missing.yaml'))).toBe(false);
    await writeFile(path.join(dir, 'list.yaml'), '- suite: x\n');
    expect(await isSuiteFile(path.join(dir, 'list.yaml'))).toBe(false);
  });

  it('--filter selects runs by a glob on the run name', async () => {
    const { runs } = await parseSuiteText(SUITE, path.join(dir, 'suite.yaml'), 1);
    expect(filterRuns(runs, '*-rtt100').map((r) => r.name)).toEqual(['s-fec-bursty-5pct-rtt100', 's-fec-bursty-ge-rtt100']);
    expect(filterRuns(runs, 's-none-*')).toHaveLength(2);
    expect(filterRuns(runs, 'none')).toHaveLength(0);
    expect(filterRuns(runs, undefined)).toHaveLength(6);
  });
});

describe('an invalid expanded scenario', () => {
  const file = (): string => path.join(dir, 'suite.yaml');

  it('names the line of the variant that set the bad field, the run, its variants and the path', async () => {
    const text = SUITE.replace('{ name: fec-bursty, set: { protection: { mode: fec, mask: bursty } } }', '{ name: fec-bursty, set: { protection: { mode: fec, mask: zigzag } } }');
    const lines = await issuesOf(text);
    // one issue per run with that variant (4 of them), each at line 14
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`${file()}:14: run s-fec-bursty-5pct-rtt20 (protection=fec-bursty, loss=5pct, rtt=rtt20): protection.mask: ${lines[0]!.split('protection.mask: ')[1]}`);
    expect(lines[0]).toMatch(/protection\.mask: .*random.*bursty/);
    expect(lines.every((line) => line.startsWith(`${file()}:14: run s-fec-bursty-`))).toBe(true);
  });

  it('a bad link value in a variant and an unknown field', async () => {
    const text = SUITE.replace('loss: 5% }', 'loss: 150% }').replace('{ name: rtt20 }', '{ name: rtt20, set: { frame_rate: 30 } }');
    const lines = await issuesOf(text);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${file()}:16: run s-none-5pct-rtt20 \\(protection=none, loss=5pct, rtt=rtt20\\): link\\.up\\.loss\\.p: `)));
    expect(lines).toContainEqual(`${file()}:19: run s-none-5pct-rtt20 (protection=none, loss=5pct, rtt=rtt20): frame_rate: unknown field "frame_rate"`);
  });

  it('a bad base field points at the base', async () => {
    const lines = await issuesOf(SUITE.replace('bitrate: 400kbps', 'bitrate: fast'));
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(new RegExp(`^${file()}:6: run s-none-5pct-rtt20 \\(.*\\): encoder\\.bitrate: expected a bitrate`));
  });

  it('a run name that is too long points at the suite name', async () => {
    const lines = await issuesOf(SUITE.replace('suite: s\n', `suite: ${'x'.repeat(48)}\n`));
    expect(lines[0]).toMatch(new RegExp(`^${file()}:1: run x+-fec-bursty-5pct-rtt20 .*: name: .*the run name is the suite name and the variant names`));
  });
});

describe('an invalid suite file', () => {
  const file = (): string => path.join(dir, 'suite.yaml');
  it.each([
    ['no matrix', 'suite: s\nbase: {}\n', ':1: matrix: required'],
    ['base and scenario both', 'suite: s\nbase: {}\nscenario: x.yaml\nmatrix: { a: [ { name: x } ] }\n', ':2: base: give exactly one of "base"'],
    ['neither base nor scenario', 'suite: s\nmatrix: { a: [ { name: x } ] }\n', 'base: give exactly one'],
    ['an unknown top-level field', 'suite: s\nbase: {}\nmatrix: { a: [ { name: x } ] }\nmatrx: 1\n', ':4: matrx: unknown field "matrx"'],
    ['a variant name with a space', 'suite: s\nbase: {}\nmatrix:\n  a:\n    - { name: "x y" }\n', ':5: matrix.a.0.name: expected letters'],
    ['an empty axis', 'suite: s\nbase: {}\nmatrix:\n  a: []\n', ':4: matrix.a: an axis needs at least one variant'],
    ['a variant without a name', 'suite: s\nbase: {}\nmatrix:\n  a:\n    - { set: { fps: 1 } }\n', 'matrix.a.0.name: required'],
    ['the same variant name twice', 'suite: s\nbase: {}\nmatrix:\n  a:\n    - { name: x }\n    - { name: x }\n', ':6: matrix.a.1.name: variant name "x" is used twice'],
    ['an exclude naming no axis', 'suite: s\nbase: {}\nmatrix:\n  a: [ { name: x }, { name: y } ]\nexclude:\n  - { b: x }\n', ':6: exclude.0.b: no axis "b" (axes: a)'],
    ['an exclude matching no variant', 'suite: s\nbase: {}\nmatrix:\n  a: [ { name: x }, { name: y } ]\nexclude:\n  - { a: z* }\n', 'exclude.0.a: matches no variant of a (x, y)'],
    ['an exclude leaving nothing', 'suite: s\nbase: {}\nmatrix:\n  a: [ { name: x }, { name: y } ]\nexclude:\n  - { a: "*" }\n', ':6: exclude: leaves out all 2 combinations'],
    ['a bad budget', 'suite: s\nbase: {}\nmatrix:\n  a: [ { name: x } ]\nbudgets:\n  - g2g.p95 < fast\n', ':6: budgets.0: budget "g2g.p95 < fast"'],
    ['a YAML syntax error', 'suite: s\nbase: {\nmatrix: [\n', 'YAML: '],
    ['a list document', '- suite: s\n', '(document): expected a mapping'],
  ])('%s', async (_label, text, expected) => {
    const lines = await issuesOf(text);
    expect(lines.join('\n')).toContain(expected);
    expect(lines[0]!.startsWith(file())).toBe(true);
  });

  it('a missing base scenario file names the scenario line', async () => {
    const lines = await issuesOf('suite: s\nscenario: nowhere.yaml\nmatrix:\n  a: [ { name: x } ]\n');
    expect(lines[0]).toBe(`${file()}:2: scenario: ${path.join(dir, 'nowhere.yaml')}: cannot read: ENOENT`);
  });

  it('a missing suite file', async () => {
    await expect(loadSuite(path.join(dir, 'none.yaml'))).rejects.toThrow(`${path.join(dir, 'none.yaml')}: (document): cannot read: ENOENT`);
  });
});
