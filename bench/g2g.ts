/**
 * Glass-to-glass benchmark (issue 4 §6), two parts in one run:
 * 1. the lab's own added latency at 720p30 over loopback: a real run (runScenario + buildReport
 *    of scenarios/smoke.yaml, or --scenario FILE), every displayed frame broken down into
 *    contiguous stages from render submit to marker read (bench/g2g-stages.ts); the lab's added
 *    latency = (markerRead − renderSubmit) − render − encode − decode, p50/p99 against the target
 *    (≤ 2 ms p50, ≤ 5 ms p99);
 * 2. the transport's packet-rate ceiling: SenderPeer → ReceiverPeer processes over loopback with
 *    the lab's packetizer and frame assembler, offered load stepped up (bench/g2g-packet-rate.ts),
 *    next to werift's raw SRTP cost measured in the same run.
 * The latency part runs once per child code (--code, default tsx,compiled when dist/ matches the
 * sources): the same scenario with the sender and receiver run through tsx and compiled from
 * dist/, side by side in one run, with each child's CPU per frame and at startup
 * (bench/g2g-child-cpu.ts).
 * And once per pacer mode (--pacer, default the scenario's): none (every packet leaves at once: the
 * lab's own cost) and leaky (a frame spread at factor × target: what a paced sender adds), two
 * different questions, side by side, each as a ratio to the plain-UDP floor measured in the run.
 * Prints tables, writes bench/results/g2g.json.
 * Usage: node --import tsx bench/g2g.ts [--quick] [--seconds N] [--scenario FILE] [--code tsx,compiled] [--pacer none,leaky] [--skip-latency] [--skip-rate]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../lab/scenario/load.ts';
import { runScenario } from '../lab/run/orchestrator.ts';
import { buildReport } from '../lab/report/build.ts';
import { loadRun } from '../lab/report/load-run.ts';
import type { DistributionStats } from '../lab/metrics/stats.ts';
import { G2G_STAGES, summarizeBreakdown, type BreakdownSummary } from './g2g-stages.ts';
import { measureUdpFloor } from './g2g-udp-floor.ts';
import { DEFAULT_RECEIVE_BUFFER_BYTES } from '../src/transport/webrtc-peer.ts';
import { measurePacketRate, measureSrtpAnchor, type RateStep, type SrtpAnchor } from './g2g-packet-rate.ts';
import { readRunCpu, type RunCpu } from './g2g-child-cpu.ts';
import { CHILD_CODE_ENV, type ChildEntry } from '../lab/run/child-entry.ts';
import { distFreshness } from '../bin/dist-freshness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const quick = args.includes('--quick');
const scenarioFile = option('--scenario') ?? path.join(here, '../scenarios/smoke.yaml');
const runSeconds = Number(option('--seconds') ?? (quick ? 5 : 10));
const stepSeconds = quick ? 1.5 : 3;
const offeredRates = [5_000, 10_000, 20_000, 40_000, 0];
const codes = (option('--code') ?? (distFreshness().state === 'fresh' ? 'tsx,compiled' : 'tsx')).split(',') as ChildEntry['code'][];
for (const code of codes as string[]) if (code !== 'tsx' && code !== 'compiled') throw new Error(`--code ${code}: not one of tsx, compiled`);
if (codes.includes('compiled') && distFreshness().state !== 'fresh') throw new Error('--code compiled: dist/ does not match the sources (run scripts/build-dist.sh)');
const pacerModes = option('--pacer')?.split(',') as ('none' | 'leaky')[] | undefined;
for (const mode of (pacerModes ?? []) as string[]) if (mode !== 'none' && mode !== 'leaky') throw new Error(`--pacer ${mode}: not one of none, leaky`);
/** target of issue 4 §6 for the lab's added latency, ms */
const TARGET = { p50Ms: 2, p99Ms: 5 };

const fmt = (value: number | null | undefined, digits = 2): string => (value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits));
const row = (cells: (string | number)[], widths: number[]): string => cells.map((c, i) => String(c).padStart(widths[i] ?? 10)).join(' ');
const statsRow = (name: string, s: DistributionStats): string => row([name, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.mean), fmt(s.max)], [14, 9, 9, 9, 9, 9]);

interface LatencyResult {
  scenario: string;
  /** what the sender and receiver ran */
  code: ChildEntry['code'];
  /** the pacer mode of the run */
  pacer: string;
  cpu: RunCpu;
  runDir: string;
  status: string;
  framesDisplayed: number;
  reportG2g: { p50Ms: number | null; p95Ms: number | null };
  breakdown: BreakdownSummary;
  target: typeof TARGET;
  meetsTarget: boolean;
}

async function measureLatency(code: ChildEntry['code'], pacerMode?: 'none' | 'leaky'): Promise<LatencyResult> {
  const base = await loadScenario(scenarioFile);
  const pacer = { ...(base.pacer ?? { mode: 'none' as const, factor: 2.5, burstMs: 40, queueLimitMs: null }), ...(pacerMode ? { mode: pacerMode } : {}) };
  const scenario = { ...base, durationMs: runSeconds * 1000, pacer };
  const runsRoot = mkdtempSync(path.join(os.tmpdir(), 'glasslab-g2g-'));
  process.env[CHILD_CODE_ENV] = code;
  const outcome = await runScenario(scenario, { runsRoot, onPhase: (p) => process.stderr.write(`[g2g] ${scenario.name} (${code}, pacer ${pacer.mode}): ${p}\n`) });
  delete process.env[CHILD_CODE_ENV];
  if (outcome.status.state !== 'completed') throw new Error(`run ${outcome.status.state}: ${outcome.status.message ?? ''} (${outcome.runDir})`);
  const built = await buildReport(outcome.runDir);
  const loaded = await loadRun(outcome.runDir);
  const breakdown = summarizeBreakdown(loaded.records.senderFrames, loaded.records.receiverFrames);
  const summary = built.results.summary as unknown as { g2g?: { p50?: number | null; p95?: number | null }; frames?: { displayed?: number } };
  return {
    scenario: scenario.name,
    code,
    pacer: pacer.mode,
    cpu: await readRunCpu(outcome.runDir),
    runDir: outcome.runDir,
    status: outcome.status.state,
    framesDisplayed: breakdown.frames,
    reportG2g: { p50Ms: summary.g2g?.p50 ?? null, p95Ms: summary.g2g?.p95 ?? null },
    breakdown,
    target: TARGET,
    meetsTarget: (breakdown.labAdded.p50 ?? Infinity) <= TARGET.p50Ms && (breakdown.labAdded.p99 ?? Infinity) <= TARGET.p99Ms,
  };
}

function printLatency(result: LatencyResult): void {
  const b = result.breakdown;
  console.log(`\n== glass-to-glass breakdown: ${result.scenario}, children ${result.code}, pacer ${result.pacer}, ${b.frames} frames (${b.incomplete} lacking a stage time), run ${result.runDir}`);
  console.log(row(['stage (ms)', 'p50', 'p95', 'p99', 'mean', 'max'], [14, 9, 9, 9, 9, 9]));
  for (const { name, work } of G2G_STAGES) console.log(statsRow(`${work ? '*' : ' '}${name}`, b.stages[name]));
  console.log(statsRow('g2g', b.g2g));
  console.log(statsRow('submit→marker', b.total));
  console.log(statsRow('LAB ADDED', b.labAdded));
  console.log(`(* = rendering/encoding/decoding work; LAB ADDED = submit→marker − render − encode − decode; capture stamp − render submit p50 ${fmt(b.captureAfterSubmit.p50)} ms)`);
  console.log(`target ≤ ${TARGET.p50Ms} ms p50 / ≤ ${TARGET.p99Ms} ms p99: ${result.meetsTarget ? 'met' : 'NOT met'}`);
}

function printRate(title: string, steps: readonly RateStep[], anchors: readonly SrtpAnchor[], negotiated: number | undefined): void {
  const w = [9, 9, 10, 8, 10, 10, 8, 8, 8, 8, 8];
  console.log(`\n== packet rate, SenderPeer → ReceiverPeer over loopback, 1200 B packets, ${stepSeconds} s per step, ${title} (SRTP profile ${negotiated ?? '?'})`);
  console.log(row(['offered', 'sent/s', 'deliv/s', 'loss%', 'snd µs/p', 'rcv µs/p', 'snd cpu', 'rcv cpu', 'rcvbuf', 'dtls in', 'frames'], w));
  for (const s of steps) {
    console.log(row([s.offeredPps || 'max', fmt(s.sentPps, 0), fmt(s.deliveredPps, 0), fmt(s.loss * 100, 1), fmt(s.senderCpuUsPerPacket, 1), fmt(s.receiverCpuUsPerPacket, 1), fmt(s.senderCpuLoad), fmt(s.receiverCpuLoad), s.rcvbufErrors, s.transportIn, s.frames], w));
  }
  if (anchors.length === 0) return;
  console.log('\n== werift raw SRTP, one core (per CPU-second), 1200 B');
  console.log(row(['profile', 'enc/s', 'enc µs/p', 'dec/s', 'dec µs/p'], [9, 10, 10, 10, 10]));
  for (const a of anchors) console.log(row([a.profile, fmt(a.encryptPps, 0), fmt(a.encryptUsPerPacket, 1), fmt(a.decryptPps, 0), fmt(a.decryptUsPerPacket, 1)], [9, 10, 10, 10, 10]));
}

const result: Record<string, unknown> = { bench: 'g2g', startedAt: new Date().toISOString(), host: { cpus: os.cpus().length, loadavg: os.loadavg(), niceness: os.getPriority() } };
function printCodeComparison(results: readonly LatencyResult[]): void {
  const w = [10, 9, 11, 11, 13, 13, 12, 12];
  console.log('\n== children through tsx vs compiled (dist/), same scenario, one after the other');
  console.log(row(['code', 'frames', 'added p50', 'added p99', 'snd µs/frame', 'rcv µs/frame', 'snd start', 'rcv start'], w));
  for (const r of results) {
    const child = (role: 'sender' | 'receiver') => r.cpu.children.find((c) => c.role === role);
    console.log(row([r.code, r.breakdown.frames, fmt(r.breakdown.labAdded.p50), fmt(r.breakdown.labAdded.p99), fmt(child('sender')?.cpuUsPerFrame, 0), fmt(child('receiver')?.cpuUsPerFrame, 0), fmt(child('sender')?.cpuStartupMs, 0), fmt(child('receiver')?.cpuStartupMs, 0)], w));
  }
  console.log('(added = lab-added ms; µs/frame = whole-process CPU from start to stop ÷ frames, render/encode/decode included; start = CPU ms before the run started: module loading, Vulkan, encoder, negotiation)');
  console.log(`spawn → both children configured: ${results.map((r) => `${r.code} ${fmt(r.cpu.startToConfiguredMs, 0)} ms`).join(', ')}`);
}

if (!args.includes('--skip-latency')) {
  const runs: LatencyResult[] = [];
  for (const code of codes) {
    for (const mode of pacerModes ?? [undefined]) {
      runs.push(await measureLatency(code, mode));
      printLatency(runs.at(-1)!);
    }
  }
  if (codes.length > 1) printCodeComparison(runs.filter((r) => r.pacer === runs[0]!.pacer));
  const latency = runs.at(-1)!;
  // What the host alone costs a datagram between two Node processes (no SRTP, no werift).
  const udpFloor = await measureUdpFloor(210, quick ? 2 : 4);
  console.log(`plain UDP one-way between two Node processes (host floor under "network"), 210 datagrams/s: p50 ${fmt(udpFloor.p50)} p95 ${fmt(udpFloor.p95)} p99 ${fmt(udpFloor.p99)} max ${fmt(udpFloor.max)} ms; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('\n== lab-added latency by pacer mode and child code, and its ratio to the plain-UDP floor (p50 / p99 each)');
  const w = [10, 7, 8, 11, 11, 11, 11, 13, 13];
  console.log(row(['code', 'pacer', 'frames', 'added p50', 'added p99', '× UDP p50', '× UDP p99', 'snd µs/frame', 'rcv µs/frame'], w));
  for (const r of runs) {
    const child = (role: 'sender' | 'receiver') => r.cpu.children.find((c) => c.role === role);
    const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a == null || b == null || b <= 0 ? '-' : (a / b).toFixed(0));
    console.log(row([r.code, r.pacer, r.breakdown.frames, fmt(r.breakdown.labAdded.p50), fmt(r.breakdown.labAdded.p99), ratio(r.breakdown.labAdded.p50, udpFloor.p50), ratio(r.breakdown.labAdded.p99, udpFloor.p99), fmt(child('sender')?.cpuUsPerFrame, 0), fmt(child('receiver')?.cpuUsPerFrame, 0)], w));
  }
  result.latency = { ...latency, udpFloorMs: udpFloor, loadavgAfter: os.loadavg() };
  result.latencyByCode = runs;
}
if (!args.includes('--skip-rate')) {
  const anchors = [measureSrtpAnchor(1, 1200, quick ? 0.5 : 1), measureSrtpAnchor(7, 1200, quick ? 0.5 : 1)];
  // Before/after of ReceiverPeer's larger socket receive buffer, in the same run.
  const systemDefault = await measurePacketRate(offeredRates, stepSeconds, 0);
  printRate('receiver SO_RCVBUF = system default', systemDefault.steps, [], systemDefault.srtpProfile);
  const peerDefault = await measurePacketRate(offeredRates, stepSeconds);
  printRate(`receiver SO_RCVBUF = ReceiverPeer default (${DEFAULT_RECEIVE_BUFFER_BYTES} B)`, peerDefault.steps, anchors, peerDefault.srtpProfile);
  result.packetRate = {
    stepSeconds,
    packetBytes: 1200,
    negotiatedSrtpProfile: peerDefault.srtpProfile ?? null,
    steps: peerDefault.steps,
    stepsWithSystemReceiveBuffer: systemDefault.steps,
    receiveBufferBytes: DEFAULT_RECEIVE_BUFFER_BYTES,
    srtpAnchor: anchors,
  };
}
mkdirSync(path.join(here, 'results'), { recursive: true });
const out = path.join(here, 'results', 'g2g.json');
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nwrote ${out}`);
if (process.env.G2G_KEEP_RUN !== '1') for (const run of (result.latencyByCode as LatencyResult[] | undefined) ?? []) rmSync(path.dirname(run.runDir), { recursive: true, force: true });
