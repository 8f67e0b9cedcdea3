import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childCode, childEntry } from '../../lab/run/child-entry.ts';
import { repositoryRoot, runsCompiled } from '../../src/shared/repository-root.ts';

describe('childEntry', () => {
  it('runs the TypeScript source through tsx when the lab runs from its sources', () => {
    const sender = childEntry('src/sender/main.ts', false);
    expect(sender.code).toBe('tsx');
    expect(sender.execArgv).toEqual(['--import', expect.stringMatching(/^file:.*\/node_modules\/tsx\//)]);
    expect(sender.entry).toBe(path.join(repositoryRoot, 'src/sender/main.ts'));
    expect(existsSync(sender.entry)).toBe(true);
  });

  it('runs the compiled module from dist/ with no loader when the lab runs compiled', () => {
    const receiver = childEntry('src/receiver/main.ts', true);
    expect(receiver).toEqual({ execArgv: [], entry: path.join(repositoryRoot, 'dist/src/receiver/main.js'), code: 'compiled' });
  });

  it('follows the module it is loaded from by default (vitest runs the sources)', () => {
    expect(runsCompiled).toBe(false);
    expect(childEntry('src/transport/stun-main.ts').code).toBe('tsx');
  });

  it('refuses an entry that is not a TypeScript source', () => {
    expect(() => childEntry('src/sender/main.js', true)).toThrow(/not a TypeScript source/);
  });
});

describe('childCode', () => {
  const saved = process.env.GLASSLAB_CHILD_CODE;
  afterEach(() => {
    if (saved === undefined) delete process.env.GLASSLAB_CHILD_CODE;
    else process.env.GLASSLAB_CHILD_CODE = saved;
  });

  it('follows GLASSLAB_CHILD_CODE when it is set, and refuses a value it does not know', () => {
    process.env.GLASSLAB_CHILD_CODE = 'compiled';
    expect(childCode()).toBe('compiled');
    expect(childEntry('src/sender/main.ts').entry).toMatch(/dist\/src\/sender\/main\.js$/);
    process.env.GLASSLAB_CHILD_CODE = 'tsx';
    expect(childCode()).toBe('tsx');
    process.env.GLASSLAB_CHILD_CODE = 'bun';
    expect(() => childCode()).toThrow('GLASSLAB_CHILD_CODE=bun is not one of tsx, compiled');
  });
});
