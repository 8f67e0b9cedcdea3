/**
 * Trace files of the link: Mahimahi rate traces (one integer ms per line, non-decreasing; each line
 * is one 1500-byte delivery opportunity; the trace loops) and loss traces (0 = pass, 1 = lose, one
 * per packet; whitespace, commas and '#' comments ignored). Readers return a value or an error.
 */
import { readFileSync } from 'node:fs';

/** Opportunity times in ms, or an error message. */
export function parseMahimahiTrace(text: string): number[] | string {
  const out: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (!/^\d+$/.test(line)) return `line ${i + 1}: expected a whole number of ms, got "${line.slice(0, 40)}"`;
    const ms = Number(line);
    if (out.length > 0 && ms < out.at(-1)!) return `line ${i + 1}: ${ms} ms is earlier than the line before (${out.at(-1)} ms)`;
    out.push(ms);
  }
  if (out.length === 0) return 'no delivery opportunities (empty trace)';
  if (out.at(-1)! <= 0) return 'the last opportunity must be after 0 ms (it is the loop period)';
  return out;
}

/** Loss pattern (1 = lose), or an error message. */
export function parseLossTrace(text: string): number[] | string {
  const body = text.replace(/#.*$/gm, '');
  const out: number[] = [];
  for (const ch of body) {
    if (ch === '0' || ch === '1') out.push(Number(ch));
    else if (!/[\s,]/.test(ch)) return `unexpected character "${ch}" (a loss trace holds 0 and 1)`;
  }
  return out.length > 0 ? out : 'empty loss trace';
}

/** Reads a file for a trace field; returns its text or an error message naming the file. */
export function readTraceFile(file: string): string | { error: string } {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return { error: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}
