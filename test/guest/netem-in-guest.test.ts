/**
 * Runs the netem backend's tests (test/netem/) and `glasslab doctor --link-selftest` as root inside
 * a qemu TCG guest booted from Debian's stock kernel, which has sch_netem (this machine's kernel
 * does not). One boot for both; fails when any inner test fails or the guest gives no result.
 * Skipped, with the reason, where qemu or the kernel cannot be had, and inside the guest itself.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type GuestKernel, ensureGuestKernel } from '../../lab/guest/kernel.ts';
import { type GuestRunResult, guestUnavailableReason, runInGuest } from '../../lab/guest/qemu.ts';
import { formatSelftest } from '../../lab/linkcheck/selftest-format.ts';
import type { SelftestReport } from '../../lab/linkcheck/selftest.ts';

const repoRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

async function availability(): Promise<{ kernel?: GuestKernel; reason?: string }> {
  if (process.env.GLASSLAB_GUEST === '1') return { reason: 'already inside the guest' };
  const missing = guestUnavailableReason();
  if (missing) return { reason: missing };
  try {
    return { kernel: await ensureGuestKernel(repoRoot) };
  } catch (error) {
    return { reason: `no guest kernel: ${(error as Error).message}` };
  }
}

const { kernel, reason } = await availability();
const title = kernel ? 'netem backend inside a qemu guest' : `netem backend inside a qemu guest (skipped: ${reason ?? 'unknown'})`;

/** Whole guest: boot ≈ 4-6 s, vitest ≈ 15 s + the netem cases ≈ 40 s, the self-test ≈ 25 s under TCG on an idle host; twice that on a loaded one. */
const guestTimeoutMs = 240_000;

const vitestJson = z.object({
  numTotalTests: z.number(),
  numPassedTests: z.number(),
  numFailedTests: z.number(),
  numPendingTests: z.number(),
  testResults: z.array(
    z.object({
      assertionResults: z.array(z.object({ fullName: z.string(), status: z.string(), failureMessages: z.array(z.string()), duration: z.number().nullish() })),
    }),
  ),
});

describe.skipIf(!kernel)(title, () => {
  let result: GuestRunResult;
  beforeAll(async () => {
    const command = [
      'up() { cut -d" " -f1 /proc/uptime; }',
      't0=$(up)',
      // --retry=1: a timing case measures once more before it fails. Under TCG the guest's timers
      // share the host's cores with whatever else runs there (a loaded host pushed a jitter spread
      // out of tolerance once); a wrong netem configuration fails both measurements
      'node node_modules/vitest/vitest.mjs run test/netem --retry=1 --reporter=json --outputFile="$GLASSLAB_GUEST_OUT/netem-vitest.json" > /tmp/vitest.out 2>&1',
      'echo "netem-vitest-exit=$? from $t0 to $(up) s"',
      't1=$(up)',
      'node bin/glasslab.js doctor --link-selftest --json > "$GLASSLAB_GUEST_OUT/selftest.json"',
      'echo "selftest-exit=$? from $t1 to $(up) s"',
    ].join('\n');
    result = await runInGuest(kernel!, repoRoot, { command, cwd: repoRoot, timeoutMs: guestTimeoutMs });
    console.log(result.output.split('\n').filter((l) => l.includes('-exit=')).join('\n'));
    console.log(`guest: boot ${Math.round(result.bootMs ?? NaN)} ms, whole ${Math.round(result.wallMs)} ms, command ${((result.guestUptimeDoneS ?? NaN) - (result.guestUptimeReadyS ?? NaN)).toFixed(1)} s of guest time`);
  }, guestTimeoutMs + 30_000);

  it('the guest boots and runs the command to its end', () => {
    expect(result.failure, result.failure).toBeUndefined();
    expect(result.exitCode).toBe(0);
  });

  it('every netem backend test passes inside the guest, none skipped', () => {
    const raw = result.files['netem-vitest.json'];
    expect(raw, `no vitest result from the guest; output:\n${result.output}`).toBeDefined();
    const report = vitestJson.parse(JSON.parse(raw!));
    const cases = report.testResults.flatMap((f) => f.assertionResults);
    console.log(cases.map((a) => `${a.status} ${Math.round(a.duration ?? 0)} ms ${a.fullName}`).join('\n'));
    const failed = report.testResults.flatMap((f) => f.assertionResults).filter((a) => a.status !== 'passed');
    expect(failed.map((a) => `${a.fullName}: ${a.status} ${a.failureMessages.join(' ').slice(0, 600)}`)).toEqual([]);
    expect(report.numFailedTests).toBe(0);
    expect(report.numPendingTests).toBe(0);
    expect(report.numPassedTests).toBeGreaterThanOrEqual(15);
    expect(result.output).toContain('netem-vitest-exit=0');
  });

  // What the guest can judge: both backends measured; the netem column against the configuration
  // except its p99; the loss, burst and rate rows of both. Delay timing under TCG is the emulation's:
  // the userspace link's threads sleep-then-spin on emulated CPUs the host deschedules (122 ms p99 once
  // for 24.7 ms configured; its p50 missed once too) and netem's p99 tail is the host's scheduling. The
  // table still shows every row, and on a real machine the self-test's exit code judges them all.
  it('doctor --link-selftest measures both backends in the guest; netem rows (p99 aside) and the non-delay rows pass', () => {
    const raw = result.files['selftest.json'];
    expect(raw, `no self-test result from the guest; output:\n${result.output}`).toBeDefined();
    const report = JSON.parse(raw!) as SelftestReport;
    console.log(formatSelftest(report));
    expect(report.netem.available).toBe(true);
    expect(report.backends).toEqual(['netem', 'userspace']);
    expect(report.cases.length).toBeGreaterThanOrEqual(3);
    for (const c of report.cases) {
      expect(c.errors).toEqual({});
      for (const row of c.rows) {
        expect(row.measured.netem, `${c.name} ${row.metric}`).not.toBeNull();
        expect(row.measured.userspace, `${c.name} ${row.metric}`).not.toBeNull();
      }
    }
    const rows = report.cases.flatMap((c) => c.rows.map((r) => ({ name: `${c.name}: ${r.metric}`, row: r })));
    // netem's own p99 under TCG is the host's scheduling tail (seen 25-63 ms, once 136 ms, for 24.65 ms): shown, not judged.
    // Its p50 is judged with a guest allowance above the self-test's +3 ms: a CI host running the
    // rest of the suite beside the guest pushed two p50s past it (delays under emulation only grow).
    // A wrong configuration still fails: no delay, or the delay applied twice, is outside it.
    const guestP50Slack = (configured: number) => Math.max(6, 0.3 * configured);
    const netemOff = rows.filter(({ row }) => {
      if (row.metric.endsWith('p99') || row.vsConfig.netem !== false) return false;
      if (row.metric !== 'delay p50') return true;
      const v = row.measured.netem ?? null;
      const cfg = row.configured ?? 0;
      const t = row.toleranceVsConfig;
      return v === null || v < cfg - t.below || v > cfg + t.above + guestP50Slack(cfg);
    });
    expect(netemOff.map(({ name, row }) => `${name}: netem ${row.measured.netem ?? 'null'} for ${row.configured ?? 'null'} ${row.unit}`)).toEqual([]);
    expect(rows.filter(({ row }) => !row.metric.includes('delay') && !row.pass).map(({ name }) => name)).toEqual([]);
    // the CLI's exit code follows the table: 0 when every row passed, 3 otherwise
    expect(result.output).toContain(`selftest-exit=${report.ok ? 0 : 3} `);
    expect(report.ok).toBe(rows.every(({ row }) => row.pass));
  });
});
