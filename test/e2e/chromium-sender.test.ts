/**
 * Chromium as the sender of real runs (`sender: { kind: chromium }`): /usr/bin/chromium headless
 * in the sender's namespace draws the marked scene, encodes H.264 with libwebrtc and sends it to
 * the lab's receiver. Over loopback: the lab decodes libwebrtc's stream and reads its markers.
 * Over the lossy userspace link: the lab's NACKs are answered by libwebrtc's RTX, and the lab's
 * FlexFEC decoder recovers libwebrtc's FlexFEC-03, by the fate log's count (the sender's packets
 * are the link's). Skipped only where /usr/bin/chromium is absent.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResults, type Results } from '../../lab/results/schema.ts';
import { chromiumUnavailableReason } from '../../src/chromium/browser.ts';
import { parseNdjson } from '../../src/shared/ndjson.ts';
import type { PeerStatsRecord } from '../../src/shared/records.ts';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');
const missing = chromiumUnavailableReason();

interface Ran {
  exitCode: number | undefined;
  results: Results;
  stderr: string;
  outbound: Record<string, number | string>;
}

async function run(dir: string, name: string, lines: string[]): Promise<Ran> {
  const scenario = path.join(dir, `${name}.yaml`);
  await writeFile(scenario, [`name: ${name}`, 'duration: 5s', 'resolution: 640x360', 'fps: 30', 'seed: 4321', 'encoder: { bitrate: 1000kbps }', 'sender: { kind: chromium }', ...lines, ''].join('\n'));
  const result = await execa(process.execPath, [cli, '--json', 'run', scenario, '--runs', path.join(dir, 'runs')], { reject: false, timeout: 120_000 });
  const runDir = (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir?: string }).runDir;
  if (!runDir) throw new Error(`no run folder; stderr:\n${result.stderr}`);
  const validated = validateResults(JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')));
  if (!validated.ok) throw validated.error;
  const stats = parseNdjson(await readFile(path.join(runDir, 'sender.ndjson'), 'utf8')).records.filter((r): r is PeerStatsRecord => (r as { type?: string }).type === 'peer-stats');
  const outbound = stats.at(-1)?.reports.find((r) => r.type === 'outbound-rtp')?.values ?? {};
  return { exitCode: result.exitCode, results: validated.results, stderr: result.stderr, outbound };
}

describe.skipIf(missing !== undefined)(`the lab receives Chromium's stream over loopback${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir: string;
  let clean: Ran;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-chromium-sender-'));
    clean = await run(dir, 'chromium-sends', []);
  }, 180_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("decodes libwebrtc's H.264 and reads ≥ 95 % of the markers Chromium drew", () => {
    expect(clean.exitCode, clean.stderr).toBe(0);
    const { frames } = clean.results.summary;
    expect(frames.sent).toBeGreaterThan(120);
    expect(frames.displayed).toBeGreaterThanOrEqual(0.95 * frames.sent);
    expect(frames.unreadableMarkers).toBe(0);
    // the last getStats sample is taken as the page stops: the last frame or two may be encoded after it
    expect(Number(clean.outbound.framesEncoded)).toBeGreaterThanOrEqual(frames.displayed - 2);
    // loopback, libwebrtc's encoder and the lab's decoder: tens of milliseconds at most
    expect(clean.results.summary.g2g.p50).toBeLessThan(100);
  });
});

describePrivileged(rootLink())("the lab receives Chromium's stream over the impaired userspace link (needs root and /dev/net/tun)", () => {
  const lossyLink = ['link:', '  backend: userspace', '  delay: 30ms', '  jitter: 4ms', '  keep_order: true', '  rate: 20mbit', '  queue: { packets: 100 }', '  up:', '    loss: { model: random, p: 5% }'];
  let dir: string;
  let nack: Ran;
  let flexfec: Ran;
  beforeAll(async () => {
    if (missing) throw new Error(missing);
    dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-chromium-sender-loss-'));
    nack = await run(dir, 'chromium-sends-nack', ['protection: { mode: nack }', ...lossyLink]);
    flexfec = await run(dir, 'chromium-sends-flexfec', ['protection: { mode: fec, fec: flexfec }', ...lossyLink]);
  }, 240_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("NACK only: the lab's NACKs reach libwebrtc and its RTX repairs what the link dropped", () => {
    expect(nack.exitCode, nack.stderr).toBe(0);
    const rec = nack.results.recovery!;
    console.log(JSON.stringify({ totals: rec.totals, nacksSent: rec.nacksSent, outbound: { nackCount: nack.outbound.nackCount, retransmittedPacketsSent: nack.outbound.retransmittedPacketsSent } }));
    expect(rec.totals.dropped).toBeGreaterThan(0);
    expect(rec.totals.rtx).toBeGreaterThanOrEqual(0.8 * rec.totals.dropped);
    // every NACK the lab sent that the link delivered (it drops none on the way back) reached
    // libwebrtc; its last getStats sample may predate the last NACK or two (6 vs 7 seen in a full run)
    expect(Number(nack.outbound.nackCount)).toBeLessThanOrEqual(rec.nacksSent);
    expect(Number(nack.outbound.nackCount)).toBeGreaterThanOrEqual(rec.nacksSent - 2);
    expect(Number(nack.outbound.retransmittedPacketsSent)).toBeGreaterThan(0);
    expect(nack.results.warnings?.map((w) => w.code)).toContain('SENDER_BY_PEER');
  });

  it("FlexFEC only: the lab's decoder recovers libwebrtc's FlexFEC-03", () => {
    expect(flexfec.exitCode, flexfec.stderr).toBe(0);
    const rec = flexfec.results.recovery!;
    console.log(JSON.stringify({ totals: rec.totals, fecPacketsSent: rec.fecPacketsSent }));
    expect(rec.fecPacketsSent).toBeGreaterThan(0);
    expect(rec.totals.fec).toBeGreaterThan(0);
    expect(rec.totals.rtx).toBe(0);
  });
});
