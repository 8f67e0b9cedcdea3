import { summarize } from './run.ts';
import { type CheckResult, type CheckStatus, type DoctorReport, checkAreas } from './types.ts';

const marks: Record<CheckStatus, string> = { ok: '✓', missing: '✗', error: '✗', skipped: '–' };

/** "doctor: N ok, M missing (K required)", plus ", S skipped" when some were. */
export function summaryLine(checks: readonly CheckResult[]): string {
  const s = summarize(checks);
  const skipped = s.skipped > 0 ? `, ${s.skipped} skipped` : '';
  return `doctor: ${s.ok} ok, ${s.missing} missing (${s.missingRequired} required)${skipped}`;
}

/**
 * The human table: checks grouped by area (in checkAreas order), one aligned row each —
 * mark, name, status, required/optional, detail — extra lines indented under the detail.
 */
export function formatDoctorReport(report: DoctorReport): string {
  const nameWidth = Math.max(...report.checks.map((c) => c.name.length), 4);
  const statusWidth = Math.max(...report.checks.map((c) => c.status.length));
  const needWidth = 'optional'.length;
  const detailIndent = ' '.repeat(2 + 2 + nameWidth + 2 + statusWidth + 2 + needWidth + 2);
  const lines: string[] = [];
  for (const area of checkAreas) {
    const inArea = report.checks.filter((c) => c.area === area);
    if (inArea.length === 0) continue;
    lines.push(area);
    for (const check of inArea) {
      const need = check.required ? 'required' : 'optional';
      lines.push(
        `  ${marks[check.status]} ${check.name.padEnd(nameWidth)}  ${check.status.padEnd(statusWidth)}  ${need.padEnd(needWidth)}  ${check.detail}`,
      );
      for (const extra of check.more ?? []) lines.push(`${detailIndent}${extra}`);
    }
  }
  lines.push(summaryLine(report.checks));
  return `${lines.join('\n')}\n`;
}
