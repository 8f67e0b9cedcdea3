/**
 * The one error every writer of the lab throws when a file cannot be written (disk full, quota,
 * read-only mount, permissions): it names the file and the cause in one line, e.g.
 * `cannot write runs/x/results.json: no space left on device (ENOSPC)`. The sender and receiver
 * send it to the orchestrator over the control channel (code WRITE_FAILED), which blames that
 * child in status.json; the CLI prints it as one line and exits 3.
 */
import path from 'node:path';

/** Plain words for the errno codes a write meets in practice. */
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  EMFILE: 'too many open files',
};

/** The errno code of a Node system error (ENOSPC, ...), if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** `path` relative to the working folder when it lies below it (as the user typed it), else absolute. */
export function displayPath(filePath: string): string {
  const relative = path.relative(process.cwd(), filePath);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(filePath);
}

/** "no space left on device (ENOSPC)", or the cause's own message for an unknown error. */
export function describeCause(cause: unknown): string {
  const errno = errnoOf(cause);
  if (errno !== undefined) return `${ERRNO_WORDS[errno] ?? errno.toLowerCase()} (${errno})`;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * A file could not be written; `errno` is the system's code (ENOSPC, ...) when there is one.
 * `note` is appended to the one line (e.g. what else had gone wrong before).
 */
export class WriteFailedError extends Error {
  readonly code = 'WRITE_FAILED';
  readonly errno: string | undefined;
  constructor(readonly filePath: string, cause: unknown, note?: string) {
    super(`cannot write ${displayPath(filePath)}: ${describeCause(cause)}${note ? `; ${note}` : ''}`, { cause });
    this.name = 'WriteFailedError';
    this.errno = errnoOf(cause);
    // The CLI prints an unexpected error's stack; this one is expected and its message says it
    // all (the system error stays in `cause`), so the stack is the message alone.
    this.stack = this.message;
  }
}

/** True for a WriteFailedError, also one wrapped as the `cause` of another error. */
export function findWriteFailure(error: unknown): WriteFailedError | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (current instanceof WriteFailedError) return current;
  }
  return undefined;
}
