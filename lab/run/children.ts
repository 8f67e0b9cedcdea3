import { execa } from 'execa';
import { CONTROL_TOKEN_ENV } from '../../src/control/child.ts';
import { childEntry } from './child-entry.ts';

/** The TypeScript entry of each child process (run compiled from dist/ when the lab is). */
const ENTRIES = {
  sender: 'src/sender/main.ts',
  receiver: 'src/receiver/main.ts',
} as const;

/** The receiver's entry when Chromium receives (scenario receiver.kind: chromium). */
export const CHROMIUM_RECEIVER_ENTRY = 'src/receiver/chromium-main.ts';
/** The sender's entry when Chromium sends (scenario sender.kind: chromium). */
export const CHROMIUM_SENDER_ENTRY = 'src/sender/chromium-main.ts';

export type ChildRole = keyof typeof ENTRIES;

/** A running child process of the run. */
export interface ChildProcess {
  role: ChildRole;
  pid: number | undefined;
  /** resolves when the process has exited, with its exit code (or signal name) */
  exited: Promise<{ exitCode: number | undefined; signal: string | undefined }>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts a child (sender or receiver) that connects back to `controlSocket` and presents
 * `controlToken` in its hello (passed in the environment, which other users cannot read, unlike
 * argv). Its stdout and stderr go to `logFile`. `wrapper` prefixes the command (e.g.
 * ["ip", "netns", "exec", ns]; it keeps the environment).
 */
export function spawnChild(role: ChildRole, control: { socketPath: string; token: string }, logFile: string, wrapper: string[] = [], sourceEntry: string = ENTRIES[role]): ChildProcess {
  const { execArgv, entry } = childEntry(sourceEntry);
  const args = [...execArgv, entry, '--control', control.socketPath];
  const [command, ...commandArgs] = wrapper.length > 0 ? [...wrapper, process.execPath, ...args] : [process.execPath, ...args];
  const log = { file: logFile, append: true } as const;
  const subprocess = execa(command!, commandArgs, {
    stdin: 'ignore',
    stdout: log,
    stderr: log,
    reject: false,
    cleanup: true,
    forceKillAfterDelay: 3000,
    env: { [CONTROL_TOKEN_ENV]: control.token },
  });
  const exited = subprocess.then((result) => ({
    exitCode: result.exitCode,
    signal: result.signal,
  }));
  return { role, pid: subprocess.pid, exited, kill: (signal = 'SIGTERM') => subprocess.kill(signal) };
}
