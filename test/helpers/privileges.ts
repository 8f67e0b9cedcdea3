/**
 * Privileged tests (network namespaces, TUN devices) run where the machine allows them and
 * never pass silently where they could have run: when the process is root and the kernel has
 * network namespaces and TUN, a privileged suite that cannot start is a failure naming why, not
 * a skip. Elsewhere the suite is skipped with the reason in its name, and the skip-summary
 * reporter (test/helpers/skip-summary-reporter.ts) prints every skip reason once at the end.
 *
 * GLASSLAB_ALLOW_PRIVILEGED_SKIP=1 turns that failure back into a skip, for a root container
 * whose kernel has the features but which was started without access to them.
 */
import { accessSync, constants, existsSync, openSync, closeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

/** What a privileged suite needs, and whether this process has it. */
export interface PrivilegeProbe {
  /** the suite can run here */
  usable: boolean;
  /** the machine should be able to run it (root, kernel has the features) */
  expected: boolean;
  /** why it cannot run, when it cannot */
  reason?: string;
}

const isRoot = process.getuid?.() === 0;

function kernelHasNetns(): boolean {
  return existsSync('/proc/self/ns/net');
}

/** CONFIG_TUN: the misc device is registered (built in or loaded), or the node exists. */
function kernelHasTun(): boolean {
  return existsSync('/sys/class/misc/tun') || existsSync('/dev/net/tun');
}

function ipNetnsWorks(): string | undefined {
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
    return undefined;
  } catch (error) {
    return `"ip netns list" failed: ${(error as Error).message.split('\n')[0] ?? ''}`;
  }
}

function tunOpens(): string | undefined {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
    closeSync(openSync('/dev/net/tun', 'r+'));
    return undefined;
  } catch (error) {
    return `/dev/net/tun cannot be opened: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}

let cachedRoot: PrivilegeProbe | undefined;
let cachedLink: PrivilegeProbe | undefined;

/** Root with network namespaces (`ip netns`): enough for topology and cleanup tests. */
export function rootNamespaces(): PrivilegeProbe {
  if (cachedRoot) return cachedRoot;
  const expected = isRoot && kernelHasNetns();
  if (!isRoot) return (cachedRoot = { usable: false, expected, reason: 'not root' });
  if (!kernelHasNetns()) return (cachedRoot = { usable: false, expected, reason: 'the kernel has no network namespaces' });
  const netnsProblem = ipNetnsWorks();
  return (cachedRoot = netnsProblem ? { usable: false, expected, reason: netnsProblem } : { usable: true, expected });
}

/** Root with network namespaces and a usable /dev/net/tun: what the userspace link needs. */
export function rootLink(): PrivilegeProbe {
  if (cachedLink) return cachedLink;
  const base = rootNamespaces();
  const expected = base.expected && kernelHasTun();
  if (!base.usable) return (cachedLink = { ...base, expected });
  if (!kernelHasTun()) return (cachedLink = { usable: false, expected, reason: 'the kernel has no TUN device (CONFIG_TUN)' });
  const tunProblem = tunOpens();
  return (cachedLink = tunProblem ? { usable: false, expected, reason: tunProblem } : { usable: true, expected });
}

/** What a privileged suite does with a probe: run, skip (with the reason), or fail (why not). */
export function privilegedPlan(probe: PrivilegeProbe, env: NodeJS.ProcessEnv = process.env): 'run' | 'skip' | 'fail' {
  if (probe.usable) return 'run';
  return !probe.expected || env.GLASSLAB_ALLOW_PRIVILEGED_SKIP === '1' ? 'skip' : 'fail';
}

/**
 * `describe` for a privileged suite, used as `describePrivileged(rootLink())(title, body)`: runs
 * `body` where `probe` is usable; where it is not but the machine should allow it, one failing
 * test says why; otherwise a skipped suite with the reason in its title.
 */
export function describePrivileged(probe: PrivilegeProbe): (title: string, body: () => void) => void {
  return (title, body) => describeWith(probe, title, body);
}

function describeWith(probe: PrivilegeProbe, title: string, body: () => void): void {
  const plan = privilegedPlan(probe);
  if (plan === 'fail') {
    describe(title, () => {
      it('runs here: the process is root and the kernel has network namespaces and TUN', () => {
        throw new Error(
          `privileged tests could have run here but cannot: ${probe.reason ?? 'unknown'} ` +
            '(set GLASSLAB_ALLOW_PRIVILEGED_SKIP=1 to skip them on purpose)',
        );
      });
    });
    return;
  }
  const skipped = plan === 'skip';
  describe.skipIf(skipped)(skipped ? `${title} (skipped: ${probe.reason ?? 'unavailable'})` : title, body);
}
