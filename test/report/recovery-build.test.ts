import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateBudget, parseBudget } from '../../lab/metrics/budgets.ts';
import { buildReport } from '../../lab/report/build.ts';
import { validateResults } from '../../lab/results/schema.ts';
import { syntheticLink, syntheticRun, withRecoveries, writeSyntheticRunDir } from './fixtures.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function recoveryRunDir(withFateLog: boolean): Promise<string> {
  const run = withRecoveries(syntheticRun({ frameCount: 150, lostFrames: [40, 41], unreadableFrames: [], incompleteFrames: [], droppedFrames: [] }), { fecFrames: [3, 63], rtxFrames: [20, 80] });
  const link = syntheticLink(run);
  run.run.push(...link.events);
  const scenario = {
    name: 'recovery-synthetic',
    protection: { mode: 'hybrid', fec: 'ulpfec', mask: 'bursty', rateTable: 'libwebrtc', fecRates: 'controller' },
    link: link.link,
    budgets: ['recovery.neverRatio <= 2%', 'recovery.fecRecoveryRatio >= 0.1', 'recovery.nackToRtxMs.p95 <= 150ms', 'recovery.totals.never == 10'],
  };
  const dir = await writeSyntheticRunDir(run, { 'scenario.json': JSON.stringify(scenario), ...(withFateLog ? { 'link.ndjson': link.fateLog } : {}) });
  dirs.push(dir);
  return dir;
}

describe('recovery in results.json, budgets and the report', () => {
  it('fills results.recovery from the fate log, reads protection from scenario.json and evaluates recovery budgets', async () => {
    const built = await buildReport(await recoveryRunDir(true));
    const written: unknown = JSON.parse(await readFile(built.resultsPath, 'utf8'));
    expect(validateResults(written).ok).toBe(true);
    const recovery = built.results.recovery!;
    expect(recovery.mode).toBe('hybrid');
    expect(recovery.fecScheme).toBe('ulpfec');
    expect(recovery.maskType).toBe('bursty');
    // two lost frames of 5 packets each never come back; 2 by FEC, 2 by RTX
    expect(recovery.totals).toEqual({ dropped: 14, fec: 2, rtx: 2, tooLate: 0, never: 10 });
    expect(recovery.nackToRtxMs.count).toBe(2);
    const verdicts = Object.fromEntries(built.results.budgets.map((b) => [b.expression, b.pass]));
    expect(verdicts).toEqual({
      'recovery.neverRatio <= 2%': false,
      'recovery.fecRecoveryRatio >= 0.1': true,
      'recovery.nackToRtxMs.p95 <= 150ms': true,
      'recovery.totals.never == 10': true,
    });
    const html = await readFile(built.reportPath, 'utf8');
    expect(html).toContain('id="recovery"');
    expect(html).toContain('FEC recovered 14 % of the 14 media packets the link dropped; RTX recovered 14 %');
    const junit = await readFile(path.join(path.dirname(built.resultsPath), 'junit.xml'), 'utf8');
    expect(junit).toContain('recovery.neverRatio');
  });

  it('without a fate log there is no recovery section and recovery budgets fail for lack of data', async () => {
    const built = await buildReport(await recoveryRunDir(false));
    expect(built.results.recovery).toBeNull();
    expect(built.recoverySeries).toBeNull();
    const never = built.results.budgets.find((b) => b.metric === 'recovery.neverRatio')!;
    expect(never.pass).toBe(false);
    expect(never.message).toContain('no data');
    expect(await readFile(built.reportPath, 'utf8')).not.toContain('id="recovery"');
  });

  it('parses recovery metrics with their dimensions and rejects unknown ones', () => {
    const ok = (expression: string) => {
      const parsed = parseBudget(expression);
      if (!parsed.ok) throw parsed.error;
      return parsed.budget;
    };
    expect(ok('recovery.neverRatio <= 2%').limitBase).toBeCloseTo(0.02, 12);
    expect(ok('recovery.nackToRtxMs.p95 <= 0.15s').limitBase).toBe(150);
    expect(ok('recovery.g2gByPath.rtx.p50 < 100ms').dimension).toBe('time');
    expect(ok('recovery.spuriousRtx <= 3').dimension).toBe('count');
    expect(ok('recovery.fecOverhead <= 30%').dimension).toBe('ratio');
    for (const bad of ['recovery.nackToRtxMs.p95 <= 150', 'recovery.bogus <= 1', 'recovery.totals.lost == 0']) expect(parseBudget(bad).ok).toBe(false);
    const budget = ok('recovery.fecRecoveryRatio >= 0.5');
    const summary = { fecRecoveryRatio: 0.6 } as unknown as Parameters<typeof evaluateBudget>[2];
    expect(evaluateBudget(budget, {} as Parameters<typeof evaluateBudget>[1], summary).pass).toBe(true);
    expect(evaluateBudget(budget, {} as Parameters<typeof evaluateBudget>[1], null).pass).toBe(false);
  });
});

describe('recovery section when the fate log misses media packets', () => {
  it('warns that packets without a fate record are not counted', async () => {
    const run = withRecoveries(syntheticRun({ frameCount: 60, lostFrames: [40], unreadableFrames: [], incompleteFrames: [], droppedFrames: [] }), { fecFrames: [3], rtxFrames: [20] });
    const link = syntheticLink(run);
    run.run.push(...link.events);
    // the first 10 up records (media and FEC) never made it into the log
    const fateLog = link.fateLog.split('\n').filter((line, i) => i >= 10 || !line.includes('"dir":"up"')).join('\n');
    const dir = await writeSyntheticRunDir(run, { 'scenario.json': JSON.stringify({ name: 'gap', link: link.link }), 'link.ndjson': fateLog });
    dirs.push(dir);
    const built = await buildReport(dir);
    expect(built.results.link?.mediaFates?.complete).toBe(false);
    expect(await readFile(built.reportPath, 'utf8')).toContain('packets without a fate record are not counted as dropped');
  });
});
