/** The self-test's table: one row per metric and case, pass/fail per comparison. */
import type { SelftestReport, SelftestRow } from './selftest.ts';

const num = (v: number | null | undefined, unit: string): string => {
  if (v === undefined) return '—';
  if (v === null) return 'n/a';
  return unit === '' ? `${(v * 100).toFixed(2)} %` : `${v.toFixed(unit === 'ms' ? 2 : 3)} ${unit}`;
};
const verdict = (v: boolean | null | undefined) => (v === undefined || v === null ? '—' : v ? 'ok' : 'FAIL');

function tolText(row: SelftestRow): string {
  const t = row.toleranceVsConfig;
  const f = (x: number) => (row.unit === '' ? `${(x * 100).toFixed(2)} %` : `${x.toFixed(2)}`);
  return t.below === t.above ? `±${f(t.above)}` : `-${f(t.below)}/+${f(t.above)}`;
}

/** Text table of a self-test report, then the verdict line (and the note when netem was missing). */
export function formatSelftest(report: SelftestReport): string {
  const header = ['case', 'metric', 'configured', 'netem', 'userspace', 'tolerance', 'netem~cfg', 'user~cfg', 'netem~user', ''];
  const rows: string[][] = [];
  for (const c of report.cases) {
    for (const row of c.rows) {
      rows.push([
        c.name, row.metric, num(row.configured, row.unit), num(row.measured.netem, row.unit), num(row.measured.userspace, row.unit),
        tolText(row), verdict(row.vsConfig.netem), verdict(row.vsConfig.userspace), verdict(row.netemVsUserspace), row.pass ? 'pass' : 'FAIL',
      ]);
    }
    for (const [backend, error] of Object.entries(c.errors)) rows.push([c.name, `${backend} did not run`, '', '', '', '', '', '', '', `FAIL: ${error}`]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  out.push(`link self-test: ${report.ok ? 'PASS' : 'FAIL'} (backends measured: ${report.backends.join(', ')})`);
  if (report.note) out.push(`note: ${report.note}`);
  return `${out.join('\n')}\n`;
}
