// bin/dist-freshness.js decides whether bin/glasslab.js runs dist/ or the sources through tsx:
// a build that no longer matches the sources must never run.
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { distFreshness, newestSourceMtimeMs, STAMP_FILE } from '../../bin/dist-freshness.js';

describe('dist freshness', () => {
  let root: string;
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'glasslab-dist-'));
    for (const dir of ['lab/cli', 'src/sender', 'dist']) await mkdir(path.join(root, dir), { recursive: true });
    for (const [file, seconds] of [['lab/cli/main.ts', 10], ['src/sender/main.ts', 20], ['tsconfig.json', 5], ['tsconfig.build.json', 5]] as const) {
      await writeFile(path.join(root, file), '');
      await utimes(path.join(root, file), at(seconds), at(seconds));
    }
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  const stamp = (newest: number) => writeFile(path.join(root, STAMP_FILE), JSON.stringify({ newestSourceMtimeMs: newest }));

  it('finds the newest source under lab/ and src/', () => {
    expect(newestSourceMtimeMs(root)).toBe(at(20).getTime());
  });

  it('is missing without a stamp, or with one that is not a build stamp', async () => {
    expect(distFreshness(root).state).toBe('missing');
    await writeFile(path.join(root, STAMP_FILE), '{"builtAt":"x"}');
    expect(distFreshness(root)).toMatchObject({ state: 'missing', reason: expect.stringContaining('not a build stamp') });
  });

  it('is fresh when the stamp covers every source', async () => {
    await stamp(at(20).getTime());
    expect(distFreshness(root)).toEqual({ state: 'fresh' });
  });

  it('is stale after an edit, a new file or a configuration change', async () => {
    await stamp(at(20).getTime());
    await utimes(path.join(root, 'lab/cli/main.ts'), at(30), at(30));
    expect(distFreshness(root)).toMatchObject({ state: 'stale', reason: expect.stringContaining('sources changed') });

    await stamp(at(30).getTime());
    await writeFile(path.join(root, 'src/sender/new-unit.ts'), '');
    await utimes(path.join(root, 'src/sender/new-unit.ts'), at(40), at(40));
    expect(distFreshness(root).state).toBe('stale');

    await stamp(at(40).getTime());
    await utimes(path.join(root, 'tsconfig.build.json'), at(50), at(50));
    expect(distFreshness(root).state).toBe('stale');
  });

  it('ignores files that are not TypeScript sources', async () => {
    await stamp(at(20).getTime());
    await writeFile(path.join(root, 'lab/cli/notes.md'), '');
    expect(distFreshness(root).state).toBe('fresh');
  });
});
