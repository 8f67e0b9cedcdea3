/**
 * Trace files of the link: Mahimahi rate traces (one integer ms per line, non-decreasing; each line
 * is one 1500-byte delivery opportunity; the trace loops) and loss traces (0 = pass, 1 = lose, one
 * per packet; whitespace, commas and '#' comments ignored). Readers return a value or an error.
 * Errors give the line (and column) and the expected shape, never the text found there: a
 * scenario may point a trace field at any file, and its content must not leak into a message.
 */
import type { NamedFileKind } from '../../src/shared/named-file.ts';
import { readScenarioFile, type ScenarioFileAccess } from './scenario-files.ts';

/** Opportunity times in ms, or an error message. */
export function parseMahimahiTrace(text: string): number[] | string {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (!/^\d+$/.test(line)) return `line ${i + 1}: expected a whole number of ms (one delivery opportunity per line)`;
    const ms = Number(line);
    if (out.length > 0 && ms < out.at(-1)!) return `line ${i + 1}: earlier than the line before (times must not decrease)`;
    out.push(ms);
  }
  if (out.length === 0) return 'no delivery opportunities (empty trace)';
  if (out.at(-1)! <= 0) return 'the last opportunity must be after 0 ms (it is the loop period)';
  return out;
}

/** Loss pattern (1 = lose), or an error message. */
export function parseLossTrace(text: string): number[] | string {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const body = lines[i]!.replace(/#.*$/, '');
    for (let column = 0; column < body.length; column++) {
      const ch = body[column]!;
      if (ch === '0' || ch === '1') out.push(Number(ch));
      else if (!/[\s,]/.test(ch)) return `line ${i + 1}, column ${column + 1}: expected 0 (pass) or 1 (lose), separated by whitespace or commas`;
    }
  }
  return out.length > 0 ? out : 'empty loss trace';
}

/** Reads a file for a trace field (see scenario-files.ts); returns its text or an error message naming the file. */
export function readTraceFile(file: string, access?: ScenarioFileAccess, kind: NamedFileKind = 'trace'): string | { error: string } {
  const read = readScenarioFile(file, kind, access);
  return 'text' in read ? read.text : read;
}
