/**
 * suite.json: the state and key results of a suite run, rewritten (atomically) after each run so
 * an interrupted or crashed suite still lists what finished. JSON Schema:
 * schemas/suite-results.schema.json. Units: ms, ratios 0..1; run folders relative to the suite folder.
 */
import { z } from 'zod';
import type { Results } from '../results/schema.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';
import type { SenderProcess } from './sender-process.ts';

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

/** p50 and p99 of one sender stage, ms; null when no frame had the stage. */
const stagePercentilesSchema = z.object({ p50: z.number().nullable(), p99: z.number().nullable() }).strict();

/**
 * What the lab's sender spent per frame: its stage times (results.summary.stages, contiguous
 * record times; lab/metrics/stages.ts) and its process CPU and frame-source counters (the
 * `child-stopped` event of run.ndjson; null when the run has none, e.g. a Chromium sender).
 */
export const senderKeyResultsSchema = z
  .object({
    stages: z
      .object({
        render: stagePercentilesSchema.describe('renderDone − renderSubmit'),
        capture: stagePercentilesSchema.describe('copyDone − renderDone: marker stamp + readback (readback), + GPU conversion (gpu-convert, zero-copy)'),
        convert: stagePercentilesSchema.describe('convertDone − copyDone: libyuv (readback), copy into the frame buffer (gpu-convert), as native/frame-source.md defines it (zero-copy)'),
        encode: stagePercentilesSchema.describe('encodeDone − convertDone, waiting for the encoder included'),
      })
      .strict(),
    framesRendered: count.nullable().describe("frames the source rendered (source-stats); null without the sender's child-stopped event"),
    droppedQueueFull: count.nullable().describe('frames the source dropped because JS did not take them in time'),
    missedTicks: count.nullable().describe('render ticks missed because rendering took longer than a frame interval'),
    senderDropped: count.describe('frames the sender took but did not send (encoder busy or holding them back)'),
    cpuRunningMs: z.number().nonnegative().nullable().describe("the sender process's CPU time from media start to stop (all threads), ms"),
    cpuMsPerFrame: z.number().nonnegative().nullable().describe('cpuRunningMs ÷ frames sent, ms'),
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
        mode: z.enum(['googcc', 'libwebrtc', 'fixed']),
        minUtilisation: z.number().nullable(),
        worstQueueDelayP95Ms: z.number().nullable(),
        worstAdaptMs: z.number().nullable(),
        maxOvershootLoss: z.number().nullable(),
        worstReach90Ms: z.number().nullable().optional(),
      })
      .strict()
      .nullable()
      .optional()
      .describe('capacity tracking (results.congestion) where the link has a configured rate; absent otherwise and in files written before it existed'),
    relay: z
      .array(
        z
          .object({
            protocol: z.string(),
            decoded: count,
            addedP50Ms: z.number().nullable(),
            addedP95Ms: z.number().nullable(),
            g2gP50Ms: z.number().nullable(),
            dropped: z.number().nullable(),
            reconnectMs: z.number().nullable().optional(),
            forwarderP50Ms: z.number().nullable().optional().describe('the forwarder\'s own part, p50 (results.relay[].forwarderP50Ms)'),
          })
          .strict(),
      )
      .optional()
      .describe('relay targets (results.relay): what each decoded and added over the direct path; absent without a relay'),
    chromium: z
      .object({
        counters: z.record(z.string(), z.number()).describe("libwebrtc's last inbound-rtp counters"),
        checks: z.array(z.object({ counter: z.string(), chromium: z.number().nullable(), lab: z.number().nullable(), agree: z.boolean().nullable() }).strict()),
        disagreements: z.array(z.string()),
      })
      .strict()
      .optional()
      .describe('present when Chromium received: its counters and the cross-checks against wire truth (results.chromium)'),
    sender: senderKeyResultsSchema.optional().describe("the sender's stage times, CPU and frame-source counters; absent in files written before it existed"),
  })
  .strict();

/** What a run's sender was set up with, from its resolved scenario (grouping and the capture-path section). */
export const runConfigSchema = z
  .object({
    sender: z.string().describe('glasslab or chromium'),
    capturePath: z.string(),
    pixelFormat: z.string(),
    codec: z.string(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fps: z.number().positive(),
    durationMs: z.number().nonnegative(),
  })
  .strict();

/**
 * How one run of the suite ended; "pending" = not started yet, "skipped" = not run: the suite
 * stopped before it, or (with `unavailable`) the configuration cannot run on this machine.
 */
export const suiteRunOutcomes = ['pending', 'running', 'completed', 'failed', 'interrupted', 'skipped'] as const;

/** One run of the suite. */
export const suiteRunSchema = z
  .object({
    name: z.string(),
    variants: z.record(z.string(), z.string()).describe('axis name → variant name'),
    runDir: z.string().nullable().describe('run folder relative to the suite folder; null before it starts'),
    outcome: z.enum(suiteRunOutcomes),
    message: z.string().optional().describe('why the run failed or was skipped'),
    unavailable: z.literal(true).optional().describe('skipped before the suite started: this machine cannot run the configuration (message says why: the capture path, the encoder)'),
    config: runConfigSchema.optional().describe("the run's sender configuration; absent in files written before it existed"),
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

export type SenderKeyResults = z.infer<typeof senderKeyResultsSchema>;
export type RunConfig = z.infer<typeof runConfigSchema>;

/** The sender configuration of a run, for its suite.json entry. */
export function runConfig(scenario: ResolvedScenario): RunConfig {
  return {
    sender: scenario.sender?.kind ?? 'glasslab',
    capturePath: scenario.capture.path,
    pixelFormat: scenario.capture.format,
    codec: scenario.encoder.codec,
    width: scenario.width,
    height: scenario.height,
    fps: scenario.fps,
    durationMs: scenario.durationMs,
  };
}

/** The sender's stage times from results.json and its CPU and source counters from run.ndjson (null: none recorded). */
export function senderKeyResults(results: Results, process: SenderProcess | null): SenderKeyResults {
  const stage = (name: 'render' | 'capture' | 'convert' | 'encode'): { p50: number | null; p99: number | null } => ({ p50: results.summary.stages[name].p50, p99: results.summary.stages[name].p99 });
  const framesSent = results.summary.frames.sent;
  return {
    stages: { render: stage('render'), capture: stage('capture'), convert: stage('convert'), encode: stage('encode') },
    framesRendered: process?.rendered ?? null,
    droppedQueueFull: process?.droppedQueueFull ?? null,
    missedTicks: process?.missedTicks ?? null,
    senderDropped: results.summary.frames.senderDropped,
    cpuRunningMs: process?.cpuRunningMs ?? null,
    cpuMsPerFrame: process?.cpuRunningMs !== undefined && process.cpuRunningMs !== null && framesSent > 0 ? process.cpuRunningMs / framesSent : null,
  };
}

/**
 * The key results of a run, copied from its results.json; with `process` (the sender's
 * child-stopped summary, or null when the run has none) also the sender's costs.
 */
export function keyResults(results: Results, process?: SenderProcess | null): KeyResults {
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
    ...(results.relay
      ? {
          relay: results.relay.map((t) => ({
            protocol: t.endpoint ? `${t.protocol} (${t.endpoint})` : t.protocol,
            decoded: t.decoded,
            addedP50Ms: t.addedMs.p50,
            addedP95Ms: t.addedMs.p95,
            g2gP50Ms: t.g2gMs.p50,
            dropped: t.dropped,
            ...(t.reconnect ? { reconnectMs: t.reconnect.firstFrameAfterMs } : {}),
            ...(t.forwarderP50Ms !== undefined ? { forwarderP50Ms: t.forwarderP50Ms } : {}),
          })),
        }
      : {}),
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
            ...(results.congestion.worstReach90Ms !== undefined ? { worstReach90Ms: results.congestion.worstReach90Ms } : {}),
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
    ...(process !== undefined ? { sender: senderKeyResults(results, process) } : {}),
  };
}

/** Validates a parsed suite.json; returns it typed or the issues by path. */
export function validateSuiteJson(value: unknown): { ok: true; suite: SuiteJson } | { ok: false; issues: string[] } {
  const parsed = suiteJsonSchema.safeParse(value);
  if (parsed.success) return { ok: true, suite: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`) };
}
