/**
 * JUnit XML for budgets: one <testsuite> per run, one <testcase> per budget; a broken budget
 * has a <failure> with the measured value and the limit. CI systems read this format.
 */
import type { Results } from './schema.ts';

/** Escapes text for XML attribute values and text nodes (also drops characters XML 1.0 forbids). */
export function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- the control characters XML 1.0 allows are the point
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Renders results' budgets as a JUnit XML document (string, UTF-8). */
export function renderJunit(results: Results): string {
  const suiteName = `glasslab.${results.scenario}`;
  const failures = results.budgets.filter((budget) => !budget.pass).length;
  const cases = results.budgets.map((budget) => {
    const open = `    <testcase classname="${escapeXml(suiteName)}" name="${escapeXml(budget.expression)}" time="0">`;
    if (budget.pass) return `${open}\n      <system-out>${escapeXml(budget.message)}</system-out>\n    </testcase>`;
    const measured = budget.measured === null ? 'no data' : `${budget.measured} ${budget.baseUnit}`.trim();
    const limit = `${budget.op} ${budget.limitBase} ${budget.baseUnit}`.trim();
    return (
      `${open}\n      <failure message="${escapeXml(budget.message)}" type="BudgetExceeded">` +
      `${escapeXml(`budget ${budget.expression}: measured ${measured}, limit ${limit}`)}</failure>\n    </testcase>`
    );
  });
  const outcome = results.outcome.status === 'completed' ? '' : ` (run ${results.outcome.status}${results.outcome.message ? `: ${results.outcome.message}` : ''})`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="glasslab" tests="${results.budgets.length}" failures="${failures}">`,
    `  <testsuite name="${escapeXml(suiteName)}" id="${escapeXml(results.runId)}" tests="${results.budgets.length}" failures="${failures}" errors="0" skipped="0"${results.start.wallClock ? ` timestamp="${escapeXml(results.start.wallClock)}"` : ''}>`,
    `    <properties>\n      <property name="runId" value="${escapeXml(results.runId)}"/>\n      <property name="outcome" value="${escapeXml(results.outcome.status + outcome)}"/>\n    </properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
