/**
 * Benchmark of the userspace link against plain veth between the same kind of namespaces, in one
 * run: one-way delay error (measured − configured) p50/p99/max at 1k/10k/50k packets/s next to
 * veth's own one-way delay at the same rates, the data plane's lateness (actual write − scheduled
 * release, from its fate log), the maximum packet rate and Gbit/s at 1200-byte UDP payloads, and
 * data-plane CPU per packet. Delay probes and data-plane threads run SCHED_FIFO (root) so that
 * the numbers measure the path rather than the other tenants of a shared machine; the flood runs
 * at normal priority (a spinning real-time sender would starve the kernel's softirq threads).
 * Also the model alone (C++ loop, RTP packets with keyed draws vs non-RTP packets on the sequential
 * stream, bench/lib/link-model-cost.ts). Prints tables, writes bench/results/link.json
 * (`--model-only`: only the model part, bench/results/link-model.json, no root needed;
 * `--baseline-addon <file.node>`: another build of the addon measured alternately beside this one).
 * Usage: node --import tsx bench/link.ts [--quick] [--model-only] [--baseline-addon <file.node>]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUserspaceLink } from '../lab/impairment/userspace.ts';
import { LabTopology } from '../lab/topology/topology.ts';
import { connectWithVeth } from '../lab/topology/veth.ts';
import { linkDirectionTiming, LINK_LATE_TOLERANCE_MS } from '../lab/metrics/link-timing.ts';
import { parseFateLog } from '../src/link/fate.ts';
import { loadLinkNative, type UdpProbeResult } from '../src/link/native.ts';
import { runVirtualLink } from '../src/link/virtual.ts';
import { measureModelCost, printModelCost } from './lib/link-model-cost.ts';

const quick = process.argv.includes('--quick');
const modelOnly = process.argv.includes('--model-only');
const baselineAt = process.argv.indexOf('--baseline-addon');
const baselineAddon = baselineAt > 0 ? process.argv[baselineAt + 1] : undefined;
const here = path.dirname(fileURLToPath(import.meta.url));
const configuredDelayUs = 5000;
const rates = [1000, 10000, 50000];
const probeSeconds = quick ? 0.5 : 1.5;
const floodMs = quick ? 500 : 2000;
const payload = 1200;
const probeRt = 40;
const planeRt = 41;
let port = 48000;

function quantile(values: ArrayLike<number>, p: number): number {
  const s = Array.from(values).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
}

interface Dist {
  p50Us: number;
  p99Us: number;
  maxUs: number;
}
const dist = (v: number[]): Dist => ({ p50Us: quantile(v, 0.5), p99Us: quantile(v, 0.99), maxUs: v.reduce((a, b) => Math.max(a, b), -Infinity) });

function probe(topology: LabTopology, ratePps: number, size: number, realtimePriority: number): Promise<UdpProbeResult> {
  return loadLinkNative().udpProbe({
    senderNetns: topology.netnsPath('snd'),
    receiverNetns: topology.netnsPath('rcv'),
    dst: '10.250.0.2',
    port: port++,
    size,
    ratePps,
    count: Math.round(ratePps * probeSeconds),
    durationMs: floodMs,
    realtimePriority,
  });
}

function throughput(r: UdpProbeResult) {
  const seconds = r.receiveSpanMs / 1000;
  return { sent: r.sent, received: r.received, packetsPerSecond: r.received / seconds, gbitPerSecond: (r.received * payload * 8) / seconds / 1e9 };
}

interface RateRow {
  ratePps: number;
  sent: number;
  received: number;
  /** userspace link: measured − configured */
  error: Dist;
  /** data plane: actual write − scheduled release (fate log; nearest rank, as results.json's link timing) */
  planeLateness: Dist;
  /** share of the data plane's writes later than LINK_LATE_TOLERANCE_MS, 0..1 */
  planeLateRatio: number;
  /** data plane: (actual write − entry) − configured delay, p50/p99 µs (fate log) */
  planeDelayError: { p50Us: number; p99Us: number };
  /** plain veth one-way delay at the same rate */
  veth: Dist;
}

/** Virtual-time model speed: packets/s through LinkModel from JS (N-API crossing included). */
function virtualModelRate(): number {
  const n = quick ? 50_000 : 200_000;
  const packets = Array.from({ length: n }, (_, i) => ({ atUs: i * 10, packet: 1200 }));
  const t0 = process.hrtime.bigint();
  runVirtualLink({ seed: 1, params: { delayUs: 20000, jitterUs: 2000, distribution: 'normal', loss: { model: 'gemodel', p: 0.01, r: 0.3, oneMinusH: 1, oneMinusK: 0 }, rateBps: 1e9 }, packets });
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

function hostInfo() {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, kernel: os.release(), loadavg: os.loadavg() };
}

async function main() {
  const modelCost = measureModelCost(quick ? 50_000 : 200_000, baselineAddon ? { baselineAddon: path.resolve(baselineAddon) } : {});
  printModelCost(modelCost);
  mkdirSync(path.join(here, 'results'), { recursive: true });
  if (modelOnly) {
    const file = path.join(here, 'results', 'link-model.json');
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), host: hostInfo(), ...(baselineAddon ? { baselineAddon } : {}), modelCost }, null, 2));
    console.log(`wrote ${file}`);
    return;
  }
  const virtualPacketsPerSecond = virtualModelRate();
  const work = mkdtempSync(path.join(os.tmpdir(), 'gl-bench-'));
  const vethRows = new Map<number, Dist>();
  let vethFlood;
  const veth = LabTopology.create();
  try {
    connectWithVeth(veth);
    for (const rate of rates) vethRows.set(rate, dist(Array.from((await probe(veth, rate, 200, probeRt)).delayUs)));
    vethFlood = throughput(await probe(veth, 0, payload, 0));
  } finally {
    veth.teardown();
  }

  const topo = LabTopology.create();
  const rows: RateRow[] = [];
  let plain: Dist;
  const floods: Array<ReturnType<typeof throughput> & { planePriority: number; cpuPerPacketUs: number }> = [];
  try {
    for (const rate of rates) {
      const fateLogPath = path.join(work, `fate-${rate}.ndjson`);
      const link = startUserspaceLink(topo, { seed: 1, params: { up: { delayUs: configuredDelayUs }, down: {} }, realtimePriority: planeRt, fateLogPath });
      let r: UdpProbeResult;
      try {
        r = await probe(topo, rate, 200, probeRt);
      } finally {
        link.stop();
      }
      const parsed = parseFateLog(readFileSync(fateLogPath, 'utf8'));
      if ('error' in parsed) throw parsed.error;
      // the same figures as results.json's link timing (lab/metrics/link-timing.ts), in µs
      const timing = linkDirectionTiming(
        parsed.records.filter((f) => f.dir === 'up'),
        () => configuredDelayUs / 1000,
      );
      if (timing === null) throw new Error(`no wire times in the fate log at ${rate} packets/s`);
      const planeLateness = { p50Us: timing.latenessMs.p50 * 1000, p99Us: timing.latenessMs.p99 * 1000, maxUs: timing.latenessMs.max * 1000 };
      const planeDelayError = { p50Us: (timing.delayErrorMs.p50 ?? NaN) * 1000, p99Us: (timing.delayErrorMs.p99 ?? NaN) * 1000 };
      rows.push({ ratePps: rate, sent: r.sent, received: r.received, error: dist(Array.from(r.delayUs, (d) => d - configuredDelayUs)), planeLateness, planeLateRatio: timing.lateRatio, planeDelayError, veth: vethRows.get(rate)! });
    }
    let link = startUserspaceLink(topo, { seed: 1, params: { up: {}, down: {} }, realtimePriority: planeRt });
    try {
      plain = dist(Array.from((await probe(topo, 1000, 200, probeRt)).delayUs));
    } finally {
      link.stop();
    }
    // flood twice: data plane at normal priority, then SCHED_FIFO (sender and receiver normal)
    for (const priority of [0, planeRt]) {
      link = startUserspaceLink(topo, { seed: 1, params: { up: {}, down: {} }, realtimePriority: priority });
      try {
        const before = link.stats().up!;
        const t = throughput(await probe(topo, 0, payload, 0));
        const after = link.stats().up!;
        const cpu = ((after.cpuMs - before.cpuMs) * 1000) / Math.max(1, after.offered - before.offered);
        floods.push({ planePriority: priority, ...t, cpuPerPacketUs: cpu });
      } finally {
        link.stop();
      }
    }
  } finally {
    topo.teardown();
    rmSync(work, { recursive: true, force: true });
  }

  const f = (n: number, digits = 1) => n.toFixed(digits).padStart(9);
  console.log(`\nuserspace link, one-way delay configured ${configuredDelayUs} µs; error = measured − configured (µs)`);
  console.log(`  plane late: data plane write − scheduled release; late >: share over ${LINK_LATE_TOLERANCE_MS * 1000} µs; plane err: write − entry − configured`);
  console.log('  rate pps  received | error p50    p99      max | plane late p50   p99      max   late > | plane err p50  p99 | veth p50    p99      max');
  for (const r of rows) {
    console.log(
      `${String(r.ratePps).padStart(10)}${String(r.received).padStart(10)} |${f(r.error.p50Us)}${f(r.error.p99Us)}${f(r.error.maxUs)} |${f(r.planeLateness.p50Us)}${f(r.planeLateness.p99Us)}${f(r.planeLateness.maxUs)}${`${(r.planeLateRatio * 100).toFixed(2)}%`.padStart(9)} |${f(r.planeDelayError.p50Us)}${f(r.planeDelayError.p99Us)} |${f(r.veth.p50Us)}${f(r.veth.p99Us)}${f(r.veth.maxUs)}`,
    );
  }
  console.log('\nno impairment, 1200-byte UDP     one-way p50 µs  p99 µs   flood pps   Gbit/s');
  const vr = vethRows.get(1000)!;
  console.log(`veth (baseline)                  ${f(vr.p50Us)}${f(vr.p99Us)}${f(vethFlood.packetsPerSecond, 0).padStart(12)}${f(vethFlood.gbitPerSecond, 3)}`);
  for (const fl of floods) {
    const label = fl.planePriority ? 'userspace link, plane FIFO' : 'userspace link (TUN)';
    console.log(`${label.padEnd(33)}${f(plain.p50Us)}${f(plain.p99Us)}${f(fl.packetsPerSecond, 0).padStart(12)}${f(fl.gbitPerSecond, 3)}   CPU ${fl.cpuPerPacketUs.toFixed(2)} µs/packet`);
  }
  const flood = floods.reduce((a, b) => (b.gbitPerSecond > a.gbitPerSecond ? b : a));
  const cpuPerPacketUs = floods[0]!.cpuPerPacketUs;
  const ratio = flood.gbitPerSecond / vethFlood.gbitPerSecond;
  console.log(`\nadded latency vs veth (p50): ${(plain.p50Us - vr.p50Us).toFixed(1)} µs; best throughput vs veth: ${(ratio * 100).toFixed(0)} %; data-plane CPU per packet (flood, normal priority): ${cpuPerPacketUs.toFixed(2)} µs`);
  console.log(`virtual-time model (JS driver, fate log formatted): ${Math.round(virtualPacketsPerSecond)} packets/s`);
  console.log(`flood detail: veth sent ${vethFlood.sent} received ${vethFlood.received}; ${floods.map((x) => `userspace (priority ${x.planePriority}) sent ${x.sent} received ${x.received}`).join('; ')}`);
  const result = {
    date: new Date().toISOString(),
    host: hostInfo(),
    modelCost,
    configuredDelayUs,
    payloadBytes: payload,
    rates: rows,
    veth: { oneWay1kpps: vr, flood: vethFlood },
    userspace: { oneWay1kpps: plain, floods, cpuPerPacketUs },
    virtualModelPacketsPerSecond: virtualPacketsPerSecond,
    vsVeth: { addedLatencyP50Us: plain.p50Us - vr.p50Us, throughputRatio: ratio },
    targets: { delayErrorP99At50kUs: 200, gbitPerSecond: 1 },
  };
  writeFileSync(path.join(here, 'results', 'link.json'), JSON.stringify(result, null, 2));
  console.log(`wrote ${path.join(here, 'results', 'link.json')}`);
}

await main();
