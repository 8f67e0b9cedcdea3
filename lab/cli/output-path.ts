/**
 * Checks a folder the CLI will write into (`run --runs`, `report -o/--out`) before anything runs,
 * so an unusable one is one line and exit 2 instead of a failure (or a hang) later. Node 20's
 * `mkdir(..., { recursive: true })` spins for good on a path like /proc/x, so the folder is made
 * here one step at a time without `recursive`, and a temporary file is created and removed inside
 * it to prove it can be written (root ignores permission bits but not a read-only mount).
 */
import { closeSync, mkdirSync, openSync, realpathSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/** Where the kernel's pseudo file systems live; nothing is written there (their files are the kernel's, not ours). */
const PSEUDO_ROOTS = ['/proc', '/sys'];
/** statfs f_type of pseudo file systems mounted anywhere else (linux/magic.h). */
const PSEUDO_FS_TYPES = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
]);

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
  const root = PSEUDO_ROOTS.find((r) => dir === r || dir.startsWith(`${r}/`));
  return root !== undefined ? `is under ${root}, a kernel pseudo file system` : undefined;
}

/** The pseudo file system `existing` (a path that exists) lies on, if any. */
function pseudoMount(existing: string): string | undefined {
  try {
    const type = PSEUDO_FS_TYPES.get(statfsSync(existing).type);
    return type !== undefined ? `is on a ${type} mount, a kernel pseudo file system` : undefined;
  } catch {
    return undefined; // the steps below name what is wrong
  }
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
  const ancestor = existingAncestor(absolute);
  const pseudo = underPseudo(absolute) ?? underPseudo(ancestor) ?? pseudoMount(ancestor);
  if (pseudo !== undefined) fail(pseudo);
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
