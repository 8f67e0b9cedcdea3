/**
 * capture.fallback end to end: a scenario asking for zero-copy with x264 (which cannot take GPU
 * surfaces) fails with the reason; with fallback it runs on gpu-convert, and env.json and the
 * report say which path was passed over and why.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

function scenario(name: string, fallback: boolean): string {
  return [
    `name: ${name}`,
    'duration: 2s',
    'resolution: 320x180',
    'fps: 30',
    'seed: 7',
    'encoder: { codec: x264, bitrate: 400kbps }',
    `capture: { path: zero-copy, format: nv12, fallback: ${fallback} }`,
    '',
  ].join('\n');
}

interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  runDir: string;
}

async function run(dir: string, name: string, fallback: boolean): Promise<Outcome> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, scenario(name, fallback));
  const result = await execa(process.execPath, [cli, '--json', 'run', file, '--runs', path.join(dir, 'runs')], { reject: false, timeout: 90_000 });
  const last = result.stdout.trim().split('\n').at(-1) ?? '{}';
  const runDir = (JSON.parse(last) as { runDir?: string }).runDir ?? '';
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, runDir };
}

describe('capture.fallback (zero-copy asked, x264 encoder)', () => {
  let dir: string;
  let strict: Outcome;
  let lenient: Outcome;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-fallback-'));
    strict = await run(dir, 'zc-strict', false);
    lenient = await run(dir, 'zc-fallback', true);
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('without fallback the run fails and its status gives the reason', async () => {
    expect(strict.exitCode, strict.stdout + strict.stderr).not.toBe(0);
    const status = JSON.parse(await readFile(path.join(strict.runDir, 'status.json'), 'utf8')) as { state: string; message: string };
    expect(status.state).toBe('failed');
    expect(status.message).toContain("capture path 'zero-copy' is not available: zero-copy hands each frame to NVENC on the GPU; encoder.codec x264 takes frames in host memory");
  });

  it('with fallback it runs on gpu-convert; env.json and the report name the refusal', async () => {
    expect(lenient.exitCode, lenient.stdout + lenient.stderr).toBe(0);
    const env = JSON.parse(await readFile(path.join(lenient.runDir, 'env.json'), 'utf8')) as {
      backends: { capture: string };
      skipped: Array<{ what: string; why: string }>;
    };
    expect(env.backends.capture).toBe('gpu-convert');
    expect(env.skipped).toContainEqual({
      what: 'capture path zero-copy',
      why: 'zero-copy hands each frame to NVENC on the GPU; encoder.codec x264 takes frames in host memory (use h264_nvenc or hevc_nvenc); ran gpu-convert instead (capture.fallback)',
    });
    const results = JSON.parse(await readFile(path.join(lenient.runDir, 'results.json'), 'utf8')) as { environment?: { skipped?: Array<{ what: string }> } };
    expect(JSON.stringify(results)).toContain('capture path zero-copy');
    const html = await readFile(path.join(lenient.runDir, 'report.html'), 'utf8');
    expect(html).toContain('<b>capture path zero-copy</b>: zero-copy hands each frame to NVENC');
  });
});
