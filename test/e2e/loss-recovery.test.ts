/**
 * Loss recovery over the userspace link, from wire truth (issue 6): real runs of the CLI (Vulkan
 * on lavapipe, x264, werift in two network namespaces, the TUN data plane with its fate log).
 *
 * - FEC only at 5 % random loss: the receiver's FEC decoder recovers what the masks allow — the
 *   count computed from the sender's fec-block records and the link's fate log alone.
 * - NACK only at 40 ms RTT: nearly every loss recovered by RTX, the NACK → RTX time about one RTT.
 * - The same seed twice: the link gives every RTP packet both runs sent (same payload type and
 *   sequence number) the same fate. A live encoder does not produce byte-identical streams twice
 *   (the capture time is in the pixels), so the runs' packet sets differ slightly; the recovery
 *   counts of the two runs are compared to what each run's masks allowed, and to each other.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseNdjson } from '../../src/shared/ndjson.ts';
import type { Results } from '../../lab/results/schema.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

/** A 4 s 360p scenario over the userspace link with 5 % random loss on the media direction. */
function scenarioYaml(name: string, oneWayDelayMs: number, protection: string): string {
  return `name: ${name}
duration: 4s
resolution: 640x360
fps: 30
seed: 9876
encoder: { codec: x264, bitrate: 800kbps }
protection: ${protection}
link:
  backend: userspace
  delay: ${oneWayDelayMs}ms
  jitter: 2ms
  keep_order: true
  rate: 20mbit
  queue: { packets: 200 }
  up:
    loss: { model: random, p: 5% }
`;
}

interface Run {
  exitCode: number | undefined;
  output: string;
  results: Results;
  fates: LinkFateRecord[];
}

async function run(dir: string, name: string, yaml: string): Promise<Run> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, yaml);
  const result = await execa(process.execPath, [cli, '--json', 'run', file, '--runs', dir], { reject: false, timeout: 120_000 });
  const last = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir?: string };
  if (!last.runDir) throw new Error(`no run folder: ${result.stdout}\n${result.stderr}`);
  const results = JSON.parse(await readFile(path.join(last.runDir, 'results.json'), 'utf8')) as Results;
  const fates = parseNdjson(await readFile(path.join(last.runDir, 'link.ndjson'), 'utf8')).records as LinkFateRecord[];
  return { exitCode: result.exitCode, output: `${result.stdout}\n${result.stderr}`, results, fates };
}

/** Fate of each RTP packet going up, keyed by payload type and sequence number (first copy only). */
function rtpFates(fates: readonly LinkFateRecord[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const f of fates) {
    if (f.dir !== 'up' || f.duplicate || f.pt === undefined || f.seq === undefined) continue;
    const key = `${f.pt}/${f.seq}`;
    if (!out.has(key)) out.set(key, f.drop === undefined);
  }
  return out;
}

describePrivileged(rootLink())('loss recovery from wire truth over the userspace link (needs root and /dev/net/tun)', () => {
  let dir: string;
  let fecA: Run;
  let fecB: Run;
  let nack: Run;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-loss-recovery-'));
    const fec = scenarioYaml('fec-5pct', 10, '{ mode: fec, fec: flexfec, mask: random, fecRates: { key: 80, delta: 60 } }');
    fecA = await run(dir, 'fec-a', fec);
    fecB = await run(dir, 'fec-b', fec);
    nack = await run(dir, 'nack-40ms', scenarioYaml('nack-40ms', 20, '{ mode: nack }'));
  }, 400_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('every run completes with a recovery section', () => {
    for (const r of [fecA, fecB, nack]) {
      expect(r.exitCode, r.output).toBe(0);
      expect(r.results.recovery, r.output).not.toBeNull();
    }
  });

  it('FEC only at 5 % loss: the decoder recovers what the masks allow, and nothing is left to RTX', () => {
    for (const r of [fecA, fecB]) {
      const rec = r.results.recovery!;
      expect(rec.totals.dropped).toBeGreaterThan(10);
      expect(rec.fecRecoverable).not.toBeNull();
      // recovered in time or too late, by FEC: exactly the packets the masks make recoverable
      expect(rec.totals.fec + rec.totals.tooLate).toBe(rec.fecRecoverable);
      expect(rec.totals.rtx).toBe(0);
      expect(rec.totals.fec + rec.totals.rtx + rec.totals.tooLate + rec.totals.never).toBe(rec.totals.dropped);
      expect(rec.fecOverhead!).toBeGreaterThan(0.1);
    }
  });

  it('the same seed gives every common RTP packet the same fate on the link', () => {
    const a = rtpFates(fecA.fates);
    const b = rtpFates(fecB.fates);
    let common = 0;
    let differ = 0;
    for (const [key, kept] of a) {
      const other = b.get(key);
      if (other === undefined) continue;
      common++;
      if (other !== kept) differ++;
    }
    expect(common).toBeGreaterThan(0.9 * Math.min(a.size, b.size));
    expect(differ).toBe(0);
    // the recovery outcome follows: same drops, same masks → the same counts, up to the packets
    // one run sent and the other did not (measured here: 16 dropped, 14 by FEC in both runs)
    const ra = fecA.results.recovery!;
    const rb = fecB.results.recovery!;
    const slack = Math.abs(ra.mediaPacketsSent - rb.mediaPacketsSent) + 2;
    expect(Math.abs(ra.totals.dropped - rb.totals.dropped)).toBeLessThanOrEqual(slack);
    expect(Math.abs(ra.totals.fec - rb.totals.fec)).toBeLessThanOrEqual(slack);
  });

  it('NACK only at 40 ms RTT: nearly every loss recovered by RTX, about one RTT after the NACK', () => {
    const rec = nack.results.recovery!;
    expect(rec.totals.dropped).toBeGreaterThan(10);
    // most by RTX: a retransmission the link drops too costs another round, and with the machine's
    // two cores shared with the other test files (the qemu guest among them) such a second round
    // can miss the assembler's wait: 14 of 16 seen then (0.875), 16 of 16 on a quiet machine
    expect(rec.rtxRecoveryRatio!).toBeGreaterThanOrEqual(0.8);
    expect(rec.totals.never).toBeLessThanOrEqual(2);
    expect(rec.totals.fec).toBe(0);
    // RTT 40 ms + 2 × 2 ms jitter each way + host time
    expect(rec.nackToRtxMs.p50!).toBeLessThan(40 + 8 + 15);
    expect(rec.nackToRtxMs.p50!).toBeGreaterThan(38);
    // loss → RTX adds the gap detection (the next packet; at most about a frame interval)
    expect(rec.lossToRtxMs.p50!).toBeLessThan(40 + 8 + 34 + 15);
  });
});
