/**
 * Per-packet cost of the feedback units, in ns, on this machine:
 *   node --import tsx bench/feedback.ts
 * NACK requester at 1 % and 10 % loss (lost packets come back as RTX one RTT later), RTX history
 * insert and NACK lookup, leaky/null pacer enqueue+release at 10 k packets/s of virtual time, and
 * TWCC/NACK RTCP codecs. Prints a table and writes bench/results/feedback.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NackRequester } from '../src/receiver/nack/requester.ts';
import { RtxSender } from '../src/sender/rtx/rtx.ts';
import { LeakyPacer } from '../src/sender/pacer/leaky.ts';
import { NullPacer } from '../src/sender/pacer/null.ts';
import type { Pacer } from '../src/sender/pacer/pacer.ts';
import { encodeTwcc, parseTwcc } from '../src/shared/rtcp/twcc.ts';
import { encodeNack, parseNack } from '../src/shared/rtcp/nack.ts';

const PACKETS_PER_S = 10_000;
const STEP_MS = 1000 / PACKETS_PER_S;
/** repetitions per row; the table shows the median and the minimum (the machine is shared) */
const RUNS = 9;

interface Row { name: string; nsPerOp: number; minNsPerOp: number; ops: number; note: string }

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `body` (which returns ops done) RUNS times after one warm-up; median and min ns per op. */
function measure(name: string, note: string, body: () => number): Row {
  body();
  const samples: number[] = [];
  let ops = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    ops = body();
    samples.push(Number(process.hrtime.bigint() - t0) / ops);
  }
  samples.sort((a, b) => a - b);
  return { name, nsPerOp: samples[Math.floor(RUNS / 2)]!, minNsPerOp: samples[0]!, ops, note };
}

function nackRequester(loss: number): number {
  const n = 200_000;
  const rttMs = 50;
  const rand = rng(7);
  const r = new NackRequester({ initialRttMs: rttMs });
  const late: Array<{ atMs: number; seq: number }> = [];
  let lateHead = 0;
  let outputs = 0;
  for (let i = 0; i < n; i++) {
    const now = i * STEP_MS;
    while (lateHead < late.length && late[lateHead]!.atMs <= now) r.onPacket(late[lateHead++]!.seq, now);
    const seq = i & 0xffff;
    if (rand() < loss) late.push({ atMs: now + rttMs, seq });
    else r.onPacket(seq, now);
    const due = r.pollTimeout();
    if (due !== undefined && due <= now) r.handleTimeout(now);
    while (r.pollOutput() !== undefined) outputs++;
  }
  if (outputs === 0 && loss > 0) throw new Error('no NACKs: benchmark is not exercising the requester');
  return n;
}

function makePackets(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const p = new Uint8Array(size);
    p.set([0x80, 96, (i >> 8) & 0xff, i & 0xff, 0, 0, 0, 0, 0, 0, 0x04, 0x57]);
    return p;
  });
}
const packets = makePackets(4096, 1200);
const rtxOptions = {
  streams: [{ mediaSsrc: 0x457, rtxSsrc: 0x999, initialRtxSeq: 0 }], apt: { 97: 96 },
  history: { maxPackets: 1000, maxAgeMs: 1000 }, initialRttMs: 50,
};

function rtxInsert(): number {
  const n = 200_000;
  const s = new RtxSender(rtxOptions);
  for (let i = 0; i < n; i++) s.onMediaSent(packets[i & 4095]!, i * STEP_MS);
  return n;
}

function rtxLookup(): number {
  // no age eviction here: the history is filled once and asked for over 10 s of virtual time
  const s = new RtxSender({ ...rtxOptions, history: { maxPackets: 1000, maxAgeMs: 1e9 } });
  for (let i = 0; i < 1000; i++) s.onMediaSent(packets[i]!, 0);
  const n = 100_000;
  let made = 0;
  for (let i = 0; i < n; i++) {
    // each seq is asked for once per 1000 NACKs, 100 ms apart at most: beyond the 50 ms RTT hold-back
    s.handleNack(0x457, [i % 1000], 1 + Math.floor(i / 1000) * 100);
    const e = s.pollOutput();
    if (e?.type === 'rtx') made++;
  }
  if (made !== n) throw new Error(`only ${made} of ${n} lookups produced RTX`);
  return n;
}

function pacer(make: () => Pacer<number>): number {
  const n = 200_000;
  const p = make();
  let released = 0;
  for (let i = 0; i < n; i++) {
    const now = i * STEP_MS;
    const due = p.pollTimeout();
    if (due !== undefined && due <= now) p.handleTimeout(now);
    p.enqueue({ kind: i % 10 === 0 ? 'fec' : 'media', sizeBytes: 1200, data: i }, now);
    while (p.pollOutput() !== undefined) released++;
  }
  if (released < n * 0.99) throw new Error(`pacer released only ${released} of ${n}`);
  return n;
}

const twccDeltas = Array.from({ length: 100 }, (_, i) => (i % 17 === 0 ? null : i % 5 === 0 ? 400 : 4));
function twcc(): number {
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const b = encodeTwcc({ senderSsrc: 1, mediaSsrc: 2, baseSeq: i & 0xffff, referenceTime: i, feedbackCount: i & 0xff, deltas: twccDeltas });
    if (!parseTwcc(b).ok) throw new Error('twcc');
  }
  return n;
}
const nackSeqs = [5, 6, 9, 40, 41, 42, 100];
function nackCodec(): number {
  const n = 100_000;
  for (let i = 0; i < n; i++) if (!parseNack(encodeNack({ senderSsrc: 1, mediaSsrc: 2, seqs: nackSeqs })).ok) throw new Error('nack');
  return n;
}

const rows: Row[] = [
  measure('nack-requester, 1 % loss', 'per media packet; onPacket + pollTimeout/handleTimeout + drain', () => nackRequester(0.01)),
  measure('nack-requester, 10 % loss', 'per media packet; onPacket + pollTimeout/handleTimeout + drain', () => nackRequester(0.1)),
  measure('rtx history insert', 'per packet; RtxSender.onMediaSent, 1200 B, 1000-packet history', rtxInsert),
  measure('rtx lookup + wrap', 'per NACKed seq; handleNack + RTX packet built + pollOutput', rtxLookup),
  measure('leaky pacer enqueue+release', '10 k packets/s of 1200 B at 2.5 × 40 Mbit/s', () => pacer(() => new LeakyPacer<number>({ initialTargetBps: 40_000_000, pacingFactor: 2.5 }))),
  measure('null pacer enqueue+release', '10 k packets/s', () => pacer(() => new NullPacer<number>())),
  measure('twcc encode+parse, 100 packets', 'per feedback packet', twcc),
  measure('nack encode+parse, 7 seqs', 'per NACK packet', nackCodec),
];

const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`feedback units, ${os.cpus()[0]?.model ?? 'cpu?'} × ${os.cpus().length}, load ${load}, node ${process.version}, median and min of ${RUNS} runs`);
console.log(`${'unit'.padEnd(34)} ${'ns/op'.padStart(9)} ${'min'.padStart(9)} ${'ops'.padStart(8)}  note`);
for (const r of rows) {
  console.log(`${r.name.padEnd(34)} ${r.nsPerOp.toFixed(0).padStart(9)} ${r.minNsPerOp.toFixed(0).padStart(9)} ${String(r.ops).padStart(8)}  ${r.note}`);
}
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'feedback.json'), `${JSON.stringify({
  bench: 'feedback', date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? null,
  cores: os.cpus().length, loadAverage: os.loadavg(), runs: RUNS, simulatedPacketsPerSecond: PACKETS_PER_S, rows,
}, null, 2)}\n`);
