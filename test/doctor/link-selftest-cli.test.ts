/**
 * `glasslab doctor --link-selftest` on this machine: where the kernel has netem both backends are
 * compared; where it has none (here) the userspace column alone is measured, the report says so
 * plainly and points at the guest, and the exit code is 3. The netem side runs in the guest
 * (test/guest/netem-in-guest.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../lab/cli/main.ts';
import { probeNetem } from '../../lab/impairment/netem.ts';
import type { SelftestReport } from '../../lab/linkcheck/selftest.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) }, out, err };
}

describe('glasslab doctor --link-selftest: bad input', () => {
  it('refuses --link-selftest with --cleanup, naming both', async () => {
    const { io, err } = capture();
    expect(await main(['node', 'glasslab', 'doctor', '--link-selftest', '--cleanup'], io)).toBe(2);
    expect(err.join('')).toMatch(/--link-selftest and --cleanup/);
  });
});

describePrivileged(rootLink())('glasslab doctor --link-selftest (needs root and TUN)', () => {
  it('prints one object with every case measured on the backends this kernel has', async () => {
    const netem = await probeNetem();
    const { io, out } = capture();
    const code = await main(['node', 'glasslab', '--json', 'doctor', '--link-selftest'], io);
    const report = JSON.parse(out.join('')) as SelftestReport;
    expect(report.netem.available).toBe(netem.available);
    expect(report.backends).toEqual(netem.available ? ['netem', 'userspace'] : ['userspace']);
    expect(report.cases.map((c) => c.name)).toHaveLength(3);
    for (const c of report.cases) {
      expect(c.errors).toEqual({});
      for (const row of c.rows) expect(typeof row.measured.userspace).toBe('number');
    }
    if (!netem.available) {
      expect(code).toBe(3);
      expect(report.ok).toBe(false);
      expect(report.note).toMatch(/no sch_netem.*scripts\/netem-guest\.sh/);
      expect(report.cases.every((c) => c.rows.every((r) => r.measured.netem === undefined))).toBe(true);
    } else {
      expect(code).toBe(report.ok ? 0 : 3);
    }
  }, 60_000);
});
