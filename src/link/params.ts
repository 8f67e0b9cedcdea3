/**
 * The canonical parameters of one direction of the link, as the native LinkModel takes them.
 * Built from a scenario by lab/scenario/link-schema.ts; also accepted directly by tests.
 * Times are µs, probabilities 0..1, rates bits/s, sizes bytes.
 */

/** Jitter distributions, as netem names them. */
export type JitterDistribution = 'uniform' | 'normal' | 'pareto' | 'paretonormal';

/** Loss models: netem's random (with correlation), gemodel, 4-state, and a replayed per-packet trace. */
export type LossParams =
  | { model: 'none' }
  | { model: 'random'; p: number; correlation?: number }
  /** netem `gemodel p r 1-h 1-k`: p good→bad, r bad→good, loss probability in bad (1-h) and good (1-k) */
  | { model: 'gemodel'; p: number; r: number; oneMinusH: number; oneMinusK: number }
  /** netem `state p13 p31 p32 p23 p14` */
  | { model: '4state'; p13: number; p31: number; p32: number; p23: number; p14: number }
  /** 1 = lose, 0 = pass, one entry per packet offered, looping */
  | { model: 'trace'; pattern: number[] };

/** A probability with netem's correlation to the previous draw (0..1). */
export interface CorrelatedChance {
  p: number;
  correlation?: number;
}

export interface LinkModelParams {
  /** constant one-way delay, µs */
  delayUs?: number;
  /** jitter scale, µs (uniform: ± this; others: standard deviation) */
  jitterUs?: number;
  /** 0..1 */
  delayCorrelation?: number;
  distribution?: JitterDistribution;
  /** true: jitter never reorders (release = max(computed, previous release)) */
  keepOrder?: boolean;
  loss?: LossParams;
  duplicate?: CorrelatedChance;
  /** flips one random bit of the packet */
  corrupt?: CorrelatedChance;
  /** netem `reorder P gap G`: every G-th packet (at least) may skip the delay with probability P */
  reorder?: CorrelatedChance & { gap?: number };
  /** netem `slot min max packets N bytes M`: releases only at slot boundaries, µs */
  slot?: { minUs: number; maxUs: number; packets?: number; bytes?: number };
  /** bottleneck rate, bits/s; 0 or absent = unlimited */
  rateBps?: number;
  /** bytes added to every packet for rate and queue accounting (e.g. 28 for IPv4+UDP framing elsewhere) */
  overheadBytes?: number;
  /** Mahimahi trace: ms of each 1500-byte delivery opportunity, non-decreasing, looping */
  rateTraceMs?: number[];
  /** drop-tail limits of the bottleneck queue (of the delay queue when there is no rate) */
  queue?: { packets?: number; bytes?: number; delayUs?: number };
  /** largest IP packet the link carries, bytes; larger ones are dropped (fate "mtu") */
  mtu?: number;
}

/** The two directions: up = sender namespace → receiver namespace. */
export type LinkDirection = 'up' | 'down';

export interface DuplexLinkParams {
  up: LinkModelParams;
  down: LinkModelParams;
}
