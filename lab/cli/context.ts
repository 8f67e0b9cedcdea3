/** What every command shares: where output goes and the exit code it leaves. */

/** Process exit codes of glasslab (documented in main.ts and docs/cli.md). */
export const ExitCode = {
  /** everything asked for was done and passed */
  ok: 0,
  /** a run completed but broke a budget */
  budgetBroken: 1,
  /** bad input: unknown command or flag, invalid argument or scenario */
  badInput: 2,
  /** the work could not be done: a run failed, or doctor found a required feature missing */
  failed: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Output streams, injectable so tests can capture them. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** The real process streams. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}

/** Handed to each command's register function; an action sets `exitCode` before it resolves. */
export interface CliContext {
  io: CliIo;
  exitCode: ExitCode;
}

/** Options every command sees (declared on the program). */
export interface GlobalOptions {
  /** machine-readable output on stdout */
  json?: boolean;
}

/** `--seed <n>`: an integer 0..2^32 − 1; undefined when the flag is absent; a message naming it when it is not one. */
export function parseSeedFlag(text: string | undefined): { seed: number | undefined } | { error: string } {
  if (text === undefined) return { seed: undefined };
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) return { error: `--seed: expected an integer 0..4294967295 (got "${text}")` };
  return { seed };
}

/** Says `message` on stderr as the CLI's one line of bad input and sets exit code 2 (a command's `return badInput(...)`). */
export function badInputReporter(context: CliContext): (message: string) => void {
  return (message) => {
    context.io.stderr(`glasslab: ${message}\n`);
    context.exitCode = ExitCode.badInput;
  };
}
