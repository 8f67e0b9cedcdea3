/**
 * When to probe, and at what rate: bursts of padding sent above the estimate whose arrival rate
 * tells the estimator what the path can carry, so the estimate reaches the capacity in a few
 * round trips instead of growing by AIMD's 8 %/s. The rules follow libwebrtc's published
 * ProbeController design: at start, two clusters at 3× and 6× the start rate; while each
 * probe's result is at least 70 % of what it probed, probe again at twice the result
 * (exponential probing) up to the maximum; when the sender leaves an application-limited region
 * (its traffic no longer shows whether more would fit), probe at twice the estimate; after a
 * large drop (the estimate falls under 66 % of its value within a second) while in ALR, probe
 * once, within 5 s, at 85 % of the rate before the drop (the drop may have been a burst of
 * cross traffic). Sans-I/O; rates bit/s, times ms.
 */

export interface ProbeControllerOptions {
  startBps: number;
  minBps: number;
  maxBps: number;
  firstScale: number;
  secondScale: number;
  /** further exponential probes at this × the result */
  furtherScale: number;
  /** a result at least this share of the probed rate continues exponential probing */
  furtherThreshold: number;
  /** on ALR exit, probe at this × the estimate (0: off) */
  alrExitScale: number;
  /** a fall below this share of the estimate (within 1 s) counts as a large drop */
  dropRatio: number;
  /** the drop probe happens only within this long of the drop, ms */
  dropProbeWindowMs: number;
  /** the drop probe's rate as a share of the estimate before the drop */
  dropProbeScale: number;
  /** smallest cluster: packets and duration at its rate, ms */
  minPackets: number;
  minDurationMs: number;
}

export const DEFAULT_PROBE_CONTROLLER: Omit<ProbeControllerOptions, 'startBps' | 'minBps' | 'maxBps'> = {
  firstScale: 3,
  secondScale: 6,
  furtherScale: 2,
  furtherThreshold: 0.7,
  alrExitScale: 2,
  dropRatio: 0.66,
  dropProbeWindowMs: 5000,
  dropProbeScale: 0.85,
  minPackets: 5,
  minDurationMs: 15,
};

/** One burst to send: `bytes` at `bps`, at least `minPackets` packets. */
export interface ProbeCluster {
  id: number;
  bps: number;
  bytes: number;
  minPackets: number;
  /** why it was asked for */
  reason: 'initial' | 'exponential' | 'alr-exit' | 'after-drop';
  createdMs: number;
}

export class ProbeController {
  private readonly o: ProbeControllerOptions;
  private nextId = 1;
  private started = false;
  /** the rate an exponential probe is waiting on a result for; undefined: not probing exponentially */
  private exponentialAwaitingBps: number | undefined;
  private lastEstimate: { bps: number; atMs: number } | undefined;
  private drop: { beforeBps: number; atMs: number; probed: boolean } | undefined;
  private readonly pending: ProbeCluster[] = [];

  constructor(options: Pick<ProbeControllerOptions, 'startBps' | 'minBps' | 'maxBps'> & Partial<ProbeControllerOptions>) {
    this.o = { ...DEFAULT_PROBE_CONTROLLER, ...options };
  }

  /** The sender starts sending at `nowMs`: the initial clusters. */
  onStart(nowMs: number): void {
    if (this.started) return;
    this.started = true;
    const first = this.capped(this.o.startBps * this.o.firstScale);
    const second = this.capped(this.o.startBps * this.o.secondScale);
    if (first > this.o.startBps) this.ask(first, 'initial', nowMs);
    if (second > first) this.ask(second, 'initial', nowMs);
    this.exponentialAwaitingBps = second > first ? second : first > this.o.startBps ? first : undefined;
  }

  /** A probe measured `resultBps` for the cluster that probed `probedBps`. */
  onProbeResult(probedBps: number, resultBps: number, nowMs: number): void {
    if (this.exponentialAwaitingBps === undefined || probedBps < this.exponentialAwaitingBps) return;
    // the highest probe of the round has answered: go on while the path keeps up
    if (resultBps >= this.o.furtherThreshold * probedBps && resultBps < this.o.maxBps) {
      const next = this.capped(resultBps * this.o.furtherScale);
      if (next > resultBps) {
        this.ask(next, 'exponential', nowMs);
        this.exponentialAwaitingBps = next;
        return;
      }
    }
    this.exponentialAwaitingBps = undefined;
  }

  /** The estimate after a feedback; `alrSinceMs` = in ALR since (undefined: not in ALR). */
  onEstimate(bps: number, alrSinceMs: number | undefined, nowMs: number): void {
    const last = this.lastEstimate;
    if (last !== undefined && bps < this.o.dropRatio * last.bps && nowMs - last.atMs <= 1000) {
      this.drop = { beforeBps: last.bps, atMs: nowMs, probed: false };
    }
    this.lastEstimate = { bps, atMs: nowMs };
    const drop = this.drop;
    if (drop && !drop.probed && alrSinceMs !== undefined && nowMs - drop.atMs <= this.o.dropProbeWindowMs) {
      drop.probed = true;
      const rate = this.capped(drop.beforeBps * this.o.dropProbeScale);
      if (rate > bps) this.ask(rate, 'after-drop', nowMs);
    }
  }

  /** The sender left ALR at `nowMs` with the estimate at `bps`. */
  onAlrEnd(bps: number, nowMs: number): void {
    if (this.o.alrExitScale <= 0 || bps >= this.o.maxBps) return;
    this.ask(this.capped(bps * this.o.alrExitScale), 'alr-exit', nowMs);
  }

  /** The next cluster to send, oldest first. */
  pollCluster(): ProbeCluster | undefined {
    return this.pending.shift();
  }

  private capped(bps: number): number {
    return Math.min(this.o.maxBps, Math.max(this.o.minBps, bps));
  }

  private ask(bps: number, reason: ProbeCluster['reason'], nowMs: number): void {
    const bytes = Math.ceil((bps * this.o.minDurationMs) / 8000);
    this.pending.push({ id: this.nextId++, bps, bytes, minPackets: this.o.minPackets, reason, createdMs: nowMs });
  }
}
