import { type CommandRunner, describeFailure } from './exec.ts';
import { firstLine } from './types.ts';

/**
 * Runs shell steps inside a network namespace that exists only for the life of one `unshare`
 * process: it and everything created in it (qdiscs on its lo, TUN devices) vanish when the
 * process ends, so there is nothing to clean up and the host's interfaces are never touched.
 */

/** One shell command; its failure is reported under `label`. */
export interface NetnsStep {
  label: string;
  command: string;
}

/** How to enter the namespace: as root (`unshare -n`) or rootless (`unshare -Urn`). */
export type NetnsMode = 'root' | 'rootless';

export type NetnsOutcome =
  | { kind: 'ok' }
  /** a step's command exited non-zero; `message` is the first line it printed */
  | { kind: 'step-failed'; label: string; message: string }
  /** the namespace itself could not be created (or unshare is absent, or it timed out) */
  | { kind: 'netns-failed'; message: string };

/** Exit code of the script when step i fails: firstStepExit + i (far above sh's own codes). */
const firstStepExit = 100;

/** The unshare arguments for a mode. */
export function unshareArgs(mode: NetnsMode): string[] {
  return mode === 'root' ? ['-n'] : ['-Urn'];
}

/** The mode for this process: root enters plainly, anyone else through a user namespace. */
export function currentNetnsMode(): NetnsMode {
  return process.getuid?.() === 0 ? 'root' : 'rootless';
}

/**
 * Builds the script: each step in order; a failing step prints only its own output (stderr
 * folded into stdout) and exits with its own code.
 */
export function buildNetnsScript(steps: readonly NetnsStep[]): string {
  return steps
    .map((step, i) => `out=$( { ${step.command}; } 2>&1 ) || { printf '%s\\n' "$out"; exit ${firstStepExit + i}; }`)
    .join('\n');
}

/** Runs `steps` in a throwaway network namespace and says which (if any) failed. */
export async function runInThrowawayNetns(
  exec: CommandRunner,
  steps: readonly NetnsStep[],
  mode: NetnsMode,
): Promise<NetnsOutcome> {
  const args = [...unshareArgs(mode), '--', 'sh', '-c', buildNetnsScript(steps)];
  const outcome = await exec('unshare', args);
  const command = `unshare ${unshareArgs(mode).join(' ')}`;
  if (outcome.kind !== 'exited') return { kind: 'netns-failed', message: describeFailure(command, outcome) };
  if (outcome.exitCode === 0) return { kind: 'ok' };
  const step = steps[outcome.exitCode - firstStepExit];
  if (step) {
    const message = firstLine(outcome.stdout) || firstLine(outcome.stderr) || `exited non-zero`;
    return { kind: 'step-failed', label: step.label, message };
  }
  return { kind: 'netns-failed', message: describeFailure(command, outcome) };
}
