/**
 * Checks a folder the CLI will write into (`run --runs`, `report -o/--out`) before anything runs,
 * so an unusable one is one line and exit 2 instead of a failure (or a hang) later. Node 20's
 * `mkdir(..., { recursive: true })` spins for good on a path like /proc/x, so the folder is made
 * here one step at a time without `recursive`, and a temporary file is created and removed inside
 * it to prove it can be written (root ignores permission bits but not a read-only mount).
 */
import { closeSync, mkdirSync, openSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/** Pseudo file systems nothing is written into (their files are the kernel's, not ours). */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

/** Why a folder cannot be used; the CLI prints it as one line and exits 2. */
export class OutputPathError extends Error {
  readonly code = 'OUTPUT_PATH_UNUSABLE';
  constructor(
    readonly flag: string,
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`${flag} ${dir}: ${reason}`);
    this.name = 'OutputPathError';
  }
}

const ERRNO_TEXT: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'a part of the path does not exist',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

function causeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined ? `${ERRNO_TEXT[code] ?? 'cannot be written'} (${code})` : (error as Error).message;
}

function underPseudo(dir: string): string | undefined {
  return PSEUDO_ROOTS.find((root) => dir === root || dir.startsWith(`${root}/`));
}

/** The deepest existing ancestor of `dir` (itself when it exists), real path resolved. */
function existingAncestor(dir: string): string {
  for (let at = dir; ; at = path.dirname(at)) {
    try {
      return realpathSync(at);
    } catch {
      if (at === path.dirname(at)) return at;
    }
  }
}

/**
 * Makes sure `dir` is a folder this process can write: creates what is missing, one level at a
 * time, and writes and removes a probe file. Returns the absolute path; throws OutputPathError
 * naming `flag`, the path and the cause.
 */
export function ensureWritableFolder(flag: string, dir: string): string {
  const absolute = path.resolve(dir);
  const fail = (reason: string): never => {
    throw new OutputPathError(flag, dir, reason);
  };
  const pseudo = underPseudo(absolute) ?? underPseudo(existingAncestor(absolute));
  if (pseudo !== undefined) fail(`is under ${pseudo}, a kernel pseudo file system`);
  const missing: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    let isFolder: boolean | undefined;
    try {
      isFolder = statSync(at).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') fail(causeOf(error));
    }
    if (isFolder === false) fail(at === absolute ? 'is a file, not a folder' : `${at} is a file, not a folder`);
    if (isFolder === true) break;
    missing.unshift(at);
    if (at === path.dirname(at)) break;
  }
  for (const at of missing) {
    try {
      mkdirSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') fail(`cannot create ${at}: ${causeOf(error)}`);
    }
  }
  const probe = path.join(absolute, `.glasslab-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (error) {
    fail(`cannot write into it: ${causeOf(error)}`);
  }
  return absolute;
}

/** {@link ensureWritableFolder} for an optional flag: the error's one line, or undefined when usable (or not given). */
export function checkOutFolder(flag: string, dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  try {
    ensureWritableFolder(flag, dir);
    return undefined;
  } catch (error) {
    if (error instanceof OutputPathError) return error.message;
    throw error;
  }
}
