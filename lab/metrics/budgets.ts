/**
 * Budgets: limits on summary metrics written as `<metric> <op> <value><unit>`, e.g.
 * `g2g.p95 <= 120ms`, `residualLoss <= 0.1%`, `fps >= 29`, `bitrate.meanBps <= 4Mbps`.
 *
 * Metric paths are dotted paths into results.json's `summary`, or, prefixed `recovery.`, into its
 * `recovery` section (e.g. `recovery.neverRatio <= 2%`, `recovery.fecRecoveryRatio >= 0.5`,
 * `recovery.nackToRtxMs.p95 <= 150ms`); a recovery metric of a run without one has no data and
 * fails. Each metric has a dimension that
 * fixes its base unit and the units a limit may use:
 *   time (base ms): ms, s, us/µs — a unit is required;
 *   ratio (base fraction 0..1): % or a bare fraction;
 *   bitrate (base bit/s): bps, kbps, Mbps, Gbps — a unit is required;
 *   rate (base frames/s): fps or bare;   count: bare.
 */
import type { BudgetResult, CongestionSummary, RecoverySummary, RunSummary } from '../results/schema.ts';

/** Comparison operators. */
export type BudgetOp = '<' | '<=' | '>' | '>=' | '==';

/** Metric dimensions. */
export type MetricDimension = 'time' | 'ratio' | 'bitrate' | 'rate' | 'count';

/** A parsed budget expression. */
export interface Budget {
  expression: string;
  /** dotted path into the summary */
  metric: string;
  op: BudgetOp;
  /** the limit as written */
  limit: { value: number; unit: string };
  dimension: MetricDimension;
  /** the limit in the metric's base unit */
  limitBase: number;
}

/** Why a budget expression was rejected. */
export class BudgetError extends Error {
  constructor(
    readonly code: 'BUDGET_SYNTAX' | 'BUDGET_UNKNOWN_METRIC' | 'BUDGET_UNIT',
    readonly expression: string,
    detail: string,
  ) {
    super(`budget "${expression}": ${detail}`);
    this.name = 'BudgetError';
  }
}

const BASE_UNIT: Record<MetricDimension, string> = { time: 'ms', ratio: 'fraction', bitrate: 'bit/s', rate: 'fps', count: '' };

/** Unit → factor to the base unit, per dimension ('' = no unit written). */
const UNIT_FACTORS: Record<MetricDimension, Record<string, number>> = {
  time: { ms: 1, s: 1000, us: 0.001, 'µs': 0.001 },
  ratio: { '%': 0.01, '': 1 },
  bitrate: { bps: 1, kbps: 1e3, Mbps: 1e6, Gbps: 1e9 },
  rate: { fps: 1, '': 1 },
  count: { '': 1 },
};

const DISTRIBUTION_FIELDS = '(min|mean|p50|p95|p99|max)';
const STAGES = '(render|capture|convert|encode|pacing|network|assembly|jitterBuffer|decode|marker)';

/** Which metric paths exist and their dimension (first match wins). */
const METRIC_RULES: readonly [RegExp, MetricDimension][] = [
  [new RegExp(`^g2g\\.${DISTRIBUTION_FIELDS}$`), 'time'],
  [/^g2g\.count$/, 'count'],
  [new RegExp(`^stages\\.${STAGES}\\.${DISTRIBUTION_FIELDS}$`), 'time'],
  [/^fps$/, 'rate'],
  [/^residualLoss$/, 'ratio'],
  [/^frames\.(captured|sent|senderDropped|received|displayed|neverDisplayed|unreadableMarkers|g2gFrames|outOfOrder|duplicates|unmatched|captureMismatches)$/, 'count'],
  [/^frames\.unreadableRatio$/, 'ratio'],
  [/^freezes\.count$/, 'count'],
  [/^freezes\.(totalDurationMs|maxDurationMs)$/, 'time'],
  [/^bitrate\.(meanBps|mediaMeanBps|maxBinBps)$/, 'bitrate'],
  [/^packets\.(sent|received)\.(media|rtx|fec|padding)\.(count|bytes)$/, 'count'],
  [/^packets\.recovered\.(fec|rtx)$/, 'count'],
  [/^feedback\.(nackedSeqs|keyframeRequests|keyframeRequestsReceived)$/, 'count'],
  [/^recovery\.(fecRecoveryRatio|rtxRecoveryRatio|tooLateRatio|neverRatio|residualLoss|fecOverhead|rtxOverhead)$/, 'ratio'],
  [/^recovery\.totals\.(dropped|fec|rtx|tooLate|never)$/, 'count'],
  [/^recovery\.(mediaPacketsSent|fecRecoverable|fecPacketsSent|fecPacketsDropped|nacksSent|nackedSeqsSent|nacksReceived|rtxSent|rtxDropped|spuriousRtx|nackGivenUp|keyframeRequests|freezes)$/, 'count'],
  [new RegExp(`^recovery\\.(lossToRtxMs|nackToRtxMs|g2gByPath\\.(clean|fec|rtx))\\.${DISTRIBUTION_FIELDS}$`), 'time'],
  [/^recovery\.(lossToRtxMs|nackToRtxMs|g2gByPath\.(clean|fec|rtx))\.count$/, 'count'],
  [/^congestion\.(worstAdaptMs|worstQueueDelayP95Ms|worstReach90Ms)$/, 'time'],
  [/^congestion\.(minUtilisation|maxOvershootLoss)$/, 'ratio'],
];

/** Examples of valid metric paths, for error messages. */
export const METRIC_EXAMPLES =
  'g2g.p95, g2g.max, stages.encode.p99, fps, residualLoss, frames.neverDisplayed, frames.unreadableRatio, freezes.count, freezes.totalDurationMs, bitrate.meanBps, feedback.keyframeRequests, recovery.neverRatio, recovery.fecRecoveryRatio, recovery.nackToRtxMs.p95, congestion.worstAdaptMs, congestion.minUtilisation';

const EXPRESSION = /^\s*([A-Za-z][A-Za-z0-9_.]*)\s*(<=|>=|==|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ%/]*)\s*$/;

/** Dimension of a metric path, or undefined when it is no known metric. */
export function metricDimension(metric: string): MetricDimension | undefined {
  return METRIC_RULES.find(([pattern]) => pattern.test(metric))?.[1];
}

/** Parses one budget expression; returns an error value for bad input (never throws). */
export function parseBudget(expression: string): { ok: true; budget: Budget } | { ok: false; error: BudgetError } {
  const match = EXPRESSION.exec(expression);
  if (match === null) {
    return { ok: false, error: new BudgetError('BUDGET_SYNTAX', expression, 'expected "<metric> <op> <value><unit>", e.g. "g2g.p95 <= 120ms" (ops: < <= > >= ==)') };
  }
  const [, metric, op, valueText, unit] = match as unknown as [string, string, BudgetOp, string, string];
  const dimension = metricDimension(metric);
  if (dimension === undefined) {
    return { ok: false, error: new BudgetError('BUDGET_UNKNOWN_METRIC', expression, `unknown metric "${metric}" (known, e.g.: ${METRIC_EXAMPLES})`) };
  }
  const factor = UNIT_FACTORS[dimension][unit];
  if (factor === undefined) {
    const allowed = Object.keys(UNIT_FACTORS[dimension]).map((name) => (name === '' ? '(none)' : name));
    const written = unit === '' ? 'no unit' : `unit "${unit}"`;
    return { ok: false, error: new BudgetError('BUDGET_UNIT', expression, `${written} for ${dimension} metric "${metric}"; use ${allowed.join(', ')}`) };
  }
  const value = Number(valueText);
  return { ok: true, budget: { expression: expression.trim(), metric, op, limit: { value, unit }, dimension, limitBase: value * factor } };
}

/** Parses every expression; throws one BudgetError naming every bad expression. */
export function parseBudgets(expressions: readonly string[]): Budget[] {
  const budgets: Budget[] = [];
  const errors: BudgetError[] = [];
  for (const expression of expressions) {
    const parsed = parseBudget(expression);
    if (parsed.ok) budgets.push(parsed.budget);
    else errors.push(parsed.error);
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new BudgetError(errors[0]!.code, errors.map((error) => error.expression).join('; '), errors.map((error) => error.message).join('\n'));
  return budgets;
}

/**
 * Reads a metric by dotted path from the summary, or from `recovery` for `recovery.` paths; null
 * when absent or not a number.
 */
export function readMetric(summary: RunSummary, metric: string, recovery: RecoverySummary | null = null, congestion: CongestionSummary | null = null): number | null {
  const section = metric.startsWith('recovery.') ? 'recovery' : metric.startsWith('congestion.') ? 'congestion' : undefined;
  let value: unknown = section === 'recovery' ? recovery : section === 'congestion' ? congestion : summary;
  for (const key of (section ? metric.slice(section.length + 1) : metric).split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function compare(measured: number, op: BudgetOp, limit: number): boolean {
  switch (op) {
    case '<':
      return measured < limit;
    case '<=':
      return measured <= limit;
    case '>':
      return measured > limit;
    case '>=':
      return measured >= limit;
    case '==':
      return measured === limit;
  }
}

function formatBase(value: number, dimension: MetricDimension): string {
  const rounded = Number(value.toPrecision(6));
  if (dimension === 'ratio') return `${Number((value * 100).toPrecision(6))}%`;
  const unit = BASE_UNIT[dimension];
  return unit === '' ? `${rounded}` : `${rounded} ${unit}`;
}

/** Evaluates one budget against a summary (and the recovery section, null when none). A metric with no data fails. */
export function evaluateBudget(budget: Budget, summary: RunSummary, recovery: RecoverySummary | null = null, congestion: CongestionSummary | null = null): BudgetResult {
  const measured = readMetric(summary, budget.metric, recovery, congestion);
  const pass = measured !== null && compare(measured, budget.op, budget.limitBase);
  const limitText = formatBase(budget.limitBase, budget.dimension);
  const message =
    measured === null
      ? `${budget.metric}: no data (limit ${budget.op} ${limitText})`
      : `${budget.metric} = ${formatBase(measured, budget.dimension)}, limit ${budget.op} ${limitText}`;
  return {
    expression: budget.expression,
    metric: budget.metric,
    op: budget.op,
    limit: budget.limit,
    limitBase: budget.limitBase,
    measured,
    baseUnit: BASE_UNIT[budget.dimension],
    pass,
    message,
  };
}
