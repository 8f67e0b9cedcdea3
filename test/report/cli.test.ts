import { rm } from 'node:fs/promises';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerReportCommand, runReportCommand } from '../../lab/cli/commands/report.ts';
import { syntheticRun, writeSyntheticRunDir } from './fixtures.ts';

let dir: string;
beforeAll(async () => {
  dir = await writeSyntheticRunDir(syntheticRun({ frameCount: 60 }), { 'scenario.json': JSON.stringify({ name: 'synthetic-30fps' }) });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, io: { out: (text: string) => lines.out.push(text), err: (text: string) => lines.err.push(text) } };
}

describe('glasslab report', () => {
  it('exits 0 when budgets are met, 1 when one is broken, 2 for a bad expression', async () => {
    const met = capture();
    expect(await runReportCommand(dir, { budget: ['g2g.p95 <= 120ms'] }, met.io)).toBe(0);
    expect(met.lines.out.join('\n')).toMatch(/PASS g2g\.p95 <= 120ms/);
    const broken = capture();
    expect(await runReportCommand(dir, { budget: ['g2g.p95 <= 1ms'] }, broken.io)).toBe(1);
    const bad = capture();
    expect(await runReportCommand(dir, { budget: ['g2g.p95 <= fast'] }, bad.io)).toBe(2);
    expect(bad.lines.err[0]).toContain('"g2g.p95 <= fast"');
    const missing = capture();
    expect(await runReportCommand(`${dir}/nope`, {}, missing.io)).toBe(2);
  });

  it('registers on a commander program and passes the exit code on', async () => {
    let code: number | undefined;
    const program = new Command().exitOverride();
    registerReportCommand(program, (value) => (code = value));
    const writes: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(String(chunk)), true));
    try {
      await program.parseAsync(['node', 'glasslab', 'report', dir, '--json', '-b', 'fps >= 100', 'g2g.max <= 1s']);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(1);
    const printed = JSON.parse(writes.join('')) as { budgetsPassed: boolean; junit: string };
    expect(printed.budgetsPassed).toBe(false);
    expect(printed.junit).toMatch(/junit\.xml$/);
  });
});
