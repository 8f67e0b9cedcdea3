/**
 * Reads a file that a user's input names (a scenario, a suite, a trace, a rate table, a link
 * profile) with the checks such a read needs: the file is opened first and then fstat'ed (the
 * checks apply to what was opened, so a path swapped in between cannot slip past them), it must
 * be a regular file (not /dev/zero, a FIFO, a folder or a socket), and it must not be larger
 * than the limit of its kind. At most fstat's size + 1 bytes are ever read, so a file that grows
 * while it is read is refused too rather than read without bound.
 *
 * With `within` (folders, real paths) the file's real path, symlinks resolved, must lie inside one
 * of them: checked on the path before it is opened (so nothing outside is even opened) and again
 * on what was opened (/proc/self/fd), so a link swapped in between does not lead outside.
 *
 * Errors never quote the file's content: only its path, its type, its size and the limit.
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';

/** Size limits per kind of named file, bytes. */
export const NAMED_FILE_LIMITS = {
  /** a scenario or suite YAML file */
  scenario: 1024 * 1024,
  /** a link profile (scenarios/links/*.yaml or a file a scenario names) */
  linkProfile: 1024 * 1024,
  /** a Mahimahi rate trace or a loss trace */
  trace: 16 * 1024 * 1024,
  /** an FEC rate table (JSON) */
  rateTable: 1024 * 1024,
} as const;
export type NamedFileKind = keyof typeof NAMED_FILE_LIMITS;

/** Stable codes of {@link NamedFileError}. */
export type NamedFileErrorCode = 'FILE_READ' | 'FILE_NOT_REGULAR' | 'FILE_TOO_LARGE' | 'FILE_OUTSIDE';

/** A named file that cannot be used; the message names the path and the cause, never the content. */
export class NamedFileError extends Error {
  constructor(
    readonly code: NamedFileErrorCode,
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'NamedFileError';
  }
}

/** "1 MiB", "16 MiB", "512 KiB": limits are powers of two here. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function typeOf(stats: Stats): string {
  if (stats.isDirectory()) return 'folder';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  return 'special file';
}

function tooLarge(file: string, kind: NamedFileKind, size: string): NamedFileError {
  return new NamedFileError('FILE_TOO_LARGE', file, `${size}, over the ${formatBytes(NAMED_FILE_LIMITS[kind])} limit for a ${kindName[kind]}`);
}

const kindName: Record<NamedFileKind, string> = { scenario: 'scenario or suite file', linkProfile: 'link profile', trace: 'trace file', rateTable: 'FEC rate table' };

/** Whether `real` (a real path) is `root` or inside it. */
export function isInside(real: string, root: string): boolean {
  const relative = path.relative(root, real);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

function outside(file: string, real: string, within: readonly string[]): NamedFileError | undefined {
  if (within.some((root) => isInside(real, root))) return undefined;
  const where = real === path.resolve(file) ? 'is' : `resolves to ${real},`;
  return new NamedFileError('FILE_OUTSIDE', file, `${where} outside the folders it may be read from (${within.join(', ')})`);
}

/** Options of {@link readNamedFileSync}. */
export interface NamedFileOptions {
  /** real paths of the folders the file must lie in; absent = anywhere */
  within?: readonly string[];
}

/**
 * Reads `file` as UTF-8 text after the checks above; returns the text or the error (never throws).
 * O_NONBLOCK keeps the open itself from waiting on a FIFO without a writer.
 */
export function readNamedFileSync(file: string, kind: NamedFileKind, options: NamedFileOptions = {}): { text: string } | { error: NamedFileError } {
  const limit = NAMED_FILE_LIMITS[kind];
  const { within } = options;
  let fd: number;
  try {
    if (within !== undefined) {
      const error = outside(file, realpathSync(file), within);
      if (error) return { error };
    }
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { error: new NamedFileError('FILE_READ', file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`) };
  }
  try {
    if (within !== undefined) {
      const error = outside(file, readlinkSync(`/proc/self/fd/${fd}`), within);
      if (error) return { error };
    }
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { error: new NamedFileError('FILE_NOT_REGULAR', file, `is not a regular file (${typeOf(stats)})`) };
    if (stats.size > limit) return { error: tooLarge(file, kind, `${stats.size} bytes`) };
    // one byte more than fstat said: a file that grows while it is read fills it and is refused
    const buffer = Buffer.alloc(stats.size + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > stats.size) return { error: new NamedFileError('FILE_READ', file, 'it grew while it was read') };
    }
    return { text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return { error: new NamedFileError('FILE_READ', file, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`) };
  } finally {
    closeSync(fd);
  }
}
