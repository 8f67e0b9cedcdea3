/**
 * A full disk (a real one: a small tmpfs mounted here) or any write error: one line naming the
 * file and the cause, no partial file, and the report command exits 3 without a results.json
 * that looks complete.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../lab/cli/commands/report.ts';
import { AtomicWriteError, writeFileAtomic, writeFileAtomicSync } from '../../lab/results/atomic.ts';
import { NdjsonWriter } from '../../src/shared/ndjson.ts';
import { WriteFailedError } from '../../src/shared/write-error.ts';
import { syntheticRun, writeSyntheticRunDir } from './fixtures.ts';

const rooted = process.getuid?.() === 0;

/** Fills the filesystem of `dir` up to the last byte. */
function fill(dir: string): void {
  const chunk = Buffer.alloc(4096, 1);
  for (let i = 0; ; i += 1) {
    try {
      writeFileSync(path.join(dir, `filler-${i}`), chunk);
    } catch {
      break;
    }
  }
  // tmpfs hands out whole pages: also take the space left inside the last one
  for (let size = 2048; size >= 1; size = Math.floor(size / 2)) {
    try {
      writeFileSync(path.join(dir, `filler-small-${size}`), Buffer.alloc(size, 1));
    } catch {
      /* full at this size */
    }
  }
}

describe.skipIf(!rooted)('writes on a full disk (tmpfs, needs root)', () => {
  let mountPoint: string;
  beforeAll(async () => {
    mountPoint = await mkdtemp(path.join(os.tmpdir(), 'glasslab-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint]);
  });
  afterAll(async () => {
    if (!mountPoint) return;
    // lazy: a file a failed assertion left open must not keep the mount for good
    execFileSync('umount', ['-l', mountPoint]);
    await rm(mountPoint, { recursive: true, force: true });
  });

  it('NdjsonWriter reports ENOSPC once, naming the file, and drops later records', async () => {
    const dir = path.join(mountPoint, 'ndjson');
    await mkdir(dir);
    const file = path.join(dir, 'sender.ndjson');
    const errors: WriteFailedError[] = [];
    const writer = new NdjsonWriter(file, { maxBufferBytes: 1024, onError: (error) => errors.push(error) });
    fill(dir);
    for (let i = 0; i < 200; i += 1) writer.write({ type: 'event', side: 'sender', timeMs: i, name: 'x'.repeat(100) });
    writer.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WriteFailedError);
    expect(errors[0]!.message).toBe(`cannot write ${file}: no space left on device (ENOSPC)`);
    expect(errors[0]!.errno).toBe('ENOSPC');
    expect(errors[0]!.code).toBe('WRITE_FAILED');
    // without onError the failure throws from the call that flushed
    const bare = new NdjsonWriter(path.join(dir, 'bare.ndjson'));
    bare.write({ n: 1 });
    expect(() => bare.flushSync()).toThrow(`cannot write ${path.join(dir, 'bare.ndjson')}: no space left on device (ENOSPC)`);
    bare.close();
    for (const name of readdirSync(dir)) if (name.startsWith('filler')) await rm(path.join(dir, name));
  });

  it('an atomic write that meets ENOSPC leaves the old file and no temp file', async () => {
    const dir = path.join(mountPoint, 'atomic');
    await mkdir(dir);
    const target = path.join(dir, 'results.json');
    await writeFile(target, 'old');
    fill(dir);
    const big = 'x'.repeat(64 * 1024);
    await expect(writeFileAtomic(target, big)).rejects.toThrow(new AtomicWriteError(target, Object.assign(new Error('x'), { code: 'ENOSPC' })).message);
    expect(() => writeFileAtomicSync(target, big)).toThrow(/^cannot write .*results\.json: no space left on device \(ENOSPC\)$/);
    expect(await readFile(target, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    for (const name of readdirSync(dir)) if (name.startsWith('filler')) await rm(path.join(dir, name));
  });

  it('glasslab report on a full disk: one line naming the file, exit 3, no results.json', async () => {
    const source = await writeSyntheticRunDir(syntheticRun({ frameCount: 30 }), { 'scenario.json': JSON.stringify({ name: 'synthetic', budgets: ['g2g.p95 <= 500ms'] }) });
    const dir = path.join(mountPoint, 'run');
    await mkdir(dir);
    for (const name of readdirSync(source)) await writeFile(path.join(dir, name), await readFile(path.join(source, name)));
    await rm(source, { recursive: true, force: true });
    fill(mountPoint);
    const err: string[] = [];
    const code = await runReportCommand(dir, {}, { out: () => undefined, err: (t) => void err.push(t) });
    expect(code).toBe(3);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(new RegExp(`^glasslab: cannot write ${dir}/(report\\.html|junit\\.xml|results\\.json): no space left on device \\(ENOSPC\\)$`));
    expect(existsSync(path.join(dir, 'results.json'))).toBe(false);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

describe('write failures without a full disk', () => {
  it('any errno: the file and the cause in plain words, one line, no stack', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-wf-'));
    try {
      // a folder where the record file should be: EISDIR on open
      await mkdir(path.join(dir, 'sender.ndjson'));
      let caught: unknown;
      try {
        new NdjsonWriter(path.join(dir, 'sender.ndjson'));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WriteFailedError);
      expect((caught as WriteFailedError).message).toBe(`cannot write ${path.join(dir, 'sender.ndjson')}: is a folder (EISDIR)`);
      expect((caught as WriteFailedError).stack).toBe((caught as WriteFailedError).message);
      await expect(writeFileAtomic(path.join(dir, 'missing', 'x.json'), 'x')).rejects.toThrow(`cannot write ${path.join(dir, 'missing', 'x.json')}: no such file or directory (ENOENT)`);
      expect(new WriteFailedError('/x', Object.assign(new Error('odd'), { code: 'EWEIRD' })).message).toBe('cannot write /x: eweird (EWEIRD)');
      expect(new WriteFailedError('/x', new Error('plain')).message).toBe('cannot write /x: plain');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
