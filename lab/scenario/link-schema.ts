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
 * Units: durations "40ms" / "500us" / "1.5s" (a bare number is refused: write the unit);
 * percentages "1%" (numbers: percent); rates "10mbit" (numbers: bit/s).
 * Limits (LINK_LIMITS, each named in its message): delay, jitter, slot and queue delay ≤ 10 s,
 * timeline times ≤ 24 h (and ≤ the run's duration, checked at load), rate ≤ 100 Gbit/s, queues
 * ≤ 1,000,000 packets / 1 GiB, mtu ≤ 65535 bytes, overhead ≤ 1000 bytes.
 */
import { z } from 'zod';
import { parseDurationUs, parsePercent, parseRateBps } from './units.ts';

type Parser = (value: number | string) => number | string;

/** Upper limits of the link's fields. */
export const LINK_LIMITS = {
  /** delay, jitter, slot times, queue delay: µs (10 s) */
  delayUs: 10_000_000,
  /** timeline `at`: µs (24 h; the run's duration bounds it further) */
  timelineUs: 24 * 3_600_000_000,
  /** rate: bit/s (100 Gbit/s) */
  rateBps: 100e9,
  /** queue and slot sizes, packets */
  packets: 1_000_000,
  /** queue and slot sizes, bytes (1 GiB) */
  bytes: 2 ** 30,
  /** per-packet overhead, bytes */
  overheadBytes: 1000,
} as const;

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

/** µs, ≤ 10 s */
const duration = unit((v) => parseDurationUs(v, LINK_LIMITS.delayUs));
/** µs from the media start, ≤ 24 h */
const timelineTime = unit((v) => parseDurationUs(v, LINK_LIMITS.timelineUs));
/** 0..1 */
const percent = unit(parsePercent);
/** bit/s, ≤ 100 Gbit/s */
const rate = unit((v) => {
  const bps = parseRateBps(v);
  return typeof bps === 'number' && bps > LINK_LIMITS.rateBps ? 'must be at most 100gbit' : bps;
});
const count = z.number().int('must be a whole number').min(0, 'must be ≥ 0');
const packets = count.max(LINK_LIMITS.packets, `must be at most ${LINK_LIMITS.packets} packets`);
const bytes = count.max(LINK_LIMITS.bytes, 'must be at most 1 GiB (1073741824 bytes)');
const overhead = z.number().int('must be a whole number of bytes').min(0, 'must be ≥ 0').max(LINK_LIMITS.overheadBytes, `must be at most ${LINK_LIMITS.overheadBytes} bytes`);
const ms10s = z.number().min(0, 'must be ≥ 0 (ms)').max(LINK_LIMITS.delayUs / 1000, 'must be at most 10000 (ms, 10 s)');

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
    reorder: z.preprocess(scalarTo('p'), z.object({ p: percent, correlation: percent.optional(), gap: packets.min(1).optional() }).strict()).optional(),
    slot: z.object({ min: duration, max: duration.optional(), packets: packets.optional(), bytes: bytes.optional() }).strict().optional(),
    rate: rate.optional(),
    overhead: overhead.optional(),
    rate_trace: z.string().optional(),
    queue: z.object({ packets: packets.optional(), bytes: bytes.optional(), delay: duration.optional() }).strict().optional(),
    mtu: count.min(68, 'must be ≥ 68 bytes').max(65535, 'must be at most 65535 bytes').optional(),
    // libwebrtc names
    queue_length_packets: packets.optional(),
    queue_delay_ms: ms10s.optional(),
    delay_standard_deviation_ms: ms10s.optional(),
    link_capacity_kbps: z.number().min(0, 'must be ≥ 0 (kbit/s)').max(LINK_LIMITS.rateBps / 1000, 'must be at most 100000000 (kbit/s, 100 Gbit/s)').optional(),
    loss_percent: z.number().min(0, 'must be ≥ 0 %').max(100, 'must be ≤ 100 %').optional(),
    avg_burst_loss_length: z.number().max(LINK_LIMITS.packets, `must be at most ${LINK_LIMITS.packets} packets`).optional(),
    allow_reordering: z.boolean().optional(),
    packet_overhead: overhead.optional(),
  })
  .strict();

/** `link:` */
export const linkSchema = linkDirectionSchema.extend({
  backend: z.enum(['userspace', 'netem', 'auto']).optional(),
  /** seed of the up direction's PRNG (down: seed + 1); default from the run's seed */
  seed: z.number().int().min(0).optional(),
  /** userspace backend: how the data-plane threads are scheduled (realtime: SCHED_FIFO 50 when root, the default; normal: the kernel's default) */
  scheduling: z.enum(['realtime', 'normal']).optional().describe("userspace link: 'realtime' (default) runs the data-plane threads SCHED_FIFO 50 when root, so the run's own load does not delay releases; 'normal' leaves them to the kernel's default scheduler"),
  up: linkDirectionSchema.optional(),
  down: linkDirectionSchema.optional(),
});

/** One `timeline:` entry: at a time from the start of the run, set some fields. */
export const linkTimelineEntrySchema = z
  .object({
    at: timelineTime,
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
