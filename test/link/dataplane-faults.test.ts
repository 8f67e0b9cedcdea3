/**
 * The userspace data plane under faults, for real (two namespaces, TUN devices):
 * - stop() wakes the direction threads at once, also while packets are held for seconds;
 * - a packet whose write() to the far TUN device fails (the device is down: EIO) is recorded as
 *   dropped with reason "write-error", counted in the stats, in results.json's link section and
 *   shown by the report; it is not in the pcap of delivered packets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabTopology } from '../../lab/topology/topology.ts';
import { run } from '../../lab/topology/ip.ts';
import { linkName } from '../../lab/topology/names.ts';
import { startUserspaceLink } from '../../lab/impairment/userspace.ts';
import { computeLinkMetrics } from '../../lab/metrics/link.ts';
import { loadLinkNative } from '../../src/link/native.ts';
import { readPcap } from '../../src/link/pcap.ts';
import { canMakeNamespaces, fates } from './helpers.ts';

const usable = canMakeNamespaces();

describe.skipIf(!usable)('userspace data plane under faults (needs root and /dev/net/tun)', () => {
  let topology: LabTopology;
  let dir: string;
  beforeAll(() => {
    topology = LabTopology.create({ handleSignals: false });
    dir = mkdtempSync(path.join(tmpdir(), 'gl-faults-'));
  });
  afterAll(() => {
    topology?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  const probe = (port: number, count: number) =>
    loadLinkNative().udpProbe({ senderNetns: topology.netnsPath('snd'), receiverNetns: topology.netnsPath('rcv'), dst: '10.250.0.2', port, count, ratePps: 1000, size: 200 });

  it('stop() returns within 50 ms while packets are held for 5 s (a wake-up fd in the poll set)', async () => {
    const fateLogPath = path.join(dir, 'stop.ndjson');
    const link = startUserspaceLink(topology, { seed: 5, params: { up: { delayUs: 5_000_000 }, down: {} }, fateLogPath });
    let stopMs = Infinity;
    try {
      const r = await probe(47101, 20);
      expect(r.received).toBe(0);
      expect(link.stats().up).toMatchObject({ offered: 20, delivered: 0 });
    } finally {
      const started = performance.now();
      link.stop();
      stopMs = performance.now() - started;
    }
    // before the wake-up fd: about 4.7 s (until the first held packet was due)
    expect(stopMs).toBeLessThan(50);
    const records = fates(readFileSync(fateLogPath, 'utf8')).filter((f) => f.dport === 47101);
    expect(records).toHaveLength(20);
    expect(records.every((f) => f.drop === 'shutdown')).toBe(true);
  });

  it('a failed write to the far device is fate "write-error", in the stats and in results, not in the pcap', async () => {
    const fateLogPath = path.join(dir, 'write-error.ndjson');
    const pcapPath = path.join(dir, 'write-error.pcap');
    const link = startUserspaceLink(topology, { seed: 6, params: { up: { delayUs: 300_000 }, down: {} }, fateLogPath, pcapPath });
    const tunRcv = linkName(topology.runId, 'r');
    let stats;
    try {
      const probing = probe(47102, 30);
      await sleep(80); // the 30 packets (30 ms at 1000/s) are held for 300 ms: take the far device down meanwhile
      run(topology.ipIn('rcv', ['link', 'set', 'dev', tunRcv, 'down']));
      const r = await probing;
      expect(r.received).toBe(0);
      await sleep(150); // the last release is due 331 ms after the first send
      stats = link.stats();
    } finally {
      link.stop();
    }
    expect(stats.up).toMatchObject({ offered: 30, delivered: 0, writeErrors: 30, dropped: 30 });
    const all = fates(readFileSync(fateLogPath, 'utf8'));
    const mine = all.filter((f) => f.dport === 47102);
    expect(mine).toHaveLength(30);
    expect(mine.every((f) => f.drop === 'write-error' && f.releaseMs === undefined && f.wireMs === undefined)).toBe(true);
    expect(existsSync(pcapPath)).toBe(true);
    const pcap = readPcap(readFileSync(pcapPath));
    if ('error' in pcap) throw pcap.error;
    expect(pcap.packets.filter((p) => p.data.length >= 24 && p.data.readUInt16BE(22) === 47102)).toHaveLength(0);

    const link0 = { up: { delayUs: 300_000 }, down: {} };
    const { summary } = computeLinkMetrics({ link: { params: link0, timeline: [] }, backend: 'userspace', fates: all, events: [], packets: [], originMs: all[0]!.enqueueMs });
    expect(summary.directions.up.writeErrors).toBe(all.filter((f) => f.dir === 'up' && f.drop === 'write-error').length);
    expect(summary.directions.up.writeErrors).toBeGreaterThanOrEqual(30);
    expect(summary.directions.up.droppedByReason['write-error']).toBe(summary.directions.up.writeErrors);
    expect(summary.directions.down.writeErrors).toBe(0);
  });
});
