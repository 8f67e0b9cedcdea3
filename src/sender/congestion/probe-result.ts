/**
 * What a probe cluster measured: from the cluster's packets as sent (times, sizes) and as the
 * feedback reports them, the send rate (bytes but the last over the send span) and the receive
 * rate (bytes but the first over the arrival span); the result is the lower of the two, and when
 * the path delivered clearly slower than the burst was sent (receive < 90 % of send) the receive
 * rate is the path's capacity. A cluster is judged once at least 80 % of its packets (and at
 * least its minimum) were reported received; one with fewer within `timeoutMs` is given up.
 * Sans-I/O; rates bit/s, times ms.
 */
import type { PacketResult } from './sent-history.ts';

interface ClusterState {
  id: number;
  bps: number;
  minPackets: number;
  sent: Map<number, { sendMs: number; bytes: number }>;
  received: Map<number, { sendMs: number; arrivalMs: number; bytes: number }>;
  firstSendMs: number;
  done: boolean;
}

export interface ProbeOutcome {
  id: number;
  probedBps: number;
  /** undefined: given up (too few packets reported in time) */
  resultBps: number | undefined;
  sendBps: number | undefined;
  receiveBps: number | undefined;
  packets: number;
  received: number;
}

export class ProbeResultEstimator {
  private readonly clusters = new Map<number, ClusterState>();
  /** transport-wide seq → cluster id */
  private readonly clusterOfSeq = new Map<number, number>();

  constructor(private readonly timeoutMs = 1000) {}

  /** A probe packet of cluster `id` (probing `bps`) left with transport-wide seq `seq` (extended). */
  onProbeSent(id: number, bps: number, minPackets: number, seq: number, sendMs: number, bytes: number): void {
    let cluster = this.clusters.get(id);
    if (!cluster) {
      cluster = { id, bps, minPackets, sent: new Map(), received: new Map(), firstSendMs: sendMs, done: false };
      this.clusters.set(id, cluster);
    }
    cluster.sent.set(seq, { sendMs, bytes });
    this.clusterOfSeq.set(seq, id);
  }

  /** One feedback's results; returns the clusters it completed (or gave up). */
  onFeedback(results: readonly PacketResult[], nowMs: number): ProbeOutcome[] {
    const touched = new Set<number>();
    for (const r of results) {
      const id = this.clusterOfSeq.get(r.seq);
      if (id === undefined) continue;
      const cluster = this.clusters.get(id);
      if (!cluster || cluster.done || r.arrivalMs === undefined) continue;
      cluster.received.set(r.seq, { sendMs: r.sendMs, arrivalMs: r.arrivalMs, bytes: r.bytes });
      touched.add(id);
    }
    const out: ProbeOutcome[] = [];
    for (const cluster of this.clusters.values()) {
      if (cluster.done) continue;
      const enough = cluster.received.size >= Math.max(cluster.minPackets, 0.8 * cluster.sent.size);
      const expired = nowMs - cluster.firstSendMs > this.timeoutMs;
      if (enough && touched.has(cluster.id)) out.push(this.finish(cluster));
      else if (expired) out.push(this.finish(cluster, true));
    }
    return out;
  }

  private finish(cluster: ClusterState, givenUp = false): ProbeOutcome {
    cluster.done = true;
    for (const seq of cluster.sent.keys()) this.clusterOfSeq.delete(seq);
    this.clusters.delete(cluster.id);
    const packets = [...cluster.received.values()];
    const base = { id: cluster.id, probedBps: cluster.bps, packets: cluster.sent.size, received: packets.length };
    if (givenUp || packets.length < 2) return { ...base, resultBps: undefined, sendBps: undefined, receiveBps: undefined };
    const bySend = [...packets].sort((a, b) => a.sendMs - b.sendMs);
    const byArrival = [...packets].sort((a, b) => a.arrivalMs - b.arrivalMs);
    const sendSpan = bySend.at(-1)!.sendMs - bySend[0]!.sendMs;
    const arrivalSpan = byArrival.at(-1)!.arrivalMs - byArrival[0]!.arrivalMs;
    const sum = (list: typeof packets): number => list.reduce((s, p) => s + p.bytes, 0);
    // spans under 1 ms: too short to be a rate (a burst the pacer let out at once)
    const sendBps = sendSpan >= 1 ? ((sum(bySend) - bySend.at(-1)!.bytes) * 8000) / sendSpan : undefined;
    const receiveBps = arrivalSpan >= 1 ? ((sum(byArrival) - byArrival[0]!.bytes) * 8000) / arrivalSpan : undefined;
    if (sendBps === undefined || receiveBps === undefined) return { ...base, resultBps: undefined, sendBps, receiveBps };
    const resultBps = receiveBps < 0.9 * sendBps ? receiveBps : Math.min(sendBps, receiveBps);
    return { ...base, resultBps, sendBps, receiveBps };
  }
}
