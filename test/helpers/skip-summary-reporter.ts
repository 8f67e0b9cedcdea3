/**
 * A vitest reporter that prints, once at the end of the run, every skipped test with the title
 * that carries its reason ("... (skipped: not root)"), so a skipped privileged or hardware test
 * is never silent. A suite skipped as a whole is one line with its test count.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

function fileOf(module: TestModule): string {
  return module.moduleId.split('/test/').pop() ?? module.moduleId;
}

/** The suite skipped as a whole that holds `test`, if any (its whole subtree skipped). */
function wholeSkippedSuite(test: TestCase): string | undefined {
  const parent = test.parent;
  if (parent.type !== 'suite') return undefined;
  const all = [...parent.children.allTests()];
  return all.every((t) => t.result().state === 'skipped') ? parent.fullName : undefined;
}

export default class SkipSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines = new Map<string, number>();
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const where = `${fileOf(module)}: ${wholeSkippedSuite(test) ?? test.fullName}`;
        lines.set(where, (lines.get(where) ?? 0) + 1);
      }
    }
    if (lines.size === 0) return;
    const total = [...lines.values()].reduce((a, b) => a + b, 0);
    const out = [`\nSkipped ${total} test${total === 1 ? '' : 's'} (the reason is in each title):`];
    for (const [where, count] of lines) out.push(`  - ${where}${count > 1 ? ` [${count} tests]` : ''}`);
    process.stdout.write(`${out.join('\n')}\n`);
  }
}
