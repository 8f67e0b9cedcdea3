/**
 * NDJSON record files for long runs: a writer that appends and flushes regularly (so a killed run
 * leaves every record up to the last flush, plus at most one truncated line), and a reader that
 * tolerates and reports that truncated last line.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Options of {@link NdjsonWriter}. */
export interface NdjsonWriterOptions {
  /** flush at least this often while records arrive, ms (default 250) */
  flushIntervalMs?: number;
  /** flush as soon as this many bytes are buffered (default 64 KiB) */
  maxBufferBytes?: number;
}

/** Error of the NDJSON writer (write after close, or an I/O failure). */
export class NdjsonWriterError extends Error {
  constructor(readonly code: 'NDJSON_CLOSED' | 'NDJSON_IO', message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NdjsonWriterError';
  }
}

/**
 * Appends one JSON object per line to a file. Lines are buffered and written with one write per
 * flush; the timer is unref'd so it never keeps the process alive. Call {@link close} at the end
 * (it flushes and fsyncs); {@link flushSync} is safe from exit/signal handlers.
 */
export class NdjsonWriter {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly flushIntervalMs: number;
  private readonly maxBufferBytes: number;
  /** records accepted so far */
  recordCount = 0;

  constructor(readonly filePath: string, options: NdjsonWriterOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.maxBufferBytes = options.maxBufferBytes ?? 64 * 1024;
    try {
      this.fd = openSync(filePath, 'a', 0o644);
    } catch (error) {
      throw new NdjsonWriterError('NDJSON_IO', `cannot open ${filePath} for append`, { cause: error });
    }
  }

  /** Queues one record; it reaches the file within flushIntervalMs. */
  write(record: object): void {
    if (this.fd === undefined) throw new NdjsonWriterError('NDJSON_CLOSED', `write to closed ${this.filePath}`);
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
    if (this.fd === undefined || this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      throw new NdjsonWriterError('NDJSON_IO', `write to ${this.filePath} failed`, { cause: error });
    }
  }

  /** Flushes, fsyncs and closes the file; later writes throw NDJSON_CLOSED. */
  close(): void {
    if (this.fd === undefined) return;
    this.flushSync();
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** A line of an NDJSON file that could not be used. */
export interface NdjsonBadLine {
  /** 1-based line number */
  lineNumber: number;
  message: string;
}

/** What {@link parseNdjson} found. */
export interface NdjsonReadResult {
  /** every parsed JSON object, in file order */
  records: unknown[];
  /** the last line had no newline and did not parse: a write cut short (killed run) */
  truncatedLastLine?: { lineNumber: number; bytes: number };
  /** other lines that did not parse or were not objects (reported, not thrown) */
  badLines: NdjsonBadLine[];
}

/** Parses NDJSON text; never throws for bad content. */
export function parseNdjson(text: string): NdjsonReadResult {
  const result: NdjsonReadResult = { records: [], badLines: [] };
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const isUnterminatedLast = index === lines.length - 1 && !endsWithNewline;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      if (isUnterminatedLast) {
        result.truncatedLastLine = { lineNumber: index + 1, bytes: Buffer.byteLength(line, 'utf8') };
      } else {
        result.badLines.push({ lineNumber: index + 1, message: error instanceof Error ? error.message : String(error) });
      }
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      result.badLines.push({ lineNumber: index + 1, message: 'not a JSON object' });
      continue;
    }
    result.records.push(value);
  }
  return result;
}

/** Reads an NDJSON file; a missing file reads as empty with `missing: true`. */
export async function readNdjsonFile(filePath: string): Promise<NdjsonReadResult & { missing: boolean }> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], badLines: [], missing: true };
    throw error;
  }
  return { ...parseNdjson(text), missing: false };
}
