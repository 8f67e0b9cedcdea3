import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { CONTROL_TOKEN_ENV } from '../../src/control/child.ts';

/** The TypeScript entry of each child process. */
const ENTRIES = {
  sender: fileURLToPath(new URL('../../src/sender/main.ts', import.meta.url)),
  receiver: fileURLToPath(new URL('../../src/receiver/main.ts', import.meta.url)),
} as const;

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
export function spawnChild(role: ChildRole, control: { socketPath: string; token: string }, logFile: string, wrapper: string[] = []): ChildProcess {
  const tsx = import.meta.resolve('tsx');
  const args = ['--import', tsx, ENTRIES[role], '--control', control.socketPath];
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
