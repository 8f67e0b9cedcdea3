/**
 * The compiled path end to end: bin/glasslab.js with GLASSLAB_CODE=compiled runs dist/, and the
 * sender and receiver it starts run dist/src/.../main.js with no TypeScript loader. `npm test`
 * builds dist/ first (scripts/setup.sh); while sources are being edited the build is stale and
 * the test says so instead of running old code.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { distFreshness } from '../../bin/dist-freshness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');
const build = distFreshness(root);

describe('GLASSLAB_CODE', () => {
  it('refuses a value it does not know, naming it', async () => {
    const result = await execa(process.execPath, [cli, '--help'], { reject: false, env: { GLASSLAB_CODE: 'wasm' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('GLASSLAB_CODE=wasm is not one of auto, tsx, compiled');
  });

  it('tsx runs the sources without a word about dist/', async () => {
    const result = await execa(process.execPath, [cli, '--help'], { reject: false, env: { GLASSLAB_CODE: 'tsx' } });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
  });
});

describe.skipIf(build.state !== 'fresh')(`a compiled run (needs dist/ to match the sources, scripts/build-dist.sh; it is ${build.state})`, () => {
  let runsRoot: string | undefined;
  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('runs the orchestrator and both children compiled and says so in env.json', async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-compiled-'));
    const scenario = path.join(runsRoot, 'compiled.yaml');
    await writeFile(scenario, 'name: compiled\nduration: 3s\nresolution: 320x180\nfps: 30\nencoder: { codec: x264, bitrate: 400kbps }\n');
    const subprocess = execa(process.execPath, [cli, '--json', 'run', scenario, '--runs', runsRoot], { reject: false, timeout: 90_000, env: { GLASSLAB_CODE: 'compiled' } });
    // the children's command lines, seen while the run goes on
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      void execa('pgrep', ['-af', `main\\.[jt]s --control [^ ]*glasslab-ctl-${subprocess.pid}-`], { reject: false }).then((found) => {
        for (const line of found.stdout.split('\n').filter(Boolean)) seen.add(line.replace(/^\d+ /, ''));
      });
    }, 200);
    const result = await subprocess;
    clearInterval(watcher);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('through tsx');

    const commands = [...seen];
    expect(commands.some((line) => line.includes(path.join(root, 'dist/src/sender/main.js')))).toBe(true);
    expect(commands.some((line) => line.includes(path.join(root, 'dist/src/receiver/main.js')))).toBe(true);
    expect(commands.filter((line) => line.includes('tsx') || line.includes('.ts '))).toEqual([]);

    const runDir = (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { runDir: string }).runDir;
    const env = JSON.parse(await readFile(path.join(runDir, 'env.json'), 'utf8')) as { backends: Record<string, string> };
    expect(env.backends.code).toBe('compiled JavaScript (dist/)');
    const status = JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8')) as { state: string };
    expect(status.state).toBe('completed');
  }, 120_000);
});
