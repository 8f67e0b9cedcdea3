/**
 * Atomic file writes: a reader of `path` sees either the old file or the complete new one, never
 * a half-written file. The data goes to a temp file in the same folder (same filesystem, so the
 * rename is atomic), is fsync'ed, then renamed over `path`; the folder is fsync'ed afterwards so
 * the rename itself survives a crash.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { WriteFailedError } from '../../src/shared/write-error.ts';

/**
 * Error thrown when an atomic write fails; the target file is left untouched and the temp file
 * removed. Its message names the target and the cause (`cannot write x.json: no space left on
 * device (ENOSPC)`); code WRITE_FAILED like every write failure of the lab.
 */
export class AtomicWriteError extends WriteFailedError {
  constructor(readonly targetPath: string, cause: unknown) {
    super(targetPath, cause);
    this.name = 'AtomicWriteError';
  }
}

function tempPathFor(targetPath: string): string {
  const dir = path.dirname(targetPath);
  return path.join(dir, `.${path.basename(targetPath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function fsyncDirSync(dir: string): void {
  // Directory fsync is not supported everywhere (e.g. some network filesystems); it only adds durability.
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/** Writes `data` (UTF-8 for strings) to `targetPath` atomically; async version. */
export async function writeFileAtomic(targetPath: string, data: string | Uint8Array): Promise<void> {
  const tempPath = tempPathFor(targetPath);
  try {
    const handle = await open(tempPath, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, targetPath);
  } catch (error) {
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw new AtomicWriteError(targetPath, error);
  }
  fsyncDirSync(path.dirname(targetPath));
}

/** Writes `data` to `targetPath` atomically; synchronous version (for exit handlers). */
export function writeFileAtomicSync(targetPath: string, data: string | Uint8Array): void {
  const tempPath = tempPathFor(targetPath);
  try {
    const fd = openSync(tempPath, 'wx', 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tempPath, targetPath);
  } catch (error) {
    rmSync(tempPath, { force: true });
    throw new AtomicWriteError(targetPath, error);
  }
  fsyncDirSync(path.dirname(targetPath));
}
