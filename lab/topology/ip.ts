/**
 * Runs iproute2 commands synchronously (teardown must also work from signal and exit handlers,
 * where nothing asynchronous runs to completion).
 */
import { spawnSync } from 'node:child_process';

/** An `ip` (or other tool) command failed; `code` is stable, `stderr` says why. */
export class TopologyError extends Error {
  readonly code = 'LAB_TOPOLOGY_COMMAND_FAILED';
  constructor(
    readonly command: string[],
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} failed: ${stderr.trim()}`);
    this.name = 'TopologyError';
  }
}

/** Runs a command; throws TopologyError when it fails. Returns stdout. */
export function run(command: string[]): string {
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  if (result.error) throw new TopologyError(command, result.error.message);
  if (result.status !== 0) throw new TopologyError(command, result.stderr || `exit ${result.status}`);
  return result.stdout;
}

/** Runs a command; returns false instead of throwing (for idempotent teardown). */
export function tryRun(command: string[]): boolean {
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  return !result.error && result.status === 0;
}

/** Names of all named network namespaces (`ip netns list`). */
export function listNamespaces(): string[] {
  return run(['ip', 'netns', 'list'])
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

/** Names of the links in a namespace (undefined = the caller's). */
export function listLinks(namespace?: string): string[] {
  const args = namespace ? ['ip', '-n', namespace, '-o', 'link', 'show'] : ['ip', '-o', 'link', 'show'];
  return run(args)
    .split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Process ids inside a namespace (`ip netns pids`). */
export function namespacePids(namespace: string): number[] {
  const result = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' });
  if (result.status !== 0) return [];
  return result.stdout
    .split('\n')
    .map((s) => Number.parseInt(s, 10))
    .filter((n) => Number.isInteger(n) && n > 0);
}
