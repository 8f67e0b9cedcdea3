/**
 * The suite runner with a stand-in for the real run (each "run" writes an analysed synthetic run
 * folder): suite.json rewritten after every run, relative run folders, key results copied,
 * interruption and crashes leave a partial suite.json; suite.html lists every run and links to
 * each run's report; `glasslab report <suite-dir>` rebuilds both from the run folders.
 */
import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportCommand } from '../../lab/cli/commands/report.ts';
import { parseSuiteText, type LoadedSuite } from '../../lab/suite/load.ts';
import { runSuite, suitePassed, type RunOne } from '../../lab/suite/runner.ts';
import { suiteJsonSchema, type SuiteJson } from '../../lab/suite/suite-json.ts';
import { fixtureRunFolder, type RecoveryNumbers } from './fixtures.ts';

const SUITE = `suite: fx
base: { duration: 2s, resolution: 360p }
matrix:
  protection:
    - { name: none, set: { protection: { mode: none } } }
    - { name: nack, set: { protection: { mode: nack } } }
  loss:
    - { name: l5 }
    - { name: l10 }
budgets: ["fps >= 1"]
`;

/** Recovery numbers per run index: none loses what it loses, nack recovers by RTX, the last has none. */
const RECOVERY: (RecoveryNumbers | null)[] = [
  { mode: 'none', sent: 1000, fec: 0, rtx: 0, tooLate: 0, never: 50, fecOverhead: 0, nackToRtxP50Ms: null, keyframeRequests: 4 },
  { mode: 'none', sent: 1000, fec: 0, rtx: 0, tooLate: 0, never: 100, fecOverhead: 0, nackToRtxP50Ms: null, keyframeRequests: 9 },
  { mode: 'nack', sent: 1000, fec: 0, rtx: 45, tooLate: 3, never: 2, fecOverhead: 0, nackToRtxP50Ms: 62.5, keyframeRequests: 0 },
  null,
];

let root: string;
let suite: LoadedSuite;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'glasslab-suite-runner-'));
  suite = await parseSuiteText(SUITE, path.join(root, 'fx.yaml'), 3);
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function readSuiteJson(suiteDir: string): Promise<SuiteJson> {
  return suiteJsonSchema.parse(JSON.parse(await readFile(path.join(suiteDir, 'suite.json'), 'utf8')));
}

/** A stand-in run: an analysed synthetic run folder with the index's recovery numbers. */
const fixtureRun: RunOne = async (scenario, runsRoot, _signal, index) => {
  const { runDir, results } = await fixtureRunFolder(runsRoot, scenario.name, { seed: 10 + index, budgets: scenario.budgets, recovery: RECOVERY[index] ?? null });
  return { runDir, state: 'completed', results };
};

describe('runSuite', () => {
  let outcome: Awaited<ReturnType<typeof runSuite>>;
  const snapshots: SuiteJson[] = [];

  beforeAll(async () => {
    const outRoot = path.join(root, 'complete');
    let suiteDir = '';
    outcome = await runSuite(suite, suite.runs, {
      outRoot,
      onStart: (dir) => (suiteDir = dir),
      runOne: async (scenario, runsRoot, signal, index) => {
        snapshots.push(await readSuiteJson(suiteDir));
        return fixtureRun(scenario, runsRoot, signal, index);
      },
    });
  }, 60_000);

  it('runs every configuration into one suite folder and lists each in suite.json', async () => {
    expect(path.basename(outcome.suiteDir)).toMatch(/^\d{8}-\d{6}-fx$/);
    const written = await readSuiteJson(outcome.suiteDir);
    expect(written).toEqual(outcome.suite);
    expect(written.state).toBe('completed');
    expect(written.seed).toBe(3);
    expect(written.runs.map((r) => [r.name, r.variants, r.outcome])).toEqual([
      ['fx-none-l5', { protection: 'none', loss: 'l5' }, 'completed'],
      ['fx-none-l10', { protection: 'none', loss: 'l10' }, 'completed'],
      ['fx-nack-l5', { protection: 'nack', loss: 'l5' }, 'completed'],
      ['fx-nack-l10', { protection: 'nack', loss: 'l10' }, 'completed'],
    ]);
    for (const run of written.runs) {
      expect(path.isAbsolute(run.runDir!)).toBe(false);
      expect(path.dirname(path.join(outcome.suiteDir, run.runDir!))).toBe(outcome.suiteDir);
      const results = JSON.parse(await readFile(path.join(outcome.suiteDir, run.runDir!, 'results.json'), 'utf8')) as { summary: { frames: { displayed: number } }; budgets: { expression: string }[] };
      expect(run.results!.framesDisplayed).toBe(results.summary.frames.displayed);
      // the suite's budget reached the run
      expect(results.budgets.map((b) => b.expression)).toContain('fps >= 1');
      expect(run.wallMs).toBeGreaterThanOrEqual(0);
    }
    expect(written.runs[2]!.results!.recovery).toMatchObject({ dropped: 50, rtx: 45, tooLate: 3, never: 2, rtxRecoveryRatio: 0.9, nackToRtxP50Ms: 62.5 });
    expect(written.runs[3]!.results!.recovery).toBeNull();
    expect(suitePassed(written)).toBe(true);
  });

  it('rewrites suite.json before each run: finished runs, the running one, the pending rest', () => {
    expect(snapshots.map((s) => s.runs.map((r) => r.outcome))).toEqual([
      ['running', 'pending', 'pending', 'pending'],
      ['completed', 'running', 'pending', 'pending'],
      ['completed', 'completed', 'running', 'pending'],
      ['completed', 'completed', 'completed', 'running'],
    ]);
    expect(snapshots[2]!.runs[1]!.results).not.toBeNull();
    expect(snapshots.every((s) => s.state === 'running')).toBe(true);
  });

  it('suite.html: one row per run linking to its report, "—" where a run has no recovery section', async () => {
    const html = await readFile(outcome.reportPath, 'utf8');
    const rows = [...html.matchAll(/<tr data-run="([^"]+)">(.*?)<\/tr>/g)];
    expect(rows.map((m) => m[1])).toEqual(outcome.suite.runs.map((r) => r.name));
    for (const [index, run] of outcome.suite.runs.entries()) {
      const href = /<a href="([^"]+)">/.exec(rows[index]![2]!)![1]!;
      expect(href).toBe(`${run.runDir}/report.html`);
      expect(existsSync(path.join(outcome.suiteDir, href))).toBe(true);
    }
    const cells = (index: number): string[] => [...rows[index]![2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
    // run, protection, loss, outcome, frames, p50, p95, freezes, dropped, FEC, RTX, too late, never, residual, overhead, NACK→RTX, keyframe requests
    expect(cells(2).slice(8)).toEqual(['50', '0%', '90%', '3', '2', '0.5%', '0%', '62.5 ms', '0']);
    expect(cells(3).slice(8)).toEqual(['—', '—', '—', '—', '—', '—', '—', '—', '—']);
    expect(html).toContain('<tr class="group"><th colspan="17">protection: none</th></tr>');
    // self-contained: nothing loaded from anywhere
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");
  });

  it('glasslab report <suite-dir> re-analyses the run folders and rewrites suite.json and suite.html', async () => {
    const jsonPath = path.join(outcome.suiteDir, 'suite.json');
    const stale = await readSuiteJson(outcome.suiteDir);
    stale.runs[0]!.results!.framesDisplayed = 1;
    await writeFile(jsonPath, JSON.stringify(stale));
    await rm(outcome.reportPath);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReportCommand(outcome.suiteDir, {}, { out: (t) => out.push(t), err: (t) => err.push(t) });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('fx: 4/4 runs completed');
    const rebuilt = await readSuiteJson(outcome.suiteDir);
    // re-analysed from the records: the real number is back
    expect(rebuilt.runs[0]!.results!.framesDisplayed).toBe(outcome.suite.runs[0]!.results!.framesDisplayed);
    expect(existsSync(outcome.reportPath)).toBe(true);
    // after a crash during run 2: suite.json still says "running" and knows no folder for it
    const crashed = await readSuiteJson(outcome.suiteDir);
    const lost = crashed.runs[1]!;
    const folder = lost.runDir;
    Object.assign(lost, { outcome: 'running', runDir: null, results: null, wallMs: null });
    crashed.state = 'running';
    await writeFile(jsonPath, JSON.stringify(crashed));
    expect(await runReportCommand(outcome.suiteDir, {}, { out: () => undefined, err: (t) => err.push(t) })).toBe(0);
    const adopted = (await readSuiteJson(outcome.suiteDir)).runs[1]!;
    expect(adopted).toMatchObject({ runDir: folder, outcome: 'completed', message: 'the suite did not see this run end' });
    expect(adopted.results!.framesDisplayed).toBe(outcome.suite.runs[1]!.results!.framesDisplayed);
    const unusable = await runReportCommand(outcome.suiteDir, { budget: ['fps >= 1'] }, { out: () => undefined, err: (t) => err.push(t) });
    expect(unusable).toBe(2);
    expect(err.at(-1)).toContain('apply to run folders');
  });

  it('glasslab report <suite-dir> marks a run a killed suite left "running" with its owner gone interrupted', async () => {
    const jsonPath = path.join(outcome.suiteDir, 'suite.json');
    const killed = await readSuiteJson(outcome.suiteDir);
    const victim = killed.runs[2]!;
    const runDir = path.join(outcome.suiteDir, victim.runDir!);
    // as a SIGKILLed orchestrator leaves it: status "running" for a pid that is gone, no run-end record
    const gonePid = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(path.join(runDir, 'status.json'), JSON.stringify({ state: 'running', startedAt: '2026-12-02T10:00:00.000Z', pid: gonePid, pidStartTicks: 1 }));
    const records = (await readFile(path.join(runDir, 'run.ndjson'), 'utf8')).split('\n').filter((line) => !line.includes('"run-end"'));
    await writeFile(path.join(runDir, 'run.ndjson'), records.join('\n'));
    victim.outcome = 'running';
    killed.state = 'running';
    await writeFile(jsonPath, JSON.stringify(killed));
    const err: string[] = [];
    const code = await runReportCommand(outcome.suiteDir, {}, { out: () => undefined, err: (t) => err.push(t) });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain(`owner pid ${gonePid} is gone`);
    const status = JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8')) as { state: string; message: string };
    expect(status).toMatchObject({ state: 'interrupted', message: expect.stringContaining('found by glasslab report') });
    expect((await readSuiteJson(outcome.suiteDir)).runs[2]).toMatchObject({ outcome: 'interrupted' });
  });
});

describe('runSuite when runs fail, break budgets or are interrupted', () => {
  it('a run that throws is recorded as failed and the suite goes on', async () => {
    const outcome = await runSuite(suite, suite.runs.slice(0, 2), {
      outRoot: path.join(root, 'crash'),
      runOne: async (scenario, runsRoot, signal, index) => {
        if (index === 0) throw new Error('sender exploded');
        return fixtureRun(scenario, runsRoot, signal, index);
      },
    });
    expect(outcome.suite.runs.map((r) => [r.outcome, r.message ?? null, r.runDir === null])).toEqual([
      ['failed', 'sender exploded', true],
      ['completed', null, false],
    ]);
    expect(outcome.suite.state).toBe('completed');
    expect(suitePassed(outcome.suite)).toBe(false);
    expect(await readFile(outcome.reportPath, 'utf8')).toContain('<tr data-run="fx-none-l5"><td class="run">fx-none-l5</td>');
  });

  it('a broken budget fails the suite', async () => {
    const outcome = await runSuite(suite, suite.runs.slice(0, 1), {
      outRoot: path.join(root, 'budget'),
      runOne: async (scenario, runsRoot) => {
        const { runDir, results } = await fixtureRunFolder(runsRoot, scenario.name, { budgets: ['fps >= 1000'] });
        return { runDir, state: 'completed', results };
      },
    });
    expect(outcome.suite.runs[0]!.results!.budgetsBroken).toEqual(['fps >= 1000']);
    expect(suitePassed(outcome.suite)).toBe(false);
    expect(await readFile(outcome.reportPath, 'utf8')).toContain('broken: fps &gt;= 1000');
  });

  it("each run gets its own signal: listeners a run leaves on it do not pile up on the suite's", async () => {
    const abort = new AbortController();
    const seen = new Set<AbortSignal>();
    await runSuite(suite, suite.runs, {
      outRoot: path.join(root, 'listeners'),
      signal: abort.signal,
      runOne: async (scenario, runsRoot, signal, index) => {
        // as the orchestrator does: a listener it never removes
        signal!.addEventListener('abort', () => undefined, { once: true });
        seen.add(signal!);
        return fixtureRun(scenario, runsRoot, signal, index);
      },
    });
    expect(seen.size).toBe(4);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('an abort during a run: that run ends interrupted, the rest are skipped, suite.json says so', async () => {
    const abort = new AbortController();
    const outcome = await runSuite(suite, suite.runs, {
      outRoot: path.join(root, 'interrupted'),
      signal: abort.signal,
      runOne: async (scenario, runsRoot, signal, index) => {
        if (index === 1) {
          abort.abort();
          expect(signal?.aborted).toBe(true);
          const { runDir, results } = await fixtureRunFolder(runsRoot, scenario.name);
          return { runDir, state: 'interrupted', message: 'the run was interrupted', results };
        }
        return fixtureRun(scenario, runsRoot, signal, index);
      },
    });
    const written = await readSuiteJson(outcome.suiteDir);
    expect(written.state).toBe('interrupted');
    expect(written.runs.map((r) => r.outcome)).toEqual(['completed', 'interrupted', 'skipped', 'skipped']);
    expect(written.runs[2]!.runDir).toBeNull();
    expect(written.endedAt).toBeDefined();
    expect(suitePassed(written)).toBe(false);
  });
});
