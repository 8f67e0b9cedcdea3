/**
 * Maps the link's canonical parameters onto `tc qdisc add|change|del dev DEV root netem ...`
 * argument lists, following tc-netem(8): times in µs ("us"), probabilities in percent, rate in
 * bit/s ("bit") with packet overhead, `limit` in packets. Fields netem cannot express are refused
 * with an error naming the field, never approximated silently.
 */
import type { LinkModelParams } from '../../src/link/params.ts';

/** netem cannot express a field of the scenario. */
export class NetemUnsupportedError extends Error {
  readonly code = 'NETEM_UNSUPPORTED_FIELD';
  constructor(
    readonly field: string,
    why: string,
  ) {
    super(`netem backend cannot express "${field}": ${why}; use the userspace backend`);
    this.name = 'NetemUnsupportedError';
  }
}

const pct = (p: number) => `${+(p * 100).toFixed(6)}%`;
const us = (t: number) => `${Math.round(t)}us`;

/** The netem option words for a parameter set (what follows `netem`). Throws NetemUnsupportedError. */
export function netemOptions(p: LinkModelParams): string[] {
  if (p.rateTraceMs && p.rateTraceMs.length > 0) throw new NetemUnsupportedError('rateTraceMs', 'netem has no trace-driven rate');
  if (p.loss?.model === 'trace') throw new NetemUnsupportedError('loss.pattern', 'netem cannot replay a loss trace');
  if (p.queue?.bytes) throw new NetemUnsupportedError('queue.bytes', 'netem limits its queue in packets only');
  if (p.queue?.delayUs) throw new NetemUnsupportedError('queue.delayUs', 'netem has no queue-delay limit');
  if (p.mtu) throw new NetemUnsupportedError('mtu', 'netem does not drop by size');
  if (p.keepOrder && (p.jitterUs ?? 0) > 0 && !p.rateBps) {
    throw new NetemUnsupportedError('keepOrder', 'netem reorders jittered packets unless a rate is set');
  }
  const out: string[] = [];
  if (p.queue?.packets) out.push('limit', String(p.queue.packets));
  const delay = p.delayUs ?? 0;
  const jitter = p.jitterUs ?? 0;
  if (delay > 0 || jitter > 0) {
    out.push('delay', us(delay));
    if (jitter > 0) {
      out.push(us(jitter));
      if (p.delayCorrelation) out.push(pct(p.delayCorrelation));
      // netem's default (no table) is uniform
      if (p.distribution && p.distribution !== 'uniform') out.push('distribution', p.distribution);
    }
  }
  const loss = p.loss;
  if (loss && loss.model === 'random' && loss.p > 0) {
    out.push('loss', 'random', pct(loss.p));
    if (loss.correlation) out.push(pct(loss.correlation));
  } else if (loss?.model === 'gemodel') {
    out.push('loss', 'gemodel', pct(loss.p), pct(loss.r), pct(loss.oneMinusH), pct(loss.oneMinusK));
  } else if (loss?.model === '4state') {
    out.push('loss', 'state', pct(loss.p13), pct(loss.p31), pct(loss.p32), pct(loss.p23), pct(loss.p14));
  }
  for (const [word, chance] of [
    ['duplicate', p.duplicate],
    ['corrupt', p.corrupt],
  ] as const) {
    if (chance && chance.p > 0) {
      out.push(word, pct(chance.p));
      if (chance.correlation) out.push(pct(chance.correlation));
    }
  }
  if (p.reorder && p.reorder.p > 0) {
    if (delay <= 0) throw new NetemUnsupportedError('reorder', 'netem reorders only when a delay is set');
    out.push('reorder', pct(p.reorder.p));
    if (p.reorder.correlation) out.push(pct(p.reorder.correlation));
    if (p.reorder.gap && p.reorder.gap > 1) out.push('gap', String(p.reorder.gap));
  }
  if (p.rateBps && p.rateBps > 0) {
    out.push('rate', `${Math.round(p.rateBps)}bit`);
    if (p.overheadBytes) out.push(String(p.overheadBytes));
  }
  if (p.slot) {
    out.push('slot', us(p.slot.minUs), us(p.slot.maxUs));
    if (p.slot.packets) out.push('packets', String(p.slot.packets));
    if (p.slot.bytes) out.push('bytes', String(p.slot.bytes));
  }
  return out;
}

/**
 * Words that switch off what a `change` does not mention but the kernel would keep: netem's change
 * resets delay, jitter, limit, loss, duplicate, gap and the correlations, but keeps corrupt, rate
 * and slot from before unless told (seen on Debian 6.1 in the guest: `change ... delay 5ms` after
 * a config with them still showed corrupt, rate and slot). A stale reorder is inert: the change
 * resets gap to 0 and netem reorders only with a gap.
 */
export function netemChangeClears(p: LinkModelParams): string[] {
  const out: string[] = [];
  if (!(p.corrupt && p.corrupt.p > 0)) out.push('corrupt', '0%');
  if (!(p.rateBps && p.rateBps > 0)) out.push('rate', '0bit');
  if (!p.slot) out.push('slot', '0us', '0us');
  return out;
}

/** Full `tc` argument list (without the leading "tc") for one device. */
export function netemCommand(action: 'add' | 'change' | 'del', device: string, params?: LinkModelParams, netns?: string): string[] {
  const prefix = netns ? ['-n', netns] : [];
  const base = [...prefix, 'qdisc', action, 'dev', device, 'root'];
  if (action === 'del') return base;
  const p = params ?? {};
  return [...base, 'netem', ...netemOptions(p), ...(action === 'change' ? netemChangeClears(p) : [])];
}

/**
 * True when going from `prev` to `next` needs the qdisc replaced (del + add) rather than changed:
 * a loaded delay distribution table survives `change`, and tc cannot load "uniform" (netem's
 * table-less default), so uniform jitter after normal/pareto would stay shaped like the old table.
 */
export function netemNeedsReplace(prev: LinkModelParams, next: LinkModelParams): boolean {
  const table = (p: LinkModelParams) => ((p.jitterUs ?? 0) > 0 && p.distribution && p.distribution !== 'uniform' ? p.distribution : undefined);
  return table(prev) !== undefined && table(next) === undefined && (next.jitterUs ?? 0) > 0;
}
