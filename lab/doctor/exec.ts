import { execa } from 'execa';

/** How a command ended, as a value: probes interpret it, nothing throws. */
export type CommandOutcome =
  | { kind: 'exited'; exitCode: number; stdout: string; stderr: string }
  /** ENOENT, or EACCES (on PATH but not executable by this user, or a PATH folder unreadable) */
  | { kind: 'not-found'; file: string; code?: 'ENOENT' | 'EACCES' }
  | { kind: 'timed-out'; timeoutMs: number }
  | { kind: 'spawn-failed'; message: string };

export interface RunOptions {
  /** wall-clock limit in ms; the child gets SIGTERM after it (default 5000) */
  timeoutMs?: number;
}

/** Runs a command to completion; injected into probes so tests can script the machine. */
export type CommandRunner = (file: string, args: string[], options?: RunOptions) => Promise<CommandOutcome>;

/** Default per-command limit, ms. Every probe command here finishes in well under a second. */
export const defaultTimeoutMs = 5000;

/** The real runner: execa, no shell, stdin closed, output as text. */
export const execaRunner: CommandRunner = async (file, args, options = {}) => {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const result = await execa(file, args, { reject: false, timeout: timeoutMs, stdin: 'ignore', encoding: 'utf8' });
  if (result.timedOut) return { kind: 'timed-out', timeoutMs };
  if (result.code === 'ENOENT' || result.code === 'EACCES') return { kind: 'not-found', file, code: result.code };
  if (result.exitCode === undefined) {
    return { kind: 'spawn-failed', message: result.shortMessage ?? `${file} ended by ${result.signal ?? 'unknown cause'}` };
  }
  return { kind: 'exited', exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
};

/** A one-line description of an outcome that is not a clean exit 0, for details. */
export function describeFailure(command: string, outcome: CommandOutcome): string {
  switch (outcome.kind) {
    case 'exited': {
      const said = (outcome.stderr.trim() || outcome.stdout.trim()).split('\n')[0]?.trim() ?? '';
      return `${command} exited ${outcome.exitCode}${said ? `: ${said}` : ''}`;
    }
    case 'not-found':
      return outcome.code === 'EACCES' ? `${outcome.file} not executable by this user (EACCES)` : `${outcome.file} not found`;
    case 'timed-out':
      return `${command} did not finish within ${outcome.timeoutMs} ms`;
    case 'spawn-failed':
      return `${command} could not run: ${outcome.message}`;
  }
}
