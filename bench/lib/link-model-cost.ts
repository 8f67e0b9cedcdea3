/**
 * Per-packet cost of the link model itself (native/src/link_model.cc), timed inside the addon
 * (`linkModelCost`: offer + release + fate drain in a C++ loop, no N-API crossing per packet, no
 * fate formatting), for RTP packets (keyed draws) and non-RTP packets (the sequential stream) under
 * the same parameters. Shared by bench/link.ts (full and `--model-only` runs).
 */
import { createRequire } from 'node:module';
import { loadLinkNative, type LinkNative } from '../../src/link/native.ts';
import type { LinkModelParams } from '../../src/link/params.ts';

/** One measured case: ns per packet, best of `repeat` runs (and of the baseline addon, when given). */
export interface ModelCostRow {
  params: string;
  traffic: 'rtp' | 'non-rtp';
  packets: number;
  nsPerPacket: number;
  baselineNsPerPacket?: number;
}

type CostFn = LinkNative['linkModelCost'];

const cases: Array<{ name: string; params: LinkModelParams }> = [
  { name: 'none', params: {} },
  {
    name: 'random 5 % + normal jitter + dup + corrupt',
    params: { delayUs: 20000, jitterUs: 2000, distribution: 'normal', loss: { model: 'random', p: 0.05 }, duplicate: { p: 0.01 }, corrupt: { p: 0.01 } },
  },
  {
    name: 'gemodel + normal jitter + 1 Gbit/s',
    params: { delayUs: 20000, jitterUs: 2000, distribution: 'normal', loss: { model: 'gemodel', p: 0.01, r: 0.3, oneMinusH: 1, oneMinusK: 0 }, rateBps: 1e9 },
  },
];

/** IPv4/UDP packet of `size` bytes; RTP version 2 header (PT 96, one SSRC) when `seq` is given, else a STUN-like first byte. */
function packet(size: number, seq: number | undefined): Buffer {
  const b = Buffer.alloc(size);
  b[0] = 0x45;
  b.writeUInt16BE(size, 2);
  b[8] = 64;
  b[9] = 17;
  b.set([10, 250, 0, 1, 10, 250, 0, 2], 12);
  b.writeUInt16BE(5000, 20);
  b.writeUInt16BE(5002, 22);
  b.writeUInt16BE(size - 20, 24);
  if (seq !== undefined) {
    b[28] = 0x80;
    b[29] = 96;
    b.writeUInt16BE(seq & 0xffff, 30);
    b.writeUInt32BE(0x1234abcd, 36);
  }
  return b;
}

/**
 * Measures every case for RTP and non-RTP traffic of `count` 1200-byte packets, 10 µs apart. With
 * `baselineAddon` (path of another build of the addon, e.g. before a change), both addons run
 * alternately, `rounds` times each, so that both see the same machine load; best of all runs.
 */
export function measureModelCost(count: number, options: { repeat?: number; baselineAddon?: string; rounds?: number } = {}): ModelCostRow[] {
  const native = loadLinkNative();
  const current: LinkNative['linkModelCost'] = (...args) => native.linkModelCost(...args);
  const baselineNative = options.baselineAddon ? (createRequire(import.meta.url)(options.baselineAddon) as LinkNative) : undefined;
  const baseline: LinkNative['linkModelCost'] | undefined = baselineNative ? (...args) => baselineNative.linkModelCost(...args) : undefined;
  const repeat = options.repeat ?? 3;
  const rounds = baseline ? (options.rounds ?? 5) : 1;
  const rtp = Array.from({ length: count }, (_, i) => packet(1200, (40000 + i) & 0xffff));
  const other = Array.from({ length: count }, () => packet(1200, undefined));
  const rows: ModelCostRow[] = [];
  const best = (fn: CostFn, params: LinkModelParams, packets: Buffer[], prior: number | undefined) => {
    const ns = fn({ seed: 1, params, packets, intervalUs: 10, repeat }).nsPerPacket;
    return prior === undefined ? ns : Math.min(prior, ns);
  };
  for (const c of cases) {
    for (const [traffic, packets] of [['rtp', rtp], ['non-rtp', other]] as const) {
      let now: number | undefined;
      let before: number | undefined;
      for (let r = 0; r < rounds; r++) {
        if (baseline) before = best(baseline, c.params, packets, before);
        now = best(current, c.params, packets, now);
      }
      rows.push({ params: c.name, traffic, packets: count, nsPerPacket: now!, ...(before === undefined ? {} : { baselineNsPerPacket: before }) });
    }
  }
  return rows;
}

/** Prints the rows as a table. */
export function printModelCost(rows: ModelCostRow[]): void {
  console.log('\nlink model alone (C++ loop: offer + release + fate), ns per packet, best of runs');
  const withBaseline = rows.some((r) => r.baselineNsPerPacket !== undefined);
  console.log(`${'parameters'.padEnd(44)}${'traffic'.padEnd(9)}${'packets'.padStart(9)}${withBaseline ? 'baseline'.padStart(11) : ''}${'ns/packet'.padStart(11)}`);
  for (const r of rows) {
    const base = withBaseline ? (r.baselineNsPerPacket?.toFixed(1) ?? '').padStart(11) : '';
    console.log(`${r.params.padEnd(44)}${r.traffic.padEnd(9)}${String(r.packets).padStart(9)}${base}${r.nsPerPacket.toFixed(1).padStart(11)}`);
  }
}
