/**
 * `scripts/netem-guest.sh [--timeout S] [--fetch-only] [COMMAND...]`: runs COMMAND (a shell
 * line, default `node bin/glasslab.js doctor --link-selftest`) as root inside the qemu guest with
 * the repository as working folder, streams nothing but prints its output at the end, and exits
 * with its exit code (125 when the guest gave no result). Boot and run times go to stderr.
 * `--fetch-only` prepares the kernel cache and exits (what scripts/setup.sh calls).
 */
import path from 'node:path';
import { ensureGuestKernel } from './kernel.ts';
import { runInGuest } from './qemu.ts';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

async function main(argv: string[]): Promise<number> {
  let timeoutS = 300;
  let fetchOnly = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--timeout') {
      timeoutS = Number(argv[++i]);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new Error(`--timeout wants seconds > 0, got "${argv[i] ?? ''}"`);
    } else if (a === '--fetch-only') fetchOnly = true;
    else {
      rest.push(...argv.slice(i));
      break;
    }
  }
  const kernel = await ensureGuestKernel(repoRoot, (line) => process.stderr.write(`[guest] ${line}\n`));
  if (fetchOnly) {
    process.stderr.write(`[guest] kernel ready: ${kernel.packageName} (${kernel.vmlinuxPath})\n`);
    return 0;
  }
  const command = rest.length > 0 ? rest.join(' ') : 'node bin/glasslab.js doctor --link-selftest';
  const result = await runInGuest(kernel, repoRoot, { command, cwd: repoRoot, timeoutMs: timeoutS * 1000 });
  process.stdout.write(result.output);
  const commandS = result.guestUptimeDoneS !== undefined && result.guestUptimeReadyS !== undefined ? (result.guestUptimeDoneS - result.guestUptimeReadyS).toFixed(1) : '?';
  process.stderr.write(`[guest] ${kernel.packageName}: boot ${((result.bootMs ?? NaN) / 1000).toFixed(1)} s, command ${commandS} s, qemu ${(result.wallMs / 1000).toFixed(1)} s\n`);
  if (result.failure) {
    process.stderr.write(`[guest] ${result.failure}\n`);
    return 125;
  }
  return result.exitCode ?? 125;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[guest] ${(error as Error).message}\n`);
    process.exit(125);
  },
);
