/**
 * NDJSON record files for long runs: a writer that appends and flushes regularly (so a killed run
 * leaves every record up to the last flush, plus at most one truncated line), and a reader that
 * tolerates and reports that truncated last line.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { WriteFailedError } from './write-error.ts';

/** Options of {@link NdjsonWriter}. */
export interface NdjsonWriterOptions {
  /** flush at least this often while records arrive, ms (default 250) */
  flushIntervalMs?: number;
  /** flush as soon as this many bytes are buffered (default 64 KiB) */
  maxBufferBytes?: number;
  /**
   * Called once, with the file named, when a write fails (disk full, ...). Without it the failure
   * throws from whichever call flushed, which may be the writer's own timer (an uncaught
   * exception). After a failure the writer drops further records: they were reported lost.
   */
  onError?: (error: WriteFailedError) => void;
}

/** Error of the NDJSON writer: a write after close. I/O failures are {@link WriteFailedError}s. */
export class NdjsonWriterError extends Error {
  constructor(readonly code: 'NDJSON_CLOSED', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NdjsonWriterError';
  }
}

/**
 * Appends one JSON object per line to a file. Lines are buffered and written with one write per
 * flush; the timer is unref'd so it never keeps the process alive. Call {@link close} at the end
 * (it flushes and fsyncs); {@link flushSync} is safe from exit/signal handlers. Opening or writing
 * fails with a {@link WriteFailedError} naming the file.
 */
export class NdjsonWriter<Record extends object = object> {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushIntervalMs: number;
  private readonly maxBufferBytes: number;
  private readonly onError: ((error: WriteFailedError) => void) | undefined;
  /** the first write failure; set, the writer drops records */
  failure: WriteFailedError | undefined;
  /** records accepted so far */
  recordCount = 0;

  constructor(readonly filePath: string, options: NdjsonWriterOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.maxBufferBytes = options.maxBufferBytes ?? 64 * 1024;
    this.onError = options.onError;
    try {
      this.fd = openSync(filePath, 'a', 0o644);
    } catch (error) {
      throw new WriteFailedError(filePath, error);
    }
  }

  /** Queues one record; it reaches the file within flushIntervalMs. */
  write(record: Record): void {
    if (this.fd === undefined) throw new NdjsonWriterError('NDJSON_CLOSED', `write to closed ${this.filePath}`);
    if (this.failure !== undefined) return;
    const line = JSON.stringify(record) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.recordCount += 1;
    if (this.pendingBytes >= this.maxBufferBytes) this.flushSync();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushSync();
      }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes every buffered line now (synchronously). */
  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.fd === undefined || this.pending.length === 0 || this.failure !== undefined) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(cause: unknown): void {
    this.failure = new WriteFailedError(this.filePath, cause);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.onError === undefined) throw this.failure;
    this.onError(this.failure);
  }

  /** Flushes, fsyncs and closes the file; later writes throw NDJSON_CLOSED. */
  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    try {
      this.flushSync();
      if (this.failure === undefined) {
        try {
          fsyncSync(fd);
        } catch (error) {
          this.fail(error);
        }
      }
    } finally {
      this.fd = undefined;
      closeSync(fd);
    }
  }
}

/** A line of an NDJSON file that could not be used. */
export interface NdjsonBadLine {
  /** 1-based line number */
  lineNumber: number;
  message: string;
  /** the line's first characters, at most {@link EXCERPT_CHARS} of them (never the whole of a long line) */
  excerpt: string;
}

/** How much of a bad line a problem report may quote. */
export const EXCERPT_CHARS = 32;

function excerptOf(line: string): string {
  return line.length <= EXCERPT_CHARS ? line : `${line.slice(0, EXCERPT_CHARS)}…`;
}

/** What {@link parseNdjson} found. */
export interface NdjsonReadResult {
  /** every parsed JSON object, in file order */
  records: unknown[];
  /** 1-based line number of each record, same order as `records` */
  recordLines: number[];
  /** the last line had no newline and did not parse: a write cut short (killed run) */
  truncatedLastLine?: { lineNumber: number; bytes: number; excerpt: string };
  /** other lines that did not parse or were not objects (reported, not thrown) */
  badLines: NdjsonBadLine[];
}

/** Parses NDJSON text; never throws for bad content. */
export function parseNdjson(text: string): NdjsonReadResult {
  const result: NdjsonReadResult = { records: [], recordLines: [], badLines: [] };
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const isUnterminatedLast = index === lines.length - 1 && !endsWithNewline;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // JSON.parse's own message quotes the line: say what is wrong without it
      if (isUnterminatedLast) {
        result.truncatedLastLine = { lineNumber: index + 1, bytes: Buffer.byteLength(line, 'utf8'), excerpt: excerptOf(line) };
      } else {
        result.badLines.push({ lineNumber: index + 1, message: 'not valid JSON', excerpt: excerptOf(line) });
      }
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      result.badLines.push({ lineNumber: index + 1, message: 'not a JSON object', excerpt: excerptOf(line) });
      continue;
    }
    result.records.push(value);
    result.recordLines.push(index + 1);
  }
  return result;
}

/** Reads an NDJSON file; a missing file reads as empty with `missing: true`. */
export async function readNdjsonFile(filePath: string): Promise<NdjsonReadResult & { missing: boolean }> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], recordLines: [], badLines: [], missing: true };
    throw error;
  }
  return { ...parseNdjson(text), missing: false };
}
