/**
 * The probing side of congestion control in one sans-I/O unit for the send pipeline: the ALR
 * detector watching what the sender sends against its estimate, the probe controller deciding
 * when to probe and at what rate, and the probe-result estimator measuring each cluster from the
 * feedback. The pipeline builds and paces the packets; this unit says which cluster to send, is
 * told each probe packet's send, and turns feedback into probe results. Rates bit/s, times ms.
 */
import { AlrDetector, type AlrChange } from './alr-detector.ts';
import { ProbeController, type ProbeCluster } from './probe-controller.ts';
import { ProbeResultEstimator, type ProbeOutcome } from './probe-result.ts';
import type { PacketResult } from './sent-history.ts';

export interface ProbingOptions {
  startBps: number;
  minBps: number;
  maxBps: number;
}

/** Something for the sender's records (`probe-cluster`, `probe-result`, `alr` events). */
export type ProbingEvent =
  | { name: 'probe-cluster'; detail: { id: number; bps: number; reason: ProbeCluster['reason']; packets: number; bytes: number } }
  | { name: 'probe-result'; detail: { id: number; probedBps: number; resultBps: number | null; sendBps: number | null; receiveBps: number | null; packets: number; received: number } }
  | { name: 'alr'; detail: { state: 'start' | 'end'; durationMs?: number; estimateBps: number } };

const NO_EVENTS: readonly ProbingEvent[] = [];

export class CongestionProbing {
  private readonly alr: AlrDetector;
  private readonly controller: ProbeController;
  private readonly results = new ProbeResultEstimator();
  private estimateBps: number;
  /** the cluster being sent: what of it has left so far */
  private active: { cluster: ProbeCluster; packets: number; bytes: number } | undefined;
  private readonly events: ProbingEvent[] = [];

  constructor(o: ProbingOptions) {
    this.alr = new AlrDetector(o.startBps);
    this.controller = new ProbeController(o);
    this.estimateBps = o.startBps;
  }

  /** The first frame goes out: the initial probes. */
  onStart(nowMs: number): void {
    this.controller.onStart(nowMs);
  }

  /** Media, FEC or RTX bytes left (not probes): the ALR detector's input. */
  onMediaSent(bytes: number, nowMs: number): void {
    this.onAlr(this.alr.onSent(bytes, nowMs));
  }

  /** Time passed (a wake-up): ALR may start while nothing is sent. */
  onTime(nowMs: number): void {
    this.onAlr(this.alr.onTime(nowMs));
  }

  /** The next cluster to send when none is being sent; the caller sends `packets` probe packets at `bps`. */
  nextCluster(packetBytes: number): { cluster: ProbeCluster; packets: number } | undefined {
    if (this.active) return undefined;
    const cluster = this.controller.pollCluster();
    if (!cluster) return undefined;
    const packets = Math.max(cluster.minPackets, Math.ceil(cluster.bytes / packetBytes));
    this.active = { cluster, packets: 0, bytes: 0 };
    this.events.push({ name: 'probe-cluster', detail: { id: cluster.id, bps: cluster.bps, reason: cluster.reason, packets, bytes: packets * packetBytes } });
    return { cluster, packets };
  }

  /**
   * A packet left while a cluster is being sent: media, FEC and RTX count towards the cluster as
   * much as its padding does (libwebrtc probes the same way: padding only fills what media does
   * not). True when the cluster has now sent its bytes and its minimum packets; false, and
   * nothing counted, while no cluster is being sent.
   */
  onClusterPacketSent(seq: number, sentMs: number, bytes: number): boolean {
    const active = this.active;
    if (!active) return false;
    this.results.onProbeSent(active.cluster.id, active.cluster.bps, active.cluster.minPackets, seq, sentMs, bytes);
    active.packets += 1;
    active.bytes += bytes;
    if (active.packets < active.cluster.minPackets || active.bytes < active.cluster.bytes) return false;
    this.active = undefined;
    return true;
  }

  /**
   * One feedback's packet results: what the probes it completes say the path carries, or
   * undefined. A cluster that found the bottleneck (delivered clearly slower than it was sent)
   * bounds the others: a smaller cluster sent into an empty queue can come back faster than the
   * path (the real-run initial probes on a 2 Mbit/s link measured 2.33 and 1.98 Mbit/s).
   */
  onFeedback(results: readonly PacketResult[], nowMs: number): number | undefined {
    const outcomes = this.outcomesOf(results, nowMs);
    const measured = outcomes.filter((o): o is ProbeOutcome & { resultBps: number } => o.resultBps !== undefined);
    if (measured.length === 0) return undefined;
    const bottlenecks = measured.filter((o) => o.receiveBps !== undefined && o.sendBps !== undefined && o.receiveBps < 0.9 * o.sendBps);
    return bottlenecks.length > 0 ? Math.min(...bottlenecks.map((o) => o.resultBps)) : Math.max(...measured.map((o) => o.resultBps));
  }

  private outcomesOf(results: readonly PacketResult[], nowMs: number): ProbeOutcome[] {
    const outcomes = this.results.onFeedback(results, nowMs);
    for (const o of outcomes) {
      this.events.push({
        name: 'probe-result',
        detail: { id: o.id, probedBps: o.probedBps, resultBps: o.resultBps ?? null, sendBps: o.sendBps ?? null, receiveBps: o.receiveBps ?? null, packets: o.packets, received: o.received },
      });
      if (o.resultBps !== undefined) this.controller.onProbeResult(o.probedBps, o.resultBps, nowMs);
    }
    return outcomes;
  }

  /** The estimator's target after a feedback. */
  onEstimate(bps: number, nowMs: number): void {
    this.estimateBps = bps;
    this.alr.setEstimate(bps);
    this.controller.onEstimate(bps, this.alr.alrSinceMs, nowMs);
  }

  /** Events since the last call, oldest first (called on every wake-up: no array made when there are none). */
  takeEvents(): readonly ProbingEvent[] {
    return this.events.length === 0 ? NO_EVENTS : this.events.splice(0);
  }

  private onAlr(change: AlrChange | undefined): void {
    if (!change) return;
    if (change.type === 'alr-start') {
      this.events.push({ name: 'alr', detail: { state: 'start', estimateBps: this.estimateBps } });
      return;
    }
    this.events.push({ name: 'alr', detail: { state: 'end', durationMs: change.durationMs, estimateBps: this.estimateBps } });
    this.controller.onAlrEnd(this.estimateBps, change.atMs);
  }
}
