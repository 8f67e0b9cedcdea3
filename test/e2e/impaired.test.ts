/**
 * End to end through the link emulator: `glasslab run scenarios/impaired-360p.yaml` puts sender
 * and receiver in their own network namespaces joined by the userspace link (jitter, bursty
 * Gilbert-Elliott loss on the media direction, a capacity drop at 3 s). Checked from the run
 * folder's own files: every media packet the sender sent has exactly one fate, loss and delay are
 * near the configured ones, the timeline change went in on time, nothing of the lab is left. Then
 * a run killed with SIGKILL is cleaned up by `glasslab doctor --cleanup`; netem where the kernel has it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { probeNetem } from '../../lab/impairment/netem.ts';
import { parseNdjson } from '../../src/shared/ndjson.ts';
import { validateResults, type Results } from '../../lab/results/schema.ts';
import { listNamespaces, namespacePids } from '../../lab/topology/ip.ts';
import { parseFateLog, type LinkFateRecord } from '../../src/link/fate.ts';
import type { EventRecord, PacketRecord } from '../../src/shared/records.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');
const scenario = path.join(root, 'scenarios/impaired-360p.yaml');
const netem = await probeNetem();

async function records<T>(file: string): Promise<T[]> {
  return parseNdjson(await readFile(file, 'utf8')).records as T[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Running (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Runs the scenario; returns the run folder and the CLI's exit code. */
async function runScenario(runsRoot: string, extra: string[] = []): Promise<{ runDir: string; exitCode: number | undefined; output: string; pid: number | undefined }> {
  const subprocess = execa(process.execPath, [cli, '--json', 'run', scenario, '--runs', runsRoot, ...extra], { reject: false, timeout: 150_000 });
  const pid = subprocess.pid;
  const result = await subprocess;
  const last = result.stdout.trim().split('\n').at(-1) ?? '{}';
  return { runDir: (JSON.parse(last) as { runDir: string }).runDir, exitCode: result.exitCode, output: `${result.stdout}\n${result.stderr}`, pid };
}

describePrivileged(rootLink())('glasslab run through the userspace link (needs root and /dev/net/tun)', () => {
  let runsRoot: string;
  let runDir: string;
  let exitCode: number | undefined;
  let output: string;
  let pid: number | undefined;
  let fates: LinkFateRecord[];
  let sent: PacketRecord[];
  let events: EventRecord[];
  let results: Results;

  beforeAll(async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-impaired-'));
    ({ runDir, exitCode, output, pid } = await runScenario(runsRoot));
    const parsed = parseFateLog(await readFile(path.join(runDir, 'link.ndjson'), 'utf8'));
    if ('error' in parsed) throw parsed.error;
    fates = parsed.records;
    sent = (await records<PacketRecord>(path.join(runDir, 'sender.ndjson'))).filter((r) => r.type === 'packet' && r.dir === 'out' && r.kind === 'media');
    events = (await records<EventRecord>(path.join(runDir, 'run.ndjson'))).filter((r) => r.type === 'event');
    const validated = validateResults(JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')));
    if (!validated.ok) throw validated.error;
    results = validated.results;
  }, 180_000);

  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('completes with the userspace backend and writes the fate log and pcap', async () => {
    expect(exitCode, output).toBe(0);
    expect(JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8'))).toMatchObject({ state: 'completed' });
    expect(results.link?.backend).toBe('userspace');
    expect(results.environment.backends['link.backend']).toBe('userspace');
    expect(existsSync(path.join(runDir, 'link.pcap'))).toBe(true);
    expect(results.summary.frames.displayed).toBeGreaterThan(30);
  });

  it('every media packet the sender sent has exactly one fate in the log', () => {
    expect(sent.length).toBeGreaterThan(200);
    const logged = new Map<string, LinkFateRecord[]>();
    for (const f of fates) {
      if (f.dir !== 'up' || f.duplicate || f.seq === undefined) continue;
      const key = `${f.ssrc}/${f.seq}`;
      logged.set(key, [...(logged.get(key) ?? []), f]);
    }
    const counts = sent.map((p) => logged.get(`${p.ssrc}/${p.seq}`)?.length ?? 0);
    expect(counts.filter((n) => n !== 1)).toEqual([]);
    const dropped = sent.filter((p) => logged.get(`${p.ssrc}/${p.seq}`)![0]!.drop !== undefined).length;
    expect(dropped).toBeGreaterThan(0); // lossy: some media packets were lost on the link
    expect(results.link?.mediaFates).toMatchObject({ sent: sent.length, loggedOnce: sent.length, missing: 0, repeated: 0, complete: true });
    expect(Object.values(results.link!.mediaFates!.droppedByReason).reduce((a, b) => a + b, 0)).toBe(dropped);
  });

  it('measured loss and delay are near the configured ones', () => {
    // the scenario's link applies from media start; ICE and DTLS connected over a clean link
    const mediaStartMs = events.find((e) => e.name === 'media-start')!.timeMs;
    const up = fates.filter((f) => f.dir === 'up' && !f.duplicate && f.enqueueMs >= mediaStartMs);
    const configured = results.link!.directions.up.segments[0]!.configured;
    expect(configured.loss).toBeCloseTo(0.03 / (0.03 + 0.35), 6);
    const lossRate = up.filter((f) => f.drop === 'loss').length / up.length;
    // Gilbert-Elliott (loss only in the bad state): the loss indicator is a two-state Markov chain
    // with lag-1 correlation λ = 1 - p - r, so the sample mean over n packets has variance
    // π(1-π)/n · (1+λ)/(1-λ); allow 3.5 standard deviations
    const lambda = 1 - 0.03 - 0.35;
    const pi = configured.loss!;
    const sd = Math.sqrt(((pi * (1 - pi)) / up.length) * ((1 + lambda) / (1 - lambda)));
    expect(up.length).toBeGreaterThan(500);
    expect(Math.abs(lossRate - pi), `loss ${lossRate} vs ${pi} ± ${3.5 * sd}`).toBeLessThan(3.5 * sd);
    expect(lossRate).toBeGreaterThan(0);
    expect(fates.filter((f) => f.dir === 'down' && f.drop === 'loss')).toEqual([]);
    const changeMs = events.find((e) => e.name === 'link-change')!.timeMs;
    const before = up.filter((f) => f.releaseMs !== undefined && f.enqueueMs < changeMs - 50).map((f) => f.releaseMs! - f.enqueueMs);
    // 30 ms ± 4 ms uniform jitter at 20 Mbit/s (≤ 0.5 ms serialisation); keep_order only delays
    // (a packet never leaves before the one ahead of it), so the median lies in [29, 34.5]
    expect(median(before)).toBeGreaterThan(29);
    expect(median(before)).toBeLessThan(34.5);
    expect(Math.min(...before)).toBeGreaterThan(25.9);
  });

  it('the capacity drop took effect within a few ms of its time', () => {
    const change = events.find((e) => e.name === 'link-change')!;
    const start = events.find((e) => e.name === 'media-start')!;
    expect(change.detail?.scheduledMs).toBeCloseTo(start.timeMs + 3000, 3);
    expect(change.timeMs - start.timeMs - 3000).toBeGreaterThanOrEqual(0);
    expect(change.timeMs - start.timeMs - 3000).toBeLessThan(5);
    // after the change each packet spends its serialisation time at 1.5 Mbit/s on top of the delay
    const up = fates.filter((f) => f.dir === 'up' && f.releaseMs !== undefined);
    const delay = (from: number, to: number) => median(up.filter((f) => f.enqueueMs >= from && f.enqueueMs < to).map((f) => f.releaseMs! - f.enqueueMs));
    const serialisationMs = (median(up.map((f) => f.size)) * 8) / 1500;
    expect(delay(change.timeMs + 5, Infinity) - delay(-Infinity, change.timeMs - 5)).toBeGreaterThan(0.8 * serialisationMs);
    expect(results.link?.changes[0]?.lateMs).toBeLessThan(5);
  });

  it('leaves no namespace, link or process of the run behind', async () => {
    const topology = String(events.find((e) => e.name === 'link-up')?.detail?.topology);
    expect(topology).toMatch(/^[0-9a-f]{6}$/);
    expect(pid).toBeGreaterThan(0);
    expect(listNamespaces().filter((ns) => ns.includes(topology))).toEqual([]);
    const links = await execa('ip', ['-o', 'link'], { reject: false });
    expect(links.stdout).not.toContain(`gl${topology}`);
    // this run's processes: STUN servers labelled with its topology, children by their control socket
    const leftovers = await execa('pgrep', ['-f', `stun-main\\.[jt]s [^ ]+ --run ${topology}|main\\.[jt]s --control [^ ]*glasslab-ctl-${pid}-|${runDir}`], { reject: false });
    expect(leftovers.stdout.trim()).toBe('');
  });
});

describePrivileged(rootLink())('a run killed with SIGKILL, then glasslab doctor --cleanup', () => {
  it('leaves nothing of the lab', async () => {
    const runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-killed-'));
    try {
      // wait until the media runs, then kill the orchestrator outright
      const { orchestrator, topology } = await startAndWaitForMedia(runsRoot);
      expect(topology, 'the run reached its media phase').toBeDefined();
      const inside = [...namespacePids(`gl-${topology}-snd`), ...namespacePids(`gl-${topology}-rcv`)];
      expect(inside.length).toBeGreaterThanOrEqual(2); // sender, receiver (and the STUN servers)
      orchestrator.kill('SIGKILL');
      await orchestrator;
      expect(listNamespaces().filter((ns) => ns.includes(topology!)).length).toBe(2); // left behind by the kill

      const cleanup = await execa(process.execPath, [cli, 'doctor', '--cleanup'], { reject: false });
      expect(cleanup.exitCode, cleanup.stdout + cleanup.stderr).toBe(0);
      expect(listNamespaces().filter((ns) => ns.includes(topology!))).toEqual([]);
      const links = await execa('ip', ['-o', 'link'], { reject: false });
      expect(links.stdout).not.toContain(`gl${topology}`);
      await new Promise((r) => setTimeout(r, 200));
      expect(inside.filter(alive)).toEqual([]);
      expect(existsSync(path.join(process.env.GLASSLAB_STATE_DIR ?? '/run/glasslab', `${topology}.json`))).toBe(false);
    } finally {
      await rm(runsRoot, { recursive: true, force: true });
    }
  }, 120_000);
});

/** Starts the CLI on the scenario and waits for its media phase; returns the process, its topology id and its runs folder. */
async function startAndWaitForMedia(runsRoot: string) {
  const orchestrator = execa(process.execPath, [cli, 'run', scenario, '--runs', runsRoot], { reject: false, forceKillAfterDelay: false });
  let topology: string | undefined;
  for (let i = 0; i < 600 && topology === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const dirs = await readdir(runsRoot);
    if (dirs.length === 0) continue;
    const run = await readFile(path.join(runsRoot, dirs[0]!, 'run.ndjson'), 'utf8').catch(() => '');
    if (run.includes('"media-start"')) topology = /"link-up".*?"topology":"([0-9a-f]{6})"/.exec(run)?.[1];
  }
  const runDir = path.join(runsRoot, (await readdir(runsRoot))[0] ?? '');
  return { orchestrator, topology, runDir };
}

describePrivileged(rootLink())('a run stopped with SIGTERM', () => {
  it('ends as interrupted and tears its network down', async () => {
    const runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-term-'));
    try {
      const { orchestrator, topology, runDir } = await startAndWaitForMedia(runsRoot);
      expect(topology, 'the run reached its media phase').toBeDefined();
      const inside = [...namespacePids(`gl-${topology}-snd`), ...namespacePids(`gl-${topology}-rcv`)];
      expect(inside.length).toBeGreaterThanOrEqual(2);
      orchestrator.kill('SIGTERM');
      const ended = await orchestrator;
      expect(ended.exitCode).toBe(3);
      expect(JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8'))).toMatchObject({ state: 'interrupted' });
      expect(listNamespaces().filter((ns) => ns.includes(topology!))).toEqual([]);
      await new Promise((r) => setTimeout(r, 200));
      expect(inside.filter(alive)).toEqual([]);
      // the fate log was flushed when the link stopped
      expect(parseFateLog(await readFile(path.join(runDir, 'link.ndjson'), 'utf8'))).toHaveProperty('records');
    } finally {
      await rm(runsRoot, { recursive: true, force: true });
    }
  }, 120_000);
});

describePrivileged(netem.available ? rootLink() : { usable: false, expected: false, reason: netem.reason ?? 'no netem' })('the same scenario on the netem backend', () => {
  it('runs with --link-backend netem, without a fate log', async () => {
    const runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-netem-'));
    try {
      const { runDir, exitCode, output } = await runScenario(runsRoot, ['--link-backend', 'netem']);
      expect(exitCode, output).toBe(0);
      const results = JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
      expect(results.link?.backend).toBe('netem');
      expect(results.link?.mediaFates).toBeNull();
      expect(existsSync(path.join(runDir, 'link.ndjson'))).toBe(false);
      expect(results.link?.changes[0]?.lateMs).toBeLessThan(20);
    } finally {
      await rm(runsRoot, { recursive: true, force: true });
    }
  }, 180_000);
});
