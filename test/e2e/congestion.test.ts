/**
 * Congestion control in a real run: `glasslab run` of a short capacity step (2 Mbit/s → 600 kbit/s
 * at 4 s) through the userspace link, with googcc. The receiver process sends transport-wide
 * feedback over werift, the sender's estimate follows the drop (its bwe events), the encoder is told
 * the new target (its frames shrink), the link's queue does not overflow, and results.json's
 * congestion section says the drop was adapted to.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseNdjson } from '../../src/shared/ndjson.ts';
import { validateResults } from '../../lab/results/schema.ts';
import type { EventRecord, FeedbackRecord, SenderFrameRecord } from '../../src/shared/records.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

describePrivileged(rootLink())('a real run with congestion control over the userspace link (needs root and /dev/net/tun)', () => {
  let dir: string;
  let runDir: string;
  let exitCode: number | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-cc-'));
    const scenario = path.join(dir, 'cc.yaml');
    await writeFile(scenario, [
      'name: e2e-congestion', 'duration: 9s', 'resolution: 640x360', 'fps: 30', 'seed: 3',
      'encoder: { codec: x264, bitrate: 1500kbps }', 'congestion: { mode: googcc, startRate: 800kbps, maxRate: 3mbps }',
      'link: { backend: userspace, delay: 20ms, rate: 2mbit, queue: { packets: 60 } }',
      'timeline:', '  - at: 4s', '    set: { rate: 600kbit }', '',
    ].join('\n'));
    const result = await execa(process.execPath, [cli, '--json', 'run', scenario, '--runs', path.join(dir, 'runs')], { reject: false, timeout: 150_000 });
    exitCode = result.exitCode;
    runDir = (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir: string }).runDir;
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('feedback flows, the estimate follows the drop, the encoder is told, the queue holds', async () => {
    expect(exitCode).toBe(0);
    const sender = parseNdjson(await readFile(path.join(runDir, 'sender.ndjson'), 'utf8')).records as (EventRecord | FeedbackRecord | SenderFrameRecord)[];
    const receiver = parseNdjson(await readFile(path.join(runDir, 'receiver.ndjson'), 'utf8')).records as FeedbackRecord[];
    const run = parseNdjson(await readFile(path.join(runDir, 'run.ndjson'), 'utf8')).records as EventRecord[];
    const mediaStart = run.find((e) => e.name === 'media-start')!.timeMs;
    expect(receiver.filter((r) => r.type === 'feedback' && r.kind === 'twcc' && r.dir === 'out').length).toBeGreaterThan(100);
    const bwe = sender.filter((r): r is EventRecord => r.type === 'event' && r.name === 'bwe');
    expect(bwe.length).toBeGreaterThan(100);
    const targetAt = (ms: number): number => Number([...bwe].reverse().find((e) => e.timeMs <= mediaStart + ms)!.detail!.targetBps);
    // before the drop the estimate sits where the 2 Mbit/s path let it grow from its 800 kbit/s start
    // (on a loaded machine CPU noise in the delays can hold it near the start); after it, at the
    // new 600 kbit/s (AIMD grows back additively and hovers around it: 616 kbit/s seen once in
    // five runs) and clearly below where it was
    expect(targetAt(3900)).toBeGreaterThan(650_000);
    expect(targetAt(7000)).toBeLessThan(1.1 * 600_000);
    expect(targetAt(7000)).toBeLessThan(0.85 * targetAt(3900));
    // the encoder followed: frames after the drop are smaller than before it
    const frames = sender.filter((r): r is SenderFrameRecord => r.type === 'frame' && r.bytes !== undefined && !r.keyframe);
    const meanBytes = (fromMs: number, toMs: number): number => {
      const inside = frames.filter((f) => f.captureMs >= mediaStart + fromMs && f.captureMs < mediaStart + toMs);
      return inside.reduce((sum, f) => sum + f.bytes!, 0) / inside.length;
    };
    expect(meanBytes(6000, 9000)).toBeLessThan(0.9 * meanBytes(2500, 4000));
    const results = validateResults(JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')) as unknown);
    if (!results.ok) throw results.error;
    const congestion = (results.results).congestion!;
    expect(congestion.mode).toBe('googcc');
    expect(congestion.adaptations).toHaveLength(1);
    expect(congestion.segments[1]!.queueDrops).toBeLessThan(20);
  });
});

describePrivileged(rootLink())('a competing TCP flow through the run\'s link (needs root and /dev/net/tun)', () => {
  it('iperf3 runs between the namespaces; its throughput is in run.ndjson and its share in results.congestion; the estimate yields', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-cross-'));
    try {
      const scenario = path.join(dir, 'cross.yaml');
      await writeFile(scenario, [
        'name: e2e-cross', 'duration: 7s', 'resolution: 640x360', 'fps: 30', 'seed: 3',
        'encoder: { codec: x264, bitrate: 1500kbps }', 'congestion: { mode: googcc, startRate: 800kbps, maxRate: 3mbps }',
        'link: { backend: userspace, delay: 20ms, rate: 2mbit, queue: { packets: 60 } }',
        'crossTraffic:', '  - { kind: tcp, at: 2s, duration: 4s }', '',
      ].join('\n'));
      const result = await execa(process.execPath, [cli, '--json', 'run', scenario, '--runs', path.join(dir, 'runs')], { reject: false, timeout: 150_000 });
      expect(result.exitCode, result.stderr).toBe(0);
      const crossRunDir = (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir: string }).runDir;
      const run = parseNdjson(await readFile(path.join(crossRunDir, 'run.ndjson'), 'utf8')).records as EventRecord[];
      expect(run.some((e) => e.name === 'cross-traffic-failed')).toBe(false);
      expect(run.find((e) => e.name === 'cross-traffic-start')?.detail).toMatchObject({ index: 0, kind: 'tcp', direction: 'up', durationS: 4 });
      const end = run.find((e) => e.name === 'cross-traffic-end');
      // Cubic takes a real share of the 2 Mbit/s link
      expect(Number(end?.detail?.receivedBps)).toBeGreaterThan(200_000);
      const results = validateResults(JSON.parse(await readFile(path.join(crossRunDir, 'results.json'), 'utf8')));
      if (!results.ok) throw results.error;
      const segment = results.results.congestion!.segments[0]!;
      expect(segment.crossCarriedBps).toBeGreaterThan(100_000);
      expect(segment.crossCarriedBps!).toBeLessThan(segment.carriedBps!);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
