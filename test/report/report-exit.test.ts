/**
 * `glasslab report` never exits 0 for a run it cannot vouch for: 3 for a failed or interrupted
 * run (the report is still written), 2 for an unusable folder (no scenario file, impossible
 * counts; nothing written). Unusable record lines are named on stderr, file:line, with no more
 * than a short excerpt of the line.
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../lab/cli/commands/report.ts';
import { EXCERPT_CHARS } from '../../src/shared/ndjson.ts';
import { syntheticRun, writeSyntheticRunDir, type SyntheticRun } from './fixtures.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const SCENARIO = { 'scenario.json': JSON.stringify({ name: 'synthetic', budgets: ['g2g.p95 <= 500ms'] }) };

async function runDir(run: SyntheticRun, files: Record<string, string> = SCENARIO): Promise<string> {
  const dir = await writeSyntheticRunDir(run, files);
  dirs.push(dir);
  return dir;
}

function capture() {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, io: { out: (t: string) => void lines.out.push(t), err: (t: string) => void lines.err.push(t) } };
}

function ending(status: 'interrupted' | 'failed', message: string): SyntheticRun {
  const run = syntheticRun({ frameCount: 30 });
  for (const record of run.run) if (record.type === 'event' && record.name === 'run-end') record.detail = { status, message, wallClock: '2026-11-23T09:00:10.200Z' };
  return run;
}

describe('glasslab report exit codes', () => {
  it('a completed run within budget exits 0', async () => {
    expect(await runReportCommand(await runDir(syntheticRun({ frameCount: 30 })), {}, capture().io)).toBe(0);
  });

  it('an interrupted or failed run exits 3, says so, and still writes the report', async () => {
    for (const status of ['interrupted', 'failed'] as const) {
      const dir = await runDir(ending(status, 'the run was interrupted before its planned end'));
      const { io, lines } = capture();
      expect(await runReportCommand(dir, {}, io)).toBe(3);
      expect(lines.err.join('\n')).toContain(`the run ${status}: the run was interrupted before its planned end (report written)`);
      expect(existsSync(path.join(dir, 'results.json')) && existsSync(path.join(dir, 'report.html'))).toBe(true);
    }
  });

  it('a folder without scenario.json exits 2 (its budgets would be dropped) and writes nothing', async () => {
    const dir = await runDir(syntheticRun({ frameCount: 30 }), {});
    const { io, lines } = capture();
    expect(await runReportCommand(dir, {}, io)).toBe(2);
    expect(lines.err.join('\n')).toMatch(/no scenario\.json .*budgets, link and protection are unknown/);
    expect(existsSync(path.join(dir, 'results.json'))).toBe(false);
  });

  it('an empty sender.ndjson ("121/0 frames displayed") exits 2 with impossible counts', async () => {
    const run = syntheticRun({ frameCount: 30 });
    run.sender = [];
    const dir = await runDir(run);
    await writeFile(path.join(dir, 'sender.ndjson'), '');
    const { io, lines } = capture();
    expect(await runReportCommand(dir, {}, io)).toBe(2);
    expect(lines.err.join('\n')).toMatch(/impossible counts: 30 distinct frames displayed but 0 sent/);
    expect(existsSync(path.join(dir, 'results.json'))).toBe(false);
  });

  it('names truncated and garbage record lines on stderr (file:line, short excerpt only)', async () => {
    const run = syntheticRun({ frameCount: 30 });
    const dir = await runDir(run);
    const secret = `root:${'x'.repeat(200)}:0:0:SECRET-TAIL`;
    const senderLines = (await readFile(path.join(dir, 'sender.ndjson'), 'utf8')).split('\n').length - 1;
    await appendFile(path.join(dir, 'sender.ndjson'), `${secret}\n[1,2]\n{"type":"nonsense"}\n`);
    await appendFile(path.join(dir, 'receiver.ndjson'), '{"type":"frame","side":"rec');
    const { io, lines } = capture();
    expect(await runReportCommand(dir, {}, io)).toBe(0);
    const err = lines.err.join('\n');
    expect(err).toContain(`${dir}/sender.ndjson:${senderLines + 1}: not valid JSON: "${secret.slice(0, EXCERPT_CHARS)}…"`);
    expect(err).toContain(`${dir}/sender.ndjson:${senderLines + 2}: not a JSON object`);
    expect(err).toContain(`${dir}/sender.ndjson:${senderLines + 3}: not a usable record (type "nonsense"`);
    expect(err).toMatch(new RegExp(`receiver\\.ndjson:\\d+: last line cut short \\(27 bytes, no newline\\)`));
    expect(err).not.toContain('SECRET-TAIL');
  });

  it('prints at most 20 problems, then counts the rest', async () => {
    const dir = await runDir(syntheticRun({ frameCount: 30 }));
    await appendFile(path.join(dir, 'run.ndjson'), 'garbage\n'.repeat(25));
    const { io, lines } = capture();
    await runReportCommand(dir, {}, io);
    const problems = lines.err.filter((line) => line.includes('run.ndjson:'));
    expect(problems).toHaveLength(20);
    expect(lines.err.join('\n')).toContain('… and 5 more unusable record lines');
  });
});
