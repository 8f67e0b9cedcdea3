import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LabTopology } from '../../lab/topology/topology.ts';
import { listLinks, listNamespaces } from '../../lab/topology/ip.ts';
import { startUserspaceLink } from '../../lab/impairment/userspace.ts';
import { connectWithVeth } from '../../lab/topology/veth.ts';
import { loadLinkNative } from '../../src/link/native.ts';
import { readPcap } from '../../src/link/pcap.ts';
import { startLinkBackend } from '../../lab/impairment/backend.ts';
import { runLinkTimeline } from '../../lab/impairment/timeline.ts';
import { resolveLink } from '../../lab/scenario/link-resolve.ts';
import { fates, quantile } from './helpers.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';


describePrivileged(rootLink())('userspace link between two namespaces (needs root and /dev/net/tun)', () => {
  let topology: LabTopology;
  let dir: string;
  beforeAll(() => {
    topology = LabTopology.create({ handleSignals: false });
    dir = mkdtempSync(path.join(tmpdir(), 'gl-link-'));
  });
  afterAll(() => {
    topology?.teardown();
    rmSync(dir, { recursive: true, force: true });
    // nothing of this run is left
    expect(listNamespaces().filter((n) => n.includes(topology.runId))).toEqual([]);
    expect(listLinks().filter((n) => n.includes(topology.runId))).toEqual([]);
  });

  const probe = (port: number, count: number, ratePps: number) =>
    loadLinkNative().udpProbe({
      senderNetns: topology.netnsPath('snd'),
      receiverNetns: topology.netnsPath('rcv'),
      dst: '10.250.0.2',
      port,
      count,
      ratePps,
      size: 200,
      realtimePriority: 40,
    });

  // The link's own error is what it adds beyond the kernel path it replaces: measured against plain
  // veth between two fresh namespaces at the same rate, right before. Retried because other
  // tenants of the machine can stall any thread for a moment.
  it('UDP one-way delay at 2000 packets/s: never early, p50 within 0.2 ms of the configured 5 ms, p99 within 5 ms (bench/link measures p99)', { retry: 2 }, async () => {
    const vethTopology = LabTopology.create({ handleSignals: false });
    let vethP99: number;
    try {
      connectWithVeth(vethTopology);
      const base = await loadLinkNative().udpProbe({ senderNetns: vethTopology.netnsPath('snd'), receiverNetns: vethTopology.netnsPath('rcv'), dst: '10.250.0.2', port: 47000, count: 2000, ratePps: 2000, size: 200, realtimePriority: 40 });
      vethP99 = quantile(base.delayUs, 0.99);
    } finally {
      vethTopology.teardown();
    }
    const fateLogPath = path.join(dir, 'delay.ndjson');
    const link = startUserspaceLink(topology, { seed: 1, params: { up: { delayUs: 5000 }, down: { delayUs: 5000 } }, realtimePriority: 50, fateLogPath });
    let r;
    try {
      r = await probe(47001, 2000, 2000);
    } finally {
      link.stop();
    }
    expect(r.received).toBe(2000);
    const errorsUs = Array.from(r.delayUs, (d) => d - 5000);
    expect(Math.min(...errorsUs)).toBeGreaterThanOrEqual(0); // never released early
    // the data plane itself: actual write time vs scheduled release
    const lateness = fates(readFileSync(fateLogPath, 'utf8')).filter((f) => f.wireMs !== undefined).map((f) => (f.wireMs! - f.releaseMs!) * 1000);
    // The median holds the data plane's own timing; its p99 is a benchmark figure (bench/link): on a
    // PREEMPT_NONE kernel a SCHED_FIFO thread waits for a busy neighbour (the suite's other worker)
    // to leave kernel code, and fresh-clone CI runs saw p99 1.2-3.1 ms that way. The p99 bound here
    // only catches a data plane that has lost its timing altogether.
    expect(quantile(lateness, 0.5), 'data-plane lateness p50, µs').toBeLessThan(200);
    expect(quantile(lateness, 0.99), 'data-plane lateness p99, µs').toBeLessThan(5000);
    // end to end, beyond what the plain kernel path shows at the same moment
    expect(quantile(errorsUs, 0.5), `end-to-end error p50 ${quantile(errorsUs, 0.5).toFixed(0)} µs`).toBeLessThan(500);
    expect(quantile(errorsUs, 0.99) - vethP99, `end-to-end error p99 ${quantile(errorsUs, 0.99).toFixed(0)} µs minus veth p99 ${vethP99.toFixed(0)} µs`).toBeLessThan(5000);
  });

  it('writes a fate log and a pcap that agree with what arrived; parameter changes apply live', async () => {
    const fateLogPath = path.join(dir, 'link.ndjson');
    const pcapPath = path.join(dir, 'link.pcap');
    const link = startUserspaceLink(topology, {
      seed: 3,
      params: { up: { delayUs: 2000, loss: { model: 'random', p: 0.1 } }, down: {} },
      fateLogPath,
      pcapPath,
    });
    let first;
    let second;
    try {
      first = await probe(47002, 500, 1000);
      link.setParams('up', { delayUs: 10000 });
      second = await probe(47003, 200, 1000);
    } finally {
      link.stop();
    }
    const records = fates(readFileSync(fateLogPath, 'utf8')).filter((f) => f.dir === 'up' && f.proto === 'udp');
    const firstRecords = records.filter((f) => f.dport === 47002);
    expect(firstRecords).toHaveLength(500);
    const delivered = firstRecords.filter((f) => f.releaseMs !== undefined);
    expect(delivered.length).toBe(first.received);
    expect(firstRecords.filter((f) => f.drop === 'loss').length).toBe(500 - first.received);
    for (const f of delivered) {
      expect(f.releaseMs! - f.enqueueMs).toBeCloseTo(2, 6);
      expect(f.wireMs!).toBeGreaterThanOrEqual(f.releaseMs!);
      // read from the TUN device just before the model took it in
      expect(f.readMs).toBeDefined();
      expect(f.enqueueMs - f.readMs!).toBeGreaterThanOrEqual(0);
      expect(f.enqueueMs - f.readMs!).toBeLessThan(1);
    }
    // after the change: no loss, 10 ms
    expect(second.received).toBe(200);
    expect(quantile(second.delayUs, 0.5)).toBeGreaterThan(10000);
    const pcap = readPcap(readFileSync(pcapPath));
    if ('error' in pcap) throw pcap.error;
    const allDelivered = fates(readFileSync(fateLogPath, 'utf8')).filter((f) => f.releaseMs !== undefined);
    expect(pcap.packets).toHaveLength(allDelivered.length);
    const wire = new Set(allDelivered.map((f) => Math.round(f.wireMs! * 1e6)));
    for (const p of pcap.packets) expect(wire.has(Number(p.timeNs))).toBe(true);
  });

  it('a scenario with a timeline runs on the auto-chosen backend, changes landing on time', async () => {
    const resolved = resolveLink({ delay: '2ms' }, [{ at: '300ms', set: { delay: '8ms' } }], dir);
    if ('error' in resolved) throw resolved.error;
    const link = await startLinkBackend(topology, resolved.link, { seed: 9, fateLogPath: path.join(dir, 'auto.ndjson'), realtimePriority: 50 });
    expect(link.backend).toBe('userspace');
    expect(link.reason).toMatch(/auto: userspace/);
    try {
      const start = Number(process.hrtime.bigint()) / 1e6;
      const timeline = runLinkTimeline(link, resolved.link.timeline, start);
      const r = await probe(47004, 600, 1000);
      await timeline.done;
      const delays = Array.from(r.delayUs);
      expect(r.received).toBe(600);
      expect(quantile(delays.slice(0, 250), 0.5)).toBeGreaterThanOrEqual(2000);
      expect(quantile(delays.slice(0, 250), 0.5)).toBeLessThan(3500);
      expect(quantile(delays.slice(-250), 0.5)).toBeGreaterThanOrEqual(8000);
      expect(quantile(delays.slice(-250), 0.5)).toBeLessThan(9500);
      // about 300 packets went out after the change at 300 ms (timer and load slack: ± 40)
      // (the delay accuracy itself is the first test's subject)
      const after = delays.filter((d) => d >= 8000).length;
      expect(Math.abs(after - 300)).toBeLessThan(40);
    } finally {
      await link.stop();
    }
  });

  it('data-plane threads report the SCHED_FIFO priority and CPU they got, and normal scheduling when none is asked', () => {
    const asked = startUserspaceLink(topology, { seed: 1, params: { up: {}, down: {} }, realtimePriority: 30, cpu: 0 });
    const got = asked.stats();
    asked.stop();
    for (const dir of ['up', 'down'] as const) expect(got[dir]?.scheduling).toEqual({ policy: 'fifo', priority: 30, cpu: 0 });
    const plain = startUserspaceLink(topology, { seed: 1, params: { up: {}, down: {} } });
    const normal = plain.stats();
    plain.stop();
    expect(normal.up?.scheduling).toEqual({ policy: 'other', priority: 0, cpu: null });
  });

  it('packets still held when the link stops get a "shutdown" fate', async () => {
    const fateLogPath = path.join(dir, 'shutdown.ndjson');
    const link = startUserspaceLink(topology, { seed: 2, params: { up: { delayUs: 5_000_000 }, down: {} }, fateLogPath });
    let r;
    try {
      r = await probe(47005, 50, 1000);
    } finally {
      link.stop();
    }
    expect(r.received).toBe(0);
    const records = fates(readFileSync(fateLogPath, 'utf8')).filter((f) => f.dport === 47005);
    expect(records).toHaveLength(50);
    expect(records.every((f) => f.drop === 'shutdown')).toBe(true);
  });
});
