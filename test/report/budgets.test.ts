import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetError, evaluateBudget, parseBudget, parseBudgets, readMetric } from '../../lab/metrics/budgets.ts';
import { computeRunMetrics } from '../../lab/metrics/compute.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import { syntheticRun } from './fixtures.ts';

const parsed = (expression: string) => {
  const result = parseBudget(expression);
  if (!result.ok) throw result.error;
  return result.budget;
};

describe('budget parsing', () => {
  it('parses metric, operator and limit with unit into the base unit', () => {
    expect(parsed('g2g.p95 <= 120ms')).toMatchObject({ metric: 'g2g.p95', op: '<=', limit: { value: 120, unit: 'ms' }, dimension: 'time', limitBase: 120 });
    expect(parsed('g2g.max<0.25s')).toMatchObject({ op: '<', limitBase: 250 });
    expect(parsed('stages.decode.p99 <= 500us').limitBase).toBeCloseTo(0.5, 12);
    expect(parsed('residualLoss <= 0.1%')).toMatchObject({ dimension: 'ratio', limitBase: 0.001 });
    expect(parsed('residualLoss <= 0.002')).toMatchObject({ limitBase: 0.002 });
    expect(parsed('fps >= 29')).toMatchObject({ op: '>=', dimension: 'rate', limitBase: 29 });
    expect(parsed('fps >= 29.5fps').limitBase).toBe(29.5);
    expect(parsed('bitrate.meanBps <= 2.5Mbps').limitBase).toBe(2_500_000);
    expect(parsed('frames.neverDisplayed == 0')).toMatchObject({ op: '==', dimension: 'count', limitBase: 0 });
    expect(parsed('  freezes.count  <  3  ').expression).toBe('freezes.count  <  3');
  });

  it.each([
    ['g2g.p95 120ms', 'BUDGET_SYNTAX'],
    ['g2g.p95 => 120ms', 'BUDGET_SYNTAX'],
    ['<= 120ms', 'BUDGET_SYNTAX'],
    ['g2g.p95 <= ms', 'BUDGET_SYNTAX'],
    ['g2g.p95 <= 1 20ms', 'BUDGET_SYNTAX'],
    ['', 'BUDGET_SYNTAX'],
    ['g2g.p97 <= 120ms', 'BUDGET_UNKNOWN_METRIC'],
    ['latency <= 120ms', 'BUDGET_UNKNOWN_METRIC'],
    ['g2g.p95 <= 120', 'BUDGET_UNIT'],
    ['g2g.p95 <= 1%', 'BUDGET_UNIT'],
    ['residualLoss <= 5ms', 'BUDGET_UNIT'],
    ['bitrate.meanBps <= 2000', 'BUDGET_UNIT'],
    ['frames.neverDisplayed <= 3ms', 'BUDGET_UNIT'],
  ])('rejects %j with %s and names the expression', (expression, code) => {
    const result = parseBudget(expression);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(BudgetError);
    expect(result.error.code).toBe(code);
    expect(result.error.message).toContain(`"${expression}"`);
  });

  it('never throws on arbitrary input (returns an error value)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[a-z0-9.]{0,12} ?[<>=]{1,2} ?[0-9.]{0,6}[a-zµ%]{0,4}$/)), (text) => {
        const result = parseBudget(text);
        if (!result.ok) expect(result.error).toBeInstanceOf(BudgetError);
        else expect(Number.isFinite(result.budget.limitBase)).toBe(true);
      }),
    );
  });

  it('parseBudgets throws one error naming every bad expression', () => {
    expect(() => parseBudgets(['g2g.p95 <= 120ms', 'fps >= 29'])).not.toThrow();
    expect(() => parseBudgets(['g2g.p95 <= 120ms', 'nope <= 1', 'g2g.p50 <= 3'])).toThrow(/"nope <= 1"[\s\S]*"g2g.p50 <= 3"/);
  });
});

describe('budget evaluation', () => {
  const run = syntheticRun();
  const summary = computeRunMetrics(sortRecords([...run.sender, ...run.receiver, ...run.run])).summary;

  it('reads metrics by path', () => {
    expect(readMetric(summary, 'frames.neverDisplayed')).toBe(13);
    expect(readMetric(summary, 'g2g.p95')).toBe(summary.g2g.p95);
    expect(readMetric(summary, 'frames')).toBeNull();
  });

  it('passes and fails against the measured values, with measured vs limit in the message', () => {
    const p95 = summary.g2g.p95!;
    const pass = evaluateBudget(parsed(`g2g.p95 <= ${Math.ceil(p95)}ms`), summary);
    expect(pass).toMatchObject({ pass: true, measured: p95, baseUnit: 'ms' });
    const fail = evaluateBudget(parsed(`g2g.p95 < ${Math.floor(p95)}ms`), summary);
    expect(fail.pass).toBe(false);
    expect(fail.message).toMatch(/^g2g\.p95 = [\d.]+ ms, limit < \d+ ms$/);
    expect(evaluateBudget(parsed('frames.neverDisplayed <= 12'), summary).pass).toBe(false);
    expect(evaluateBudget(parsed('frames.neverDisplayed <= 13'), summary).pass).toBe(true);
    const loss = evaluateBudget(parsed('residualLoss <= 0.1%'), summary);
    expect(loss.pass).toBe(false);
    expect(loss.message).toContain('limit <= 0.1%');
    expect(evaluateBudget(parsed('residualLoss <= 4%'), summary).pass).toBe(true);
  });

  it('fails a budget whose metric has no data', () => {
    const empty = computeRunMetrics(sortRecords([])).summary;
    const result = evaluateBudget(parsed('g2g.p95 <= 120ms'), empty);
    expect(result).toMatchObject({ pass: false, measured: null });
    expect(result.message).toContain('no data');
  });
});

describe('congestion budgets', () => {
  const run = syntheticRun();
  const summary = computeRunMetrics(sortRecords([...run.sender, ...run.receiver, ...run.run])).summary;
  const congestion = {
    mode: 'googcc' as const, estimates: 10, segments: [], adaptations: [], settledQueueMs: 50,
    worstAdaptMs: 2400, minUtilisation: 0.82, worstQueueDelayP95Ms: 140, maxOvershootLoss: 0.01,
  };

  it('read from the congestion section with their units; no section or a drop that never settled is no data (fails)', () => {
    const adapt = parseBudget('congestion.worstAdaptMs <= 3s');
    const util = parseBudget('congestion.minUtilisation >= 80%');
    if (!adapt.ok || !util.ok) throw new Error('expected valid budgets');
    expect(evaluateBudget(adapt.budget, summary, null, congestion).pass).toBe(true);
    expect(evaluateBudget(util.budget, summary, null, congestion).pass).toBe(true);
    expect(evaluateBudget(adapt.budget, summary, null, { ...congestion, worstAdaptMs: 4000 }).pass).toBe(false);
    expect(evaluateBudget(adapt.budget, summary, null, { ...congestion, worstAdaptMs: null }).message).toContain('no data');
    expect(evaluateBudget(adapt.budget, summary, null, null).pass).toBe(false);
    expect(parseBudget('congestion.worstAdaptMs <= 3%').ok).toBe(false);
  });
});
