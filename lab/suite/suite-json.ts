/**
 * suite.json: the state and key results of a suite run, rewritten (atomically) after each run so
 * an interrupted or crashed suite still lists what finished. JSON Schema:
 * schemas/suite-results.schema.json. Units: ms, ratios 0..1; run folders relative to the suite folder.
 */
import { z } from 'zod';
import type { Results } from '../results/schema.ts';

/** suite.json schema version. */
export const SUITE_JSON_VERSION = 1;

const count = z.number().int().nonnegative();
const ratio = z.number().min(0).max(1).nullable();

/** Recovery numbers of one run (from results.recovery); null when the run has no fate log. */
export const keyRecoverySchema = z
  .object({
    mode: z.string(),
    mediaPacketsSent: count,
    dropped: count.describe('media packets the link dropped'),
    fec: count,
    rtx: count,
    tooLate: count,
    never: count,
    fecRecoveryRatio: ratio,
    rtxRecoveryRatio: ratio,
    tooLateRatio: ratio,
    neverRatio: ratio,
    residualLoss: ratio,
    fecOverhead: z.number().nonnegative().nullable().describe('FEC bytes / media bytes'),
    nackToRtxP50Ms: z.number().nullable(),
    keyframeRequests: count,
    nacksSent: count.optional().describe("NACK packets the lab's receiver sent; absent in files written before it existed"),
  })
  .strict();

/** A copy of a run's key results. */
export const keyResultsSchema = z
  .object({
    framesSent: count,
    framesDisplayed: count,
    g2gP50Ms: z.number().nullable(),
    g2gP95Ms: z.number().nullable(),
    freezes: count,
    residualLoss: ratio.describe('from the run summary (receiver view)'),
    budgetsPassed: z.boolean(),
    budgetsBroken: z.array(z.string()).describe('expressions of the broken budgets'),
    recovery: keyRecoverySchema.nullable(),
    congestion: z
      .object({
        mode: z.enum(['googcc', 'fixed']),
        minUtilisation: z.number().nullable(),
        worstQueueDelayP95Ms: z.number().nullable(),
        worstAdaptMs: z.number().nullable(),
        maxOvershootLoss: z.number().nullable(),
      })
      .strict()
      .nullable()
      .optional()
      .describe('capacity tracking (results.congestion) where the link has a configured rate; absent otherwise and in files written before it existed'),
    chromium: z
      .object({
        counters: z.record(z.string(), z.number()).describe("libwebrtc's last inbound-rtp counters"),
        checks: z.array(z.object({ counter: z.string(), chromium: z.number().nullable(), lab: z.number().nullable(), agree: z.boolean().nullable() }).strict()),
        disagreements: z.array(z.string()),
      })
      .strict()
      .optional()
      .describe('present when Chromium received: its counters and the cross-checks against wire truth (results.chromium)'),
  })
  .strict();

/** How one run of the suite ended; "pending" = not started yet, "skipped" = the suite stopped before it. */
export const suiteRunOutcomes = ['pending', 'running', 'completed', 'failed', 'interrupted', 'skipped'] as const;

/** One run of the suite. */
export const suiteRunSchema = z
  .object({
    name: z.string(),
    variants: z.record(z.string(), z.string()).describe('axis name → variant name'),
    runDir: z.string().nullable().describe('run folder relative to the suite folder; null before it starts'),
    outcome: z.enum(suiteRunOutcomes),
    message: z.string().optional(),
    wallMs: z.number().nonnegative().nullable().describe('wall time of the run and its analysis, ms'),
    results: keyResultsSchema.nullable().describe('null until the run was analysed'),
  })
  .strict();

/** The whole suite.json document. */
export const suiteJsonSchema = z
  .object({
    schemaVersion: z.literal(SUITE_JSON_VERSION),
    suite: z.string(),
    description: z.string().optional(),
    file: z.string().describe('the suite file (absolute path)'),
    seed: z.number().int().nonnegative(),
    filter: z.string().nullable(),
    state: z.enum(['running', 'completed', 'interrupted', 'failed']),
    message: z.string().optional(),
    startedAt: z.string(),
    endedAt: z.string().optional(),
    axes: z.array(z.object({ name: z.string(), variants: z.array(z.string()) }).strict()),
    excluded: count,
    runs: z.array(suiteRunSchema),
  })
  .strict();

export type SuiteJson = z.infer<typeof suiteJsonSchema>;
export type SuiteRunEntry = z.infer<typeof suiteRunSchema>;
export type KeyResults = z.infer<typeof keyResultsSchema>;

/** The key results of a run, copied from its results.json. */
export function keyResults(results: Results): KeyResults {
  const s = results.summary;
  const r = results.recovery;
  return {
    framesSent: s.frames.sent,
    framesDisplayed: s.frames.displayed,
    g2gP50Ms: s.g2g.p50,
    g2gP95Ms: s.g2g.p95,
    freezes: s.freezes.count,
    residualLoss: s.residualLoss,
    budgetsPassed: results.budgetsPassed,
    budgetsBroken: results.budgets.filter((b) => !b.pass).map((b) => b.expression),
    ...(results.chromium
      ? {
          chromium: {
            counters: { ...(results.chromium.inbound ?? {}) },
            checks: results.chromium.crossChecks.map((c) => ({ counter: c.counter, chromium: c.chromium, lab: c.lab, agree: c.agree })),
            disagreements: [...results.chromium.disagreements],
          },
        }
      : {}),
    ...(results.congestion && results.congestion.segments.some((seg) => seg.capacityBps !== null)
      ? {
          congestion: {
            mode: results.congestion.mode,
            minUtilisation: results.congestion.minUtilisation,
            worstQueueDelayP95Ms: results.congestion.worstQueueDelayP95Ms,
            worstAdaptMs: results.congestion.worstAdaptMs,
            maxOvershootLoss: results.congestion.maxOvershootLoss,
          },
        }
      : {}),
    recovery:
      r === null
        ? null
        : {
            mode: r.mode,
            mediaPacketsSent: r.mediaPacketsSent,
            dropped: r.totals.dropped,
            fec: r.totals.fec,
            rtx: r.totals.rtx,
            tooLate: r.totals.tooLate,
            never: r.totals.never,
            fecRecoveryRatio: r.fecRecoveryRatio,
            rtxRecoveryRatio: r.rtxRecoveryRatio,
            tooLateRatio: r.tooLateRatio,
            neverRatio: r.neverRatio,
            residualLoss: r.residualLoss,
            fecOverhead: r.fecOverhead,
            nacksSent: r.nacksSent,
            nackToRtxP50Ms: r.nackToRtxMs.p50,
            keyframeRequests: r.keyframeRequests,
          },
  };
}

/** Validates a parsed suite.json; returns it typed or the issues by path. */
export function validateSuiteJson(value: unknown): { ok: true; suite: SuiteJson } | { ok: false; issues: string[] } {
  const parsed = suiteJsonSchema.safeParse(value);
  if (parsed.success) return { ok: true, suite: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`) };
}
