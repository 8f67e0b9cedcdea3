/**
 * Flags of the lab's small helper processes (the WHIP endpoint, node-media-server): parsed
 * strictly by node:util, every problem a UsageError naming the flag (the process exits 2).
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

/** String flags only; unknown flags and positionals are refused. */
export function strictFlags<const O extends Record<string, { type: 'string' }>>(argv: string[], options: O): { [K in keyof O]?: string } {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A required integer flag in min..max. */
export function integerFlag(flag: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined) throw new UsageError(`--${flag} is required`);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`--${flag} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  return value;
}
