/**
 * SIGINT during a real loopback run: the run ends interrupted, exit 3, and the message says so
 * once ("[run] interrupted: the run was interrupted before its planned end"), not
 * "interrupted: interrupted: ...".
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

describe('an interrupted run', () => {
  let runsRoot: string | undefined;
  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('says "interrupted" once, in status.json and on stderr, and exits 3', async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-int-'));
    const subprocess = execa(process.execPath, [cli, 'run', path.join(root, 'scenarios/ci-360p.yaml'), '--runs', runsRoot], { reject: false, timeout: 90_000 });
    let stderr = '';
    let signalled = false;
    subprocess.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // once only: a second SIGINT after the run ended would find no handler and kill the CLI
      if (!signalled && stderr.includes(': running')) {
        signalled = true;
        subprocess.kill('SIGINT');
      }
    });
    const result = await subprocess;
    expect(result.exitCode, stderr).toBe(3);
    expect(stderr).toContain('[run] interrupted: the run was interrupted before its planned end\n');
    expect(stderr).not.toContain('interrupted: interrupted');
    const [name] = await readdir(runsRoot);
    const status = JSON.parse(await readFile(path.join(runsRoot, name!, 'status.json'), 'utf8')) as { state: string; message: string };
    expect(status).toMatchObject({ state: 'interrupted', message: 'the run was interrupted before its planned end' });
  }, 120_000);
});
