/**
 * Scenario vocabulary of the link (`link:` and `timeline:`), validated by zod. Fields may be
 * given once for both directions or per direction under `up` (snd → rcv) / `down`; per-direction
 * values override the shared ones. Two vocabularies map onto the same model (src/link/params.ts):
 *  - netem's knobs: delay, jitter, delay_correlation, distribution, loss (random | gemodel |
 *    state | trace), duplicate, corrupt, reorder {p, correlation, gap}, slot, rate, overhead,
 *    plus queue {packets, bytes, delay}, rate_trace (Mahimahi file), mtu, keep_order;
 *  - libwebrtc's BuiltInNetworkBehaviorConfig: queue_length_packets, queue_delay_ms (the delay
 *    added on top of the capacity-induced one), delay_standard_deviation_ms (normal jitter),
 *    link_capacity_kbps, loss_percent, avg_burst_loss_length (Gilbert-Elliott with p =
 *    L / (1 - L) / B, r = 1 / B, as libwebrtc's SimulatedNetwork does), allow_reordering
 *    (default false there: jitter keeps order), packet_overhead.
 * Giving the same knob in both vocabularies is an error naming both fields.
 * Units: durations "40ms" / "500us" / "1.5s" (numbers: ms); percentages "1%" (numbers: percent);
 * rates "10mbit" (numbers: bit/s).
 */
import { z } from 'zod';
import { parseDurationUs, parsePercent, parseRateBps } from './units.ts';

type Parser = (value: number | string) => number | string;

function unit(parse: Parser) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const r = parse(value);
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r });
      return z.NEVER;
    }
    return r;
  });
}

/** µs */
const duration = unit(parseDurationUs);
/** 0..1 */
const percent = unit(parsePercent);
/** bit/s */
const rate = unit(parseRateBps);
const count = z.number().int('must be a whole number').min(0, 'must be ≥ 0');

const scalarTo = (key: string) => (v: unknown) => (typeof v === 'number' || typeof v === 'string' ? { [key]: v } : v);

const chance = z.preprocess(scalarTo('p'), z.object({ p: percent, correlation: percent.optional() }).strict());

const loss = z.preprocess(
  (v) => (typeof v === 'number' || typeof v === 'string' ? { model: 'random', p: v } : v),
  z.discriminatedUnion('model', [
    z.object({ model: z.literal('random'), p: percent, correlation: percent.optional() }).strict(),
    z
      .object({ model: z.literal('gemodel'), p: percent, r: percent.optional(), '1-h': percent.optional(), '1-k': percent.optional() })
      .strict(),
    z
      .object({
        model: z.enum(['state', '4state']),
        p13: percent,
        p31: percent.optional(),
        p32: percent.optional(),
        p23: percent.optional(),
        p14: percent.optional(),
      })
      .strict(),
    z
      .object({ model: z.literal('trace'), file: z.string().optional(), pattern: z.string().optional() })
      .strict()
      .refine((t) => (t.file === undefined) !== (t.pattern === undefined), 'give exactly one of file and pattern'),
  ]),
);

/** The fields of one direction (or of both, at the top of `link:`). */
export const linkDirectionSchema = z
  .object({
    delay: duration.optional(),
    jitter: duration.optional(),
    delay_correlation: percent.optional(),
    distribution: z.enum(['uniform', 'normal', 'pareto', 'paretonormal']).optional(),
    keep_order: z.boolean().optional(),
    loss: loss.optional(),
    duplicate: chance.optional(),
    corrupt: chance.optional(),
    reorder: z.preprocess(scalarTo('p'), z.object({ p: percent, correlation: percent.optional(), gap: count.min(1).optional() }).strict()).optional(),
    slot: z.object({ min: duration, max: duration.optional(), packets: count.optional(), bytes: count.optional() }).strict().optional(),
    rate: rate.optional(),
    overhead: z.number().int('must be a whole number of bytes').optional(),
    rate_trace: z.string().optional(),
    queue: z.object({ packets: count.optional(), bytes: count.optional(), delay: duration.optional() }).strict().optional(),
    mtu: count.min(68, 'must be ≥ 68 bytes').optional(),
    // libwebrtc names
    queue_length_packets: count.optional(),
    queue_delay_ms: z.number().min(0, 'must be ≥ 0 (ms)').optional(),
    delay_standard_deviation_ms: z.number().min(0, 'must be ≥ 0 (ms)').optional(),
    link_capacity_kbps: z.number().min(0, 'must be ≥ 0 (kbit/s)').optional(),
    loss_percent: z.number().min(0, 'must be ≥ 0 %').max(100, 'must be ≤ 100 %').optional(),
    avg_burst_loss_length: z.number().optional(),
    allow_reordering: z.boolean().optional(),
    packet_overhead: z.number().int().optional(),
  })
  .strict();

/** `link:` */
export const linkSchema = linkDirectionSchema.extend({
  backend: z.enum(['userspace', 'netem', 'auto']).optional(),
  /** seed of the up direction's PRNG (down: seed + 1); default from the run's seed */
  seed: z.number().int().min(0).optional(),
  up: linkDirectionSchema.optional(),
  down: linkDirectionSchema.optional(),
});

/** One `timeline:` entry: at a time from the start of the run, set some fields. */
export const linkTimelineEntrySchema = z
  .object({
    at: duration,
    set: linkDirectionSchema.extend({ up: linkDirectionSchema.optional(), down: linkDirectionSchema.optional() }),
  })
  .strict();

export const linkTimelineSchema = z.array(linkTimelineEntrySchema);

/** A ready-made profile file (scenarios/links/*.yaml). */
export const linkProfileSchema = z
  .object({
    name: z.string(),
    /** where the numbers come from */
    source: z.string().min(1, 'a profile states its source'),
    description: z.string().optional(),
    link: linkSchema,
    timeline: linkTimelineSchema.optional(),
  })
  .strict();

export type LinkDirectionFields = z.output<typeof linkDirectionSchema>;
export type LinkFields = z.output<typeof linkSchema>;
export type LinkTimelineEntry = z.output<typeof linkTimelineEntrySchema>;

/** JSON Schema of `link:` for editors (input side: units as written). */
export function linkJsonSchema(): object {
  return z.toJSONSchema(linkSchema, { io: 'input', unrepresentable: 'any' });
}
