import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BudgetError } from '../../lab/metrics/budgets.ts';
import { buildReport } from '../../lab/report/build.ts';
import { RunFolderError } from '../../lab/report/load-run.ts';
import { validateResults, type Results } from '../../lab/results/schema.ts';
import { syntheticRun, writeSyntheticRunDir } from './fixtures.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function runDir(...args: Parameters<typeof writeSyntheticRunDir>): Promise<string> {
  const dir = await writeSyntheticRunDir(...args);
  dirs.push(dir);
  return dir;
}

describe('buildReport', () => {
  it('writes valid results.json and report.html, no junit.xml without budgets', async () => {
    const dir = await runDir(syntheticRun({ frameCount: 60, lostFrames: [], unreadableFrames: [], incompleteFrames: [], droppedFrames: [] }));
    const built = await buildReport(dir);
    expect((await readdir(dir)).sort()).toEqual(['receiver.ndjson', 'report.html', 'results.json', 'run.ndjson', 'sender.ndjson']);
    const results = JSON.parse(await readFile(built.resultsPath, 'utf8')) as Results;
    expect(validateResults(results).ok).toBe(true);
    expect(results).toMatchObject({
      scenario: 'synthetic-30fps',
      runId: 'synthetic-run',
      outcome: { status: 'completed' },
      start: { wallClock: '2026-11-23T09:00:00.000Z' },
      budgets: [],
      budgetsPassed: true,
      summary: { frames: { sent: 60, displayed: 60, neverDisplayed: 0 }, freezes: { count: 0 } },
    });
    expect(results.environment.skipped).toEqual([{ what: 'env.json', why: expect.stringContaining('not in the run folder') }]);
    const html = await readFile(built.reportPath, 'utf8');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//); // nothing loaded from anywhere
  });

  it('marks a killed run as interrupted and reports the truncated record file', async () => {
    const run = syntheticRun({ frameCount: 90 });
    run.run = run.run.filter((record) => record.type !== 'event' || record.name !== 'run-end');
    const dir = await runDir(run);
    await appendFile(path.join(dir, 'receiver.ndjson'), '{"type":"frame","side":"rece');
    const { results } = await buildReport(dir);
    expect(results.outcome.status).toBe('interrupted');
    expect(results.outcome.message).toContain('receiver.ndjson');
    expect(results.summary.records).toEqual({ invalid: 0, badLines: 0, truncatedFiles: ['receiver.ndjson'] });
    expect(results.end.wallClock).toBeUndefined();
  });

  it('takes the outcome from run-end, budgets from the scenario, and options over both', async () => {
    const run = syntheticRun({ frameCount: 90 });
    run.run = run.run.map((record) =>
      record.type === 'event' && record.name === 'run-end' ? { ...record, detail: { status: 'failed', message: 'receiver exited with code 3' } } : record,
    );
    const dir = await runDir(run, { 'scenario.yaml': 'name: from-file\nbudgets:\n  - frames.neverDisplayed <= 100\n' });
    const fromFolder = await buildReport(dir);
    expect(fromFolder.results.outcome).toEqual({ status: 'failed', message: 'receiver exited with code 3' });
    expect(fromFolder.results.budgets.map((budget) => budget.pass)).toEqual([true]);
    expect(await readFile(fromFolder.junitPath!, 'utf8')).toContain('tests="1" failures="0"');
    const overridden = await buildReport(dir, { scenario: 'cli', runId: 'r1', budgets: ['g2g.p50 <= 1ms'], outcome: { status: 'completed' } });
    expect(overridden.results).toMatchObject({ scenario: 'cli', runId: 'r1', outcome: { status: 'completed' }, budgetsPassed: false });
  });

  it('refuses bad budgets before writing anything', async () => {
    const dir = await runDir(syntheticRun({ frameCount: 30 }));
    await expect(buildReport(dir, { budgets: ['g2g.p95 <= 120'] })).rejects.toThrow(BudgetError);
    await expect(buildReport(dir, { budgets: ['g2g.p95 <= 120'] })).rejects.toThrow(/"g2g.p95 <= 120".*no unit/);
    expect(await readdir(dir)).not.toContain('results.json');
  });

  it('says what is wrong with the folder', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'glasslab-empty-'));
    dirs.push(empty);
    await expect(buildReport(empty)).rejects.toMatchObject({ code: 'RUN_DIR_EMPTY' });
    await expect(buildReport(path.join(empty, 'nope'))).rejects.toBeInstanceOf(RunFolderError);
    await writeFile(path.join(empty, 'run.ndjson'), '');
    await writeFile(path.join(empty, 'scenario.yaml'), 'name: [unclosed');
    await expect(buildReport(empty)).rejects.toMatchObject({ code: 'SCENARIO_UNREADABLE' });
  });

  it('builds a report for a run with no frames at all (charts say no data)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-noframes-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'run.ndjson'), '{"type":"event","side":"orchestrator","timeMs":1,"name":"run-start","detail":{}}\n');
    const { results } = await buildReport(dir, { budgets: ['g2g.p95 <= 120ms'] });
    expect(results.summary.g2g.count).toBe(0);
    expect(results.budgets[0]).toMatchObject({ pass: false, measured: null });
    expect(results.outcome.status).toBe('interrupted');
  });
});
