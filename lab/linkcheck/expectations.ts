/**
 * What a link configuration should do to a steady probe, from the parameters alone (netem's
 * definitions, which the userspace model follows): long-run loss rate and mean loss-burst length
 * of random, Gilbert-Elliott and 4-state loss, the share of packets reorder sends undelayed, and
 * the goodput and standing queue of a rate limit. Used as the "configured" column of the
 * self-test and by the netem backend's tests.
 */
import type { LinkModelParams, LossParams } from '../../src/link/params.ts';
import type { LinkBackendName } from './link-under-test.ts';

/** Long-run loss rate and mean burst length (packets; null when not a closed form here). */
export function expectedLoss(loss: LossParams | undefined): { rate: number; meanBurst: number | null } {
  if (!loss || loss.model === 'none') return { rate: 0, meanBurst: null };
  if (loss.model === 'random') {
    // correlation changes the run structure (and, in netem, the rate): only uncorrelated has a closed form
    return loss.correlation ? { rate: loss.p, meanBurst: null } : { rate: loss.p, meanBurst: loss.p > 0 ? 1 / (1 - loss.p) : null };
  }
  if (loss.model === 'gemodel') {
    // each packet: the state may move, the loss chance is the state's it started in (netem's
    // loss_gilb_ell); the long-run shares are the chain's stationary ones either way
    const bad = loss.p / (loss.p + loss.r);
    const rate = bad * loss.oneMinusH + (1 - bad) * loss.oneMinusK;
    const pure = loss.oneMinusH === 1 && loss.oneMinusK === 0;
    return { rate, meanBurst: pure ? 1 / loss.r : null };
  }
  if (loss.model === '4state') {
    // states 1 gap-rx, 2 burst-rx, 3 burst-loss, 4 isolated loss; a packet is lost when the chain enters 3 or 4
    const { p13, p31, p32, p23, p14 } = loss;
    let pi = [1, 0, 0, 0];
    for (let i = 0; i < 20000; i++) {
      const [s1, s2, s3, s4] = pi as [number, number, number, number];
      pi = [s1 * (1 - p13 - p14) + s3 * p31 + s4, s2 * (1 - p23) + s3 * p32, s1 * p13 + s2 * p23 + s3 * (1 - p31 - p32), s1 * p14];
    }
    const [s1, s2, s3, s4] = pi as [number, number, number, number];
    const rate = s3 + s4;
    const burstStarts = s1 * (p13 + p14) + s2 * p23;
    return { rate, meanBurst: burstStarts > 0 ? rate / burstStarts : null };
  }
  return { rate: loss.pattern.filter((x) => x === 1).length / loss.pattern.length, meanBurst: null };
}

/**
 * Share of packets netem's `reorder P gap G` sends without the delay: after G − 1 delayed packets
 * each packet goes at once with probability P (then the count restarts), so a cycle is G − 1
 * delayed + (1 − P)/P more delayed on average + 1 undelayed.
 */
export function expectedUndelayedShare(reorder: LinkModelParams['reorder']): number {
  if (!reorder || reorder.p <= 0) return 0;
  const gap = reorder.gap ?? 0;
  if (gap <= 1) return reorder.p;
  return 1 / (gap - 1 + 1 / reorder.p);
}

/**
 * Bytes a packet of `payload` UDP bytes costs the rate limit: IP + UDP headers (28), the
 * scenario's overhead, and on netem the Ethernet header netem sees on a veth (14): a 1.3 %
 * difference at 1000-byte payloads, stated in the self-test's tolerance.
 */
export function rateBytesPerPacket(payload: number, params: LinkModelParams, backend: LinkBackendName): number {
  return payload + 28 + (params.overheadBytes ?? 0) + (backend === 'netem' ? 14 : 0);
}

/**
 * Goodput (UDP payload bit/s) of a saturated rate limit, and the one-way delay (ms, the configured
 * delay included) of a packet admitted to a full queue. The backends differ here by definition:
 * netem's `limit` counts every packet in its time queue and a rate absorbs the delay (a packet
 * leaves at max(previous departure, arrival + delay) + its serialisation), so a full queue costs
 * max(delay, limit × serialisation); the userspace model queues at the bottleneck first and
 * delays after it, so it costs delay + limit × serialisation.
 */
export function expectedRate(payload: number, params: LinkModelParams, backend: LinkBackendName): { goodputBps: number; fullQueueDelayMs: number | null } | null {
  if (!params.rateBps) return null;
  const wire = rateBytesPerPacket(payload, params, backend);
  const perPacketMs = (wire * 8 * 1000) / params.rateBps;
  const limit = params.queue?.packets;
  const delayMs = (params.delayUs ?? 0) / 1000;
  const queueMs = limit ? limit * perPacketMs : null;
  const fullQueueDelayMs = queueMs === null ? null : backend === 'netem' ? Math.max(delayMs, queueMs) : delayMs + queueMs;
  return { goodputBps: (params.rateBps * payload) / wire, fullQueueDelayMs };
}

/**
 * Relative tolerance of a measured mean loss-burst length over `packets` probe packets: 4
 * standard errors of the mean of geometric run lengths (continuation 1 − 1/meanBurst, so the
 * coefficient of variation is sqrt(1 − 1/meanBurst)) over the bursts expected, at least 10 %.
 * E.g. Gilbert-Elliott r 30 % (bursts of 3.3) at 9 % loss over 3000 packets: ±37 %.
 */
export function burstTolerance(meanBurst: number, lossRate: number, packets: number): number {
  const bursts = (packets * lossRate) / meanBurst;
  if (bursts <= 0) return 1;
  return Math.max(0.1, (4 * Math.sqrt(1 - 1 / meanBurst)) / Math.sqrt(bursts));
}
