// The relay target hop's summary from its fate log: per direction and per flow, offered and dropped.
import { describe, expect, it } from 'vitest';
import { computeRelayHop } from '../../lab/metrics/relay-hop.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';

const fate = (id: number, o: Partial<LinkFateRecord>): LinkFateRecord => ({ type: 'fate', side: 'link', dir: 'up', id, size: 1200, enqueueMs: id, ...o });

describe('computeRelayHop', () => {
  it('counts each direction and each flow towards the endpoints, RTP flows with their SSRCs', () => {
    const fates = [
      fate(0, { proto: 'tcp', dport: 19350 }),
      fate(1, { proto: 'tcp', dport: 19350, drop: 'loss' }),
      fate(2, { proto: 'udp', dport: 40000, ssrc: 7, seq: 1, pt: 102 }),
      fate(3, { proto: 'udp', dport: 40000, ssrc: 9, seq: 1, pt: 103, drop: 'queue' }),
      fate(4, { proto: 'udp', dport: 40000, ssrc: 7, seq: 2, pt: 102 }),
      fate(0, { dir: 'down', proto: 'tcp', sport: 19350, dport: 50000 }),
      fate(1, { dir: 'down', proto: 'udp', dport: 50001, drop: 'loss' }),
      fate(5, { proto: 'icmp' }),
      fate(6, { proto: 'tcp', dport: 19350, drop: 'shutdown' }), // held when the run stopped the link: not counted
    ];
    expect(computeRelayHop(fates)).toEqual({
      up: { offered: 6, dropped: 2 },
      down: { offered: 2, dropped: 1 },
      flows: [
        { proto: 'udp', port: 40000, rtpSsrcs: [7, 9], offered: 3, dropped: 1 },
        { proto: 'tcp', port: 19350, rtpSsrcs: [], offered: 2, dropped: 1 },
      ],
    });
    expect(computeRelayHop([])).toEqual({ up: { offered: 0, dropped: 0 }, down: { offered: 0, dropped: 0 }, flows: [] });
  });
});
