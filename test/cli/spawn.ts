// Spawns the real CLI (node bin/glasslab.js) and collects what it did: exit code or signal,
// stdout, stderr and the wall time from spawn to exit. A process still alive after `killAfterMs`
// is killed with SIGKILL (so a hang fails the test instead of stalling it).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** spawn to exit, ms */
  elapsedMs: number;
  /** true when it had to be killed after killAfterMs */
  killed: boolean;
}

export interface SpawnCliOptions {
  killAfterMs?: number;
  /** sends this signal that many ms after the spawn */
  signalAt?: { signal: NodeJS.Signals; afterMs: number };
  cwd?: string;
  /** added to the environment */
  env?: Record<string, string>;
}

/** Runs `node bin/glasslab.js ...args`. */
export function spawnCli(args: readonly string[], options: SpawnCliOptions = {}): Promise<CliResult & { signalSentAtMs?: number }> {
  const { killAfterMs = 20_000, signalAt, cwd = repoRoot, env } = options;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/glasslab.js'), ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let killed = false;
    let signalSentAtMs: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    const signaller = signalAt
      ? setTimeout(() => {
          signalSentAtMs = performance.now() - started;
          child.kill(signalAt.signal);
        }, signalAt.afterMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      if (signaller) clearTimeout(signaller);
      resolve({ code, signal, stdout, stderr, elapsedMs: performance.now() - started, killed, ...(signalSentAtMs !== undefined ? { signalSentAtMs } : {}) });
    });
  });
}
