/**
 * results.json: the machine-readable outcome of one run, versioned (`schemaVersion`). The zod
 * schema is the source of truth; `schemas/results.schema.json` is generated from it by
 * `scripts/gen-schemas.ts`. Units: times ms, bitrates bits/s, ratios 0..1, sizes bytes.
 */
import { z } from 'zod';

/**
 * Current results.json schema version; bump on any incompatible change (2: `link`, 3: `recovery`,
 * `protection`). Fields added since v3 are optional, so v3 files written before still validate:
 * `summary.frames.g2gFrames`, `summary.frames.unreadableRatio`, `warnings`, `link.directions.*.timing`.
 */
export const RESULTS_SCHEMA_VERSION = 3;

const count = z.number().int().nonnegative();
const nullableMs = z.number().nullable();

/** Distribution summary (nearest-rank percentiles), ms; nulls when count is 0. */
export const distributionSchema = z
  .object({
    count,
    min: nullableMs,
    mean: nullableMs,
    p50: nullableMs,
    p95: nullableMs,
    p99: nullableMs,
    max: nullableMs,
  })
  .strict();

const tallySchema = z.object({ count, bytes: count }).strict();
const talliesSchema = z.object({ media: tallySchema, rtx: tallySchema, fec: tallySchema, padding: tallySchema }).strict();

/** Stage breakdown: one distribution per stage (see lab/metrics/stages.ts). */
export const stagesSchema = z
  .object({
    render: distributionSchema,
    capture: distributionSchema,
    convert: distributionSchema,
    encode: distributionSchema,
    pacing: distributionSchema,
    network: distributionSchema,
    assembly: distributionSchema,
    jitterBuffer: distributionSchema,
    decode: distributionSchema,
    marker: distributionSchema,
  })
  .strict();

/** Summary metrics of a run (what budgets are evaluated against). */
export const summarySchema = z
  .object({
    g2g: distributionSchema.describe('glass-to-glass latency, ms'),
    stages: stagesSchema,
    frames: z
      .object({
        captured: count,
        sent: count,
        senderDropped: count,
        received: count,
        displayed: count,
        neverDisplayed: count,
        neverDisplayedByReason: z.record(z.string(), count),
        unreadableMarkers: count.describe('displayed frames whose marker failed its check (no latency for them)'),
        g2gFrames: count.optional().describe('displayed frames with a readable marker: the frames g2g is computed over'),
        unreadableRatio: z.number().min(0).max(1).nullable().optional().describe('unreadableMarkers / displayed, 0..1; null when nothing was displayed'),
        outOfOrder: count,
        duplicates: count,
        unmatched: count,
        captureMismatches: count,
      })
      .strict(),
    fps: z.number().nonnegative().nullable().describe('displayed frames per second'),
    freezes: z
      .object({ count, totalDurationMs: z.number().nonnegative(), maxDurationMs: z.number().nonnegative().nullable() })
      .strict(),
    packets: z
      .object({ sent: talliesSchema, received: talliesSchema, recovered: z.object({ fec: count, rtx: count }).strict() })
      .strict(),
    residualLoss: z.number().min(0).max(1).nullable().describe('media packets neither received nor recovered / sent, 0..1'),
    bitrate: z
      .object({
        meanBps: z.number().nonnegative().nullable(),
        mediaMeanBps: z.number().nonnegative().nullable(),
        maxBinBps: z.number().nonnegative().nullable(),
        binMs: z.number().positive(),
      })
      .strict(),
    feedback: z
      .object({
        byKind: z.record(z.string(), z.object({ sent: count, received: count }).strict()),
        nackedSeqs: count,
        keyframeRequests: count,
        keyframeRequestsReceived: count,
      })
      .strict(),
    records: z
      .object({
        invalid: count.describe('record objects of no known kind'),
        badLines: count.describe('lines that were not JSON objects'),
        truncatedFiles: z.array(z.string()).describe('record files whose last line was cut short'),
      })
      .strict(),
  })
  .strict();

const nullableNumber = z.number().nullable();
const reasonCounts = z.record(z.string(), count).describe('packets dropped by the link, by reason (loss, queue, mtu, shutdown, write-error)');

/** Configured values of one direction for one timeline segment. */
const configuredLinkSchema = z
  .object({
    delayMs: z.number(),
    jitterMs: z.number(),
    loss: nullableNumber.describe("model's long-run mean loss, 0..1 (null: 4-state)"),
    rateBps: nullableNumber.describe('null = unlimited'),
    queuePackets: nullableNumber.describe('drop-tail limit, packets; null = none'),
  })
  .strict();

/**
 * The userspace data plane's own timing in one direction (lab/metrics/link-timing.ts); absent where
 * no fate record has a wire time (netem, results written before it existed).
 */
const linkTimingSchema = z
  .object({
    wirePackets: count.describe('released packets (duplicates included) with a wire time'),
    latenessMs: z
      .object({ p50: z.number(), p99: z.number(), max: z.number() })
      .strict()
      .describe('written to the far device − scheduled release, ms (negative kept as is)'),
    lateRatio: z.number().min(0).max(1).describe('share of wirePackets later than lateToleranceMs'),
    lateToleranceMs: z.number().nonnegative(),
    delayErrorMs: z
      .object({ count, p50: nullableNumber, p99: nullableNumber })
      .strict()
      .describe('(written − entered) − configured delay, ms, over first copies entered after media start in segments whose delay alone sets the release (no jitter, rate, slot, reorder)'),
    readBacklogMs: z
      .object({ count, p50: nullableNumber, p99: nullableNumber, max: nullableNumber })
      .strict()
      .optional()
      .describe("the sender's send record → the data plane read the packet from the TUN device, ms (first copies of the sender's RTP packets): SRTP, socket, kernel and any backlog in front of the link; absent without read times"),
  })
  .strict();

/** One direction of the link: totals and configured vs measured per timeline segment. */
const linkDirectionSchema = z
  .object({
    packets: count,
    delivered: count,
    dropped: count,
    droppedByReason: reasonCounts,
    writeErrors: count.describe('packets the link released but could not write to the far device (fate "write-error"; also in dropped)'),
    duplicates: count,
    reordered: count,
    segments: z.array(
      z
        .object({
          fromMs: nullableNumber.describe('CLOCK_MONOTONIC ms the parameter set took effect; null for the initial one'),
          configured: configuredLinkSchema,
          measured: z
            .object({
              packets: count,
              delayMeanMs: nullableNumber,
              delayP50Ms: nullableNumber,
              loss: nullableNumber.describe('dropped for "loss" / entered, 0..1'),
              rateBps: nullableNumber.describe('delivered bits/s (null for the open-ended first/last segment bounds)'),
              queueMaxPackets: count.describe('most packets held by the link at once'),
            })
            .strict(),
        })
        .strict(),
    ),
    timing: linkTimingSchema.optional().describe("the userspace data plane's release lateness and delay error; absent without wire times"),
  })
  .strict();

/** The emulated link of a run (null in results for loopback runs). */
export const linkSummarySchema = z
  .object({
    backend: z.string().nullable(),
    fateLog: z.boolean().describe('a per-packet fate log (link.ndjson) was written'),
    changes: z.array(
      z.object({ index: count, scheduledMs: nullableNumber, appliedMs: nullableNumber, lateMs: nullableNumber.describe('applied - scheduled, ms') }).strict(),
    ),
    directions: z.object({ up: linkDirectionSchema, down: linkDirectionSchema }).strict(),
    mediaFates: z
      .object({
        sent: count.describe('media packets the sender sent'),
        loggedOnce: count.describe('of those, found exactly once in the fate log'),
        missing: count,
        repeated: count,
        delivered: count,
        droppedByReason: reasonCounts,
        complete: z.boolean().describe('every media packet sent appears exactly once'),
      })
      .strict()
      .nullable(),
  })
  .strict();

/** One budget and its verdict. */
export const budgetResultSchema = z
  .object({
    expression: z.string(),
    metric: z.string(),
    op: z.enum(['<', '<=', '>', '>=', '==']),
    limit: z.object({ value: z.number(), unit: z.string() }).strict().describe('as written'),
    /** limit and measured value in the metric's base unit */
    limitBase: z.number(),
    measured: z.number().nullable(),
    baseUnit: z.string(),
    pass: z.boolean(),
    message: z.string(),
  })
  .strict();

/** Environment the run had (free-form maps are strings). */
export const environmentSchema = z
  .object({
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
    kernel: z.string().optional(),
    hostname: z.string().optional(),
    cpus: z.string().optional(),
    versions: z.record(z.string(), z.string()),
    devices: z.array(z.string()),
    encoders: z.array(z.string()),
    backends: z.record(z.string(), z.string()),
    skipped: z.array(z.object({ what: z.string(), why: z.string() }).strict()),
  })
  .strict();

/**
 * Something about the run that makes a figure less trustworthy without failing a budget, e.g.
 * `MARKERS_UNREADABLE` (lab/metrics/warnings.ts). `code` is stable; `message` is for people.
 */
export const runWarningSchema = z.object({ code: z.string().min(1), message: z.string() }).strict();

/** How the run ended. */
export const outcomeSchema = z
  .object({ status: z.enum(['completed', 'failed', 'interrupted']), message: z.string().optional() })
  .strict();

/** Counts of one recovery bin or the totals: what became of the media packets the link dropped. */
const recoveryCountsSchema = z
  .object({
    dropped: count.describe('media packets whose first transmission the link dropped'),
    fec: count.describe('recovered by FEC in time'),
    rtx: count.describe('recovered by RTX in time'),
    tooLate: count.describe('recovered (by FEC or RTX) after their frame was given up'),
    never: count.describe('never recovered'),
  })
  .strict();

/**
 * Loss recovery computed from wire truth: the link's fate log joined with the sender's and
 * receiver's records (lab/metrics/recovery.ts). Null for runs without a fate log.
 */
export const recoverySummarySchema = z
  .object({
    mode: z.string().describe('protection mode of the run: none, nack, fec, hybrid'),
    fecScheme: z.string().nullable().describe('flexfec or ulpfec; null without FEC'),
    maskType: z.string().nullable().describe('random or bursty; null without FEC'),
    mediaPacketsSent: count.describe('distinct media packets the sender sent (first transmissions)'),
    totals: recoveryCountsSchema,
    /** each of these is of totals.dropped; null when nothing was dropped */
    fecRecoveryRatio: z.number().min(0).max(1).nullable().describe('recovered by FEC / media packets dropped by the link'),
    rtxRecoveryRatio: z.number().min(0).max(1).nullable().describe('recovered by RTX / media packets dropped by the link'),
    tooLateRatio: z.number().min(0).max(1).nullable(),
    neverRatio: z.number().min(0).max(1).nullable(),
    residualLoss: z.number().min(0).max(1).nullable().describe('media packets never usable at the receiver (never + too late) / media packets sent'),
    fecOverhead: z.number().nonnegative().nullable().describe('FEC bytes / media bytes sent'),
    rtxOverhead: z.number().nonnegative().nullable().describe('RTX bytes / media bytes sent'),
    fecRecoverable: count.nullable().describe('dropped media packets the FEC masks could recover from what the link delivered (from the fec-block records, decoder-independent); null without FEC'),
    rateTable: z
      .object({
        source: z.string().describe('"libwebrtc" or the table file the scenario named'),
        rows: count,
        comparedCells: count,
        differingCells: count.describe("cells whose factor differs from libwebrtc's table"),
        maxAbsDiff: count.describe('largest difference from libwebrtc, 1/255'),
        meanDiff: z.number().describe('mean difference from libwebrtc, 1/255 (> 0: more protection)'),
      })
      .strict()
      .nullable()
      .describe('the FEC rate table the controller used and how it differs from libwebrtc\'s; null when FEC rates were fixed or FEC was off'),
    fecPacketsSent: count,
    fecPacketsDropped: count.describe('FEC packets the link dropped'),
    nacksSent: count.describe('NACK messages the receiver sent'),
    nackedSeqsSent: count.describe('sequence numbers asked for, repeats included'),
    nacksReceived: count.describe('NACK messages that reached the sender'),
    rtxSent: count,
    rtxDropped: count.describe('RTX packets the link dropped'),
    rtxRefused: z.record(z.string(), count).describe('NACKed packets the sender did not resend, by reason'),
    spuriousRtx: count.describe('RTX packets that arrived for media already received or recovered'),
    nackGivenUp: count.describe('packets the NACK requester gave up on'),
    lossToRtxMs: distributionSchema.describe('link drop of the first transmission → RTX packet arrived at the receiver, ms'),
    nackToRtxMs: distributionSchema.describe('first NACK naming the packet sent → its RTX arrived at the receiver, ms'),
    keyframeRequests: count.describe('PLI/FIR the receiver sent'),
    freezes: count,
    /** glass-to-glass of displayed frames by how their packets arrived */
    g2gByPath: z
      .object({
        clean: distributionSchema.describe('no packet of the frame was lost'),
        fec: distributionSchema.describe('at least one packet recovered by FEC, none by RTX'),
        rtx: distributionSchema.describe('at least one packet recovered by RTX'),
      })
      .strict(),
    /** the same counts per time bin, by the time the link dropped the packet */
    overTime: z.object({ binMs: z.number().positive(), startS: z.array(z.number()), bins: z.array(recoveryCountsSchema) }).strict(),
  })
  .strict();

/** How well the sender tracked the link's capacity (lab/metrics/congestion.ts); null without a link fate log. */
export const congestionSummarySchema = z
  .object({
    mode: z.enum(['googcc', 'libwebrtc', 'fixed']).describe("'googcc' when the lab's sender wrote estimates (bwe events), 'libwebrtc' for the Chromium sender, else 'fixed'"),
    estimates: count,
    segments: z.array(
      z
        .object({
          fromS: nullableNumber,
          capacityBps: nullableNumber.describe('the up direction\'s configured rate; null = unlimited'),
          carriedBps: nullableNumber,
          utilisation: nullableNumber.describe('carried ÷ configured rate'),
          crossCarriedBps: nullableNumber.optional().describe('of carriedBps, what competing flows (crossTraffic, TCP) carried'),
          queueDelayMs: z.object({ p50: nullableNumber, p95: nullableNumber }).strict().describe('release − entry − configured delay (queueing and serialization), ms'),
          queueDrops: count,
        })
        .strict(),
    ),
    adaptations: z.array(
      z
        .object({
          atS: z.number(),
          fromBps: nullableNumber,
          toBps: z.number(),
          adaptMs: nullableNumber.describe('change → first 500 ms window with entries ≤ 1.1 × the new rate and queueing delay p95 under settledQueueMs; null = never'),
          overshootLoss: nullableNumber.describe('queue drops ÷ packets entered until settled'),
        })
        .strict(),
    ),
    rises: z
      .array(
        z
          .object({
            atS: z.number(),
            fromBps: nullableNumber,
            toBps: z.number(),
            reach90Ms: nullableNumber.describe('change → end of the first 500 ms window in which the link carried ≥ 90 % of the new rate; null = never'),
          })
          .strict(),
      )
      .optional()
      .describe('capacity rises; absent in results written before it existed'),
    settledQueueMs: z.number(),
    worstAdaptMs: nullableNumber,
    minUtilisation: nullableNumber,
    worstQueueDelayP95Ms: nullableNumber,
    maxOvershootLoss: nullableNumber,
    worstReach90Ms: nullableNumber.optional().describe('the slowest rise to 90 % of the new capacity; null when none or never reached'),
  })
  .strict();

/** The Chromium receiver's counters and the lab's, side by side (lab/metrics/chromium.ts). */
export const chromiumSummarySchema = z
  .object({
    browser: z.string().nullable(),
    clockMappingErrorMs: nullableNumber.describe('bound of the page clock → CLOCK_MONOTONIC mapping error, ms'),
    rvfc: z
      .object({
        calledBack: count.describe('frames requestVideoFrameCallback called the page for'),
        markersRead: count,
        markerReadRatio: nullableNumber,
        presentedNotCalledBack: count.describe('frames presented between two callbacks (rvfc fires at most once per vsync)'),
        decodedNotPresented: count.nullable().describe('framesDecoded − the last callback\'s presentedFrames: decoded frames the renderer never presented (late, superseded)'),
        g2gToExpectedDisplayMs: distributionSchema.describe('capture → rvfc expectedDisplayTime, ms'),
      })
      .strict(),
    inbound: z.record(z.string(), z.number()).nullable().describe("the last getStats inbound-rtp sample's counters, as libwebrtc names them"),
    jitterBufferMsMean: nullableNumber,
    decodeMsMean: nullableNumber,
    statsSamples: count,
    browserCpuRunningMs: nullableNumber.optional().describe("CPU time of Chromium's whole process tree from the run's start to its stop, ms"),
    crossChecks: z.array(
      z
        .object({
          counter: z.string(),
          chromium: nullableNumber,
          lab: nullableNumber,
          labSource: z.string(),
          tolerance: z.object({ below: z.number(), above: z.number(), why: z.string() }).strict(),
          agree: z.boolean().nullable().describe('null: one side has no number'),
        })
        .strict(),
    ),
    disagreements: z.array(z.string()),
  })
  .strict();

/** How a simulated run was made (`glasslab sim`): virtual time, no processes, no encoder or decoder. */
export const simulationSchema = z
  .object({
    frames: z.string().describe('where the frame sizes and keyframes came from'),
    link: z.string().describe('what decided each packet\'s fate'),
    decodeMs: z.number().nonnegative().describe('the fixed decode time, ms'),
    virtualMs: z.number().nonnegative(),
    wallMs: z.number().nonnegative(),
    speedup: z.number().nonnegative().describe('virtual time / wall time'),
  })
  .strict();

/** The whole results.json document. */
export const resultsSchema = z
  .object({
    schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
    scenario: z.string().min(1),
    runId: z.string().min(1),
    start: z.object({ monotonicMs: z.number().nullable(), wallClock: z.iso.datetime({ offset: true }).optional() }).strict(),
    end: z.object({ monotonicMs: z.number().nullable(), wallClock: z.iso.datetime({ offset: true }).optional() }).strict(),
    outcome: outcomeSchema,
    summary: summarySchema,
    link: linkSummarySchema.nullable().describe('the emulated link; null for loopback runs'),
    recovery: recoverySummarySchema.nullable().describe('loss recovery from wire truth; null without a link fate log'),
    budgets: z.array(budgetResultSchema),
    budgetsPassed: z.boolean(),
    warnings: z.array(runWarningSchema).optional().describe('what makes a figure of this run less trustworthy; absent in files written before it existed'),
    environment: environmentSchema,
    congestion: congestionSummarySchema.nullable().optional().describe('capacity tracking of the up direction; null without a link fate log; absent in files written before it existed'),
    simulation: simulationSchema.optional().describe('present when the run was simulated in virtual time (glasslab sim)'),
    chromium: chromiumSummarySchema.optional().describe('present when Chromium received: libwebrtc\'s counters beside the lab\'s'),
    relay: z
      .array(
        z
          .object({
            index: count,
            url: z.string(),
            protocol: z.string(),
            endpoint: z.string().optional().describe('the endpoint when not the protocol\'s default (node-media-server, chromium)'),
            forwarded: nullableNumber,
            written: nullableNumber,
            dropped: nullableNumber,
            reconnects: nullableNumber,
            state: z.string().nullable(),
            lastError: z.string().nullable(),
            decoded: count,
            markersRead: count,
            g2gMs: z.object({ p50: nullableNumber, p95: nullableNumber }).strict(),
            addedMs: z.object({ p50: nullableNumber, p95: nullableNumber, frames: count }).strict().describe('endpoint arrival − the lab receiver\'s marker read of the same frame'),
            stagesMs: z
              .object({ toEndpointP50: nullableNumber, inEndpointP50: nullableNumber, directInReceiverP50: nullableNumber, frames: count })
              .strict()
              .optional()
              .describe('WebRTC endpoints: p50 of the way there (last packet at the endpoint − at the lab receiver) and of the endpoint\'s own part (marker read − its last packet), the direct path\'s own part beside it'),
            forwarderP50Ms: nullableNumber.optional().describe('the forwarder\'s own part, p50: WHIP, a frame\'s last packet in → out; muxer targets, write → av_write_frame returned'),
            webrtc: z
              .object({
                packets: nullableNumber, sessions: nullableNumber, nacksReceived: nullableNumber, retransmitted: nullableNumber, keyframeRequests: nullableNumber,
                forwarderMs: z.object({ p50: nullableNumber, p95: nullableNumber, max: nullableNumber }).strict().describe('the forwarder\'s own part per frame: its last packet in → that packet out'),
              })
              .strict()
              .optional()
              .describe('WHIP targets: packets passed through, WHIP sessions, the endpoint\'s NACKs and the RTX that answered them, its keyframe requests'),
            reconnect: z
              .object({ killedMs: z.number(), restartedMs: nullableNumber, firstFrameAfterMs: nullableNumber })
              .strict()
              .optional()
              .describe('the endpoint was killed and restarted: from its restart to the first frame it decoded again'),
          })
          .strict(),
      )
      .optional()
      .describe('relay targets (lab/metrics/relay.ts); absent without a relay'),
    relayHop: z
      .object({
        up: z.object({ offered: count, dropped: count }).strict(),
        down: z.object({ offered: count, dropped: count }).strict(),
        flows: z.array(z.object({ proto: z.string(), port: count, rtpSsrcs: z.array(z.number().int().min(0)), offered: count, dropped: count }).strict()),
      })
      .strict()
      .optional()
      .describe('the relay\'s target hop from its fate log (relay-link.ndjson, lab/metrics/relay-hop.ts): per direction and per flow towards the endpoints, offered and dropped; absent without relay.link'),
    generatedBy: z.string(),
  })
  .strict();

/** results.json content. */
export type Results = z.infer<typeof resultsSchema>;
/** The congestion section. */
export type CongestionSummary = z.infer<typeof congestionSummarySchema>;
/** The Chromium receiver section. */
export type ChromiumSummary = z.infer<typeof chromiumSummarySchema>;
/** The simulation section. */
export type Simulation = z.infer<typeof simulationSchema>;
/** Summary metrics. */
export type RunSummary = z.infer<typeof summarySchema>;
/** The recovery section. */
export type RecoverySummary = z.infer<typeof recoverySummarySchema>;
/** The link section. */
export type LinkSummary = z.infer<typeof linkSummarySchema>;
/** One distribution summary. */
export type Distribution = z.infer<typeof distributionSchema>;
/** One evaluated budget. */
export type BudgetResult = z.infer<typeof budgetResultSchema>;
/** Environment summary. */
export type Environment = z.infer<typeof environmentSchema>;
/** One warning about the run. */
export type RunWarning = z.infer<typeof runWarningSchema>;
/** Run outcome. */
export type Outcome = z.infer<typeof outcomeSchema>;

/** Validation failure of a results document, with readable issue lines. */
export class ResultsValidationError extends Error {
  readonly code = 'RESULTS_INVALID';
  constructor(readonly issues: string[]) {
    super(`results.json does not match schema v${RESULTS_SCHEMA_VERSION}:\n  ${issues.join('\n  ')}`);
    this.name = 'ResultsValidationError';
  }
}

/** Validates a parsed results document; returns it typed or an error listing each issue by path. */
export function validateResults(value: unknown): { ok: true; results: Results } | { ok: false; error: ResultsValidationError } {
  const parsed = resultsSchema.safeParse(value);
  if (parsed.success) return { ok: true, results: parsed.data };
  const issues = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  return { ok: false, error: new ResultsValidationError(issues) };
}
