import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LabTopology } from '../../lab/topology/topology.ts';
import { startUserspaceLink } from '../../lab/impairment/userspace.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';
import type { LinkModelParams } from '../../src/link/params.ts';
import { fates } from './helpers.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';


// Sends UDP datagrams from the sender namespace: argv[1] is a JSON list, each entry an RTP seq
// (RTP v2 header, PT 96, 172 bytes) or -1 (a STUN-like datagram of 60 bytes), 20 per 2 ms.
const sender = `
const dgram = require('node:dgram');
const plan = JSON.parse(process.argv[1]);
const port = Number(process.argv[2]);
const ssrc = Number(process.argv[3]);
const s = dgram.createSocket('udp4');
(async () => {
  for (let i = 0; i < plan.length; i++) {
    const seq = plan[i];
    let b;
    if (seq >= 0) {
      b = Buffer.alloc(172, 0x5a);
      b[0] = 0x80; b[1] = 96; b.writeUInt16BE(seq & 0xffff, 2); b.writeUInt32BE(ssrc, 8);
    } else {
      b = Buffer.alloc(60); b.writeUInt16BE(0x0001, 0); b.writeUInt16BE(40, 2); b.writeUInt32BE(0x2112a442, 4);
    }
    await new Promise((resolve, reject) => s.send(b, port, '10.250.0.2', (e) => (e ? reject(e) : resolve())));
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
  }
  s.close();
})();
`;

const params: LinkModelParams = { delayUs: 5000, jitterUs: 2000, distribution: 'normal', loss: { model: 'random', p: 0.1 }, duplicate: { p: 0.03 }, corrupt: { p: 0.03 } };

/** RTP fates of one run by seq: drop, delay in ns (release − enqueue), corrupt bit, duplicate copy's delay. */
function rtpFates(records: LinkFateRecord[], port: number) {
  const ns = (r: LinkFateRecord) => (r.releaseMs === undefined ? undefined : Math.round((r.releaseMs - r.enqueueMs) * 1e6));
  const out = new Map<number, { drop?: string; delayNs?: number; corruptBit?: number; copyDelayNs?: number }>();
  const rtp = records.filter((r) => r.dir === 'up' && r.dport === port && r.pt === 96);
  for (const r of rtp.filter((x) => !x.duplicate)) out.set(r.seq!, { drop: r.drop, delayNs: ns(r), corruptBit: r.corruptBit });
  for (const r of rtp.filter((x) => x.duplicate)) out.get(r.seq!)!.copyDelayNs = ns(r);
  return out;
}

describePrivileged(rootLink())('keyed draws on the real-time data plane (needs root and /dev/net/tun)', () => {
  let topology: LabTopology;
  let dir: string;
  beforeAll(() => {
    topology = LabTopology.create({ handleSignals: false });
    dir = mkdtempSync(path.join(tmpdir(), 'gl-keyed-'));
  });
  afterAll(() => {
    topology?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One run: a fresh link with seed 77, the plan sent from the sender namespace; fate records. */
  function run(name: string, plan: number[], port: number, ssrc: number): LinkFateRecord[] {
    const fateLogPath = path.join(dir, `${name}.ndjson`);
    const link = startUserspaceLink(topology, { seed: 77, params: { up: params, down: {} }, fateLogPath });
    try {
      execFileSync('ip', ['netns', 'exec', topology.namespace('snd'), process.execPath, '-e', sender, JSON.stringify(plan), String(port), String(ssrc)], { timeout: 20_000 });
      execFileSync('sleep', ['0.1']); // every held packet is released (5 ms + jitter)
    } finally {
      link.stop();
    }
    return fates(readFileSync(fateLogPath, 'utf8'));
  }

  it('the same RTP sequence with different non-RTP traffic between meets identical fates', () => {
    const seqs = Array.from({ length: 600 }, (_, i) => 65300 + i); // wraps at 65535
    // run 1: a STUN-like datagram after every 5th RTP packet; run 2: two after every 3rd, three up front, another SSRC
    const plan1 = seqs.flatMap((s, i) => (i % 5 === 4 ? [s, -1] : [s]));
    const plan2 = [-1, -1, -1, ...seqs.flatMap((s, i) => (i % 3 === 0 ? [s, -1, -1] : [s]))];
    const first = run('first', plan1, 46001, 0x11111111);
    const second = run('second', plan2, 46002, 0x22222222);
    const a = rtpFates(first, 46001);
    const b = rtpFates(second, 46002);
    // every datagram was seen by the link, the non-RTP ones as non-RTP
    expect(a.size).toBe(600);
    expect(b.size).toBe(600);
    expect(first.filter((r) => r.dport === 46001 && r.pt === undefined && !r.duplicate)).toHaveLength(120);
    expect(second.filter((r) => r.dport === 46002 && r.pt === undefined && !r.duplicate)).toHaveLength(403);
    for (const s of seqs) expect(b.get(s & 0xffff), `seq ${s & 0xffff}`).toEqual(a.get(s & 0xffff));
    const kinds = [...a.values()];
    expect(kinds.filter((f) => f.drop === 'loss').length).toBeGreaterThan(20);
    expect(kinds.filter((f) => f.corruptBit !== undefined).length).toBeGreaterThan(3);
    expect(kinds.filter((f) => f.copyDelayNs !== undefined).length).toBeGreaterThan(3);
  });
});
