/**
 * The relay's target hop from its own fate log (relay-link.ndjson, written when the scenario has
 * relay.link): per direction what the link was offered and dropped, and per flow towards the
 * endpoints (protocol and destination port: a muxer target's URL port, or a WHIP session's ICE
 * port, told apart by carrying RTP) what it lost, packets held when the run stopped the link left
 * out. Wire truth, as the first hop's link metrics.
 * Pure.
 */
import type { LinkFateRecord } from '../../src/link/fate.ts';

export interface RelayHopFlow {
  proto: string;
  /** destination port on the endpoints' side */
  port: number;
  /** the flow carries RTP (a WHIP session's media and RTX); its SSRCs */
  rtpSsrcs: number[];
  offered: number;
  dropped: number;
}

export interface RelayHopSummary {
  up: { offered: number; dropped: number };
  down: { offered: number; dropped: number };
  /** forwarder → endpoints, busiest first */
  flows: RelayHopFlow[];
}

export function computeRelayHop(fates: readonly LinkFateRecord[]): RelayHopSummary {
  const out: RelayHopSummary = { up: { offered: 0, dropped: 0 }, down: { offered: 0, dropped: 0 }, flows: [] };
  const flows = new Map<string, RelayHopFlow & { ssrcs: Set<number> }>();
  for (const fate of fates) {
    // packets the link still held when the run stopped it are not the hop's loss
    if (fate.drop === 'shutdown') continue;
    const dir = out[fate.dir];
    dir.offered++;
    if (fate.drop !== undefined) dir.dropped++;
    if (fate.dir !== 'up' || fate.dport === undefined) continue;
    const proto = fate.proto ?? 'ip';
    const key = `${proto}:${fate.dport}`;
    let flow = flows.get(key);
    if (!flow) {
      flow = { proto, port: fate.dport, rtpSsrcs: [], offered: 0, dropped: 0, ssrcs: new Set() };
      flows.set(key, flow);
    }
    flow.offered++;
    if (fate.drop !== undefined) flow.dropped++;
    if (fate.ssrc !== undefined) flow.ssrcs.add(fate.ssrc);
  }
  out.flows = [...flows.values()]
    .sort((a, b) => b.offered - a.offered)
    .map(({ ssrcs, ...flow }) => ({ ...flow, rtpSsrcs: [...ssrcs].sort((a, b) => a - b) }));
  return out;
}
