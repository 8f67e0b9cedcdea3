/**
 * G2G is computed over the displayed frames whose marker could be read; results.json and the
 * report say over how many, how many displayed frames were unreadable, and flag the run when
 * unreadable frames exceed 1 % of displayed ones (x264 loses markers right after an IDR, so G2G
 * under loss is biased toward the good frames).
 */
import { readFile, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluateBudget, parseBudget } from '../../lab/metrics/budgets.ts';
import { computeRunMetrics } from '../../lab/metrics/compute.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import { runWarnings, UNREADABLE_MARKERS_WARNING_RATIO } from '../../lab/metrics/warnings.ts';
import { buildReport } from '../../lab/report/build.ts';
import { validateResults } from '../../lab/results/schema.ts';
import { syntheticRun, writeSyntheticRunDir, type SyntheticRun } from './fixtures.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** 200 frames, none lost: every one displayed, `unreadable` of them with a failed marker. */
function runWithUnreadable(unreadable: number): SyntheticRun {
  const unreadableFrames = Array.from({ length: unreadable }, (_, i) => 10 + i * 7);
  return syntheticRun({ frameCount: 200, lostFrames: [], incompleteFrames: [], droppedFrames: [], unreadableFrames });
}

function summaryOf(run: SyntheticRun): ReturnType<typeof computeRunMetrics>['summary'] {
  return computeRunMetrics(sortRecords([...run.sender, ...run.receiver, ...run.run])).summary;
}

describe('G2G coverage in the summary', () => {
  it('counts the displayed frames G2G was computed over and the unreadable ratio', () => {
    const summary = summaryOf(runWithUnreadable(6));
    expect(summary.frames.displayed).toBe(200);
    expect(summary.frames.unreadableMarkers).toBe(6);
    expect(summary.frames.g2gFrames).toBe(194);
    expect(summary.g2g.count).toBe(194);
    expect(summary.frames.unreadableRatio).toBe(6 / 200);
  });

  it('has no unreadable ratio when nothing was displayed', () => {
    const summary = computeRunMetrics(sortRecords([])).summary;
    expect(summary.frames.unreadableRatio).toBeNull();
    expect(summary.frames.g2gFrames).toBe(0);
    expect(runWarnings(summary)).toEqual([]);
  });
});

describe('the unreadable-marker warning', () => {
  it('is absent at exactly 1 % of displayed frames and present above it', () => {
    expect(UNREADABLE_MARKERS_WARNING_RATIO).toBe(0.01);
    expect(runWarnings(summaryOf(runWithUnreadable(0)))).toEqual([]);
    expect(runWarnings(summaryOf(runWithUnreadable(2)))).toEqual([]); // 2 / 200 = 1 %
    const warnings = runWarnings(summaryOf(runWithUnreadable(3))); // 1.5 %
    expect(warnings).toEqual([{ code: 'MARKERS_UNREADABLE', message: expect.stringContaining('3 of 200 displayed frames (1.5%') as string }]);
    expect(warnings[0]!.message).toContain('covers only the other 197');
  });

  it('reaches results.json and the top of the report', async () => {
    const dir = await writeSyntheticRunDir(runWithUnreadable(10));
    dirs.push(dir);
    const built = await buildReport(dir);
    const written: unknown = JSON.parse(await readFile(built.resultsPath, 'utf8'));
    const validated = validateResults(written);
    expect(validated.ok).toBe(true);
    const results = built.results;
    expect(results.warnings).toEqual([expect.objectContaining({ code: 'MARKERS_UNREADABLE' })]);
    expect(results.summary.frames).toMatchObject({ displayed: 200, unreadableMarkers: 10, g2gFrames: 190, unreadableRatio: 0.05 });
    const html = await readFile(built.reportPath, 'utf8');
    const body = html.slice(0, html.indexOf('<script'));
    expect(body).toMatch(/<section id="warnings"><p class="note warning" data-code="MARKERS_UNREADABLE"><b>Warning:<\/b> 10 of 200 displayed frames \(5%/);
    expect(body.indexOf('id="warnings"')).toBeLessThan(body.indexOf('id="summary"'));
    expect(body).toContain('<th>G2G computed over</th><td>190 of 200 displayed frames');
    expect(body).toMatch(/unreadable markers \(displayed, CRC failed\)<\/th><td>10 \(5(\.0)? ?% of displayed\)/);
  });

  it('is not shown for a clean run, and results written before warnings existed still validate', async () => {
    const dir = await writeSyntheticRunDir(runWithUnreadable(1));
    dirs.push(dir);
    const built = await buildReport(dir);
    expect(built.results.warnings).toEqual([]);
    expect(await readFile(built.reportPath, 'utf8')).not.toContain('id="warnings"');
    const older = structuredClone(built.results) as Record<string, unknown> & { summary: { frames: Record<string, unknown> } };
    delete older.warnings;
    delete older.summary.frames.g2gFrames;
    delete older.summary.frames.unreadableRatio;
    expect(validateResults(older).ok).toBe(true);
  });
});

describe('budgets on the unreadable ratio', () => {
  it('accept frames.unreadableRatio (ratio) and frames.g2gFrames (count)', () => {
    const ratio = parseBudget('frames.unreadableRatio <= 1%');
    const frames = parseBudget('frames.g2gFrames >= 190');
    expect(ratio.ok && ratio.budget.dimension).toBe('ratio');
    expect(frames.ok && frames.budget.dimension).toBe('count');
    if (!ratio.ok || !frames.ok) return;
    const clean = summaryOf(runWithUnreadable(2));
    const bad = summaryOf(runWithUnreadable(10));
    expect(evaluateBudget(ratio.budget, clean)).toMatchObject({ pass: true, measured: 0.01 });
    expect(evaluateBudget(ratio.budget, bad)).toMatchObject({ pass: false, measured: 0.05, message: 'frames.unreadableRatio = 5%, limit <= 1%' });
    expect(evaluateBudget(frames.budget, bad)).toMatchObject({ pass: true, measured: 190 });
  });
});
