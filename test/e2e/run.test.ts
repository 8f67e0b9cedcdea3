/**
 * End to end on the real pieces: `glasslab run` starts the sender (Vulkan on lavapipe → x264) and
 * the receiver (werift → decoder → marker) as processes over loopback, then the report is checked
 * against the records and in headless Chromium.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchOfflineChromium, openOffline } from '../helpers/offline-chromium.ts';
import { validateResults } from '../../lab/results/schema.ts';
import { parseNdjson } from '../../src/shared/ndjson.ts';
import type { ReceiverFrameRecord, SenderFrameRecord } from '../../src/shared/records.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

async function records<T>(file: string): Promise<T[]> {
  return parseNdjson(await readFile(file, 'utf8')).records as T[];
}

describe('glasslab run (360p x264 over loopback WebRTC)', () => {
  let runsRoot: string;
  let runDir: string;
  let exitCode: number | undefined;
  let stdout: string;
  let orchestratorPid: number | undefined;
  let sender: SenderFrameRecord[];
  let receiver: ReceiverFrameRecord[];

  beforeAll(async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-'));
    const subprocess = execa(process.execPath, [cli, '--json', 'run', path.join(root, 'scenarios/ci-360p.yaml'), '--runs', runsRoot], {
      reject: false,
      timeout: 90_000,
    });
    orchestratorPid = subprocess.pid;
    const result = await subprocess;
    exitCode = result.exitCode;
    stdout = result.stdout;
    runDir = (JSON.parse(stdout.trim().split('\n').at(-1)!) as { runDir: string }).runDir;
    sender = (await records<SenderFrameRecord | { type: string }>(path.join(runDir, 'sender.ndjson'))).filter(
      (r): r is SenderFrameRecord => r.type === 'frame',
    );
    receiver = (await records<ReceiverFrameRecord | { type: string }>(path.join(runDir, 'receiver.ndjson'))).filter(
      (r): r is ReceiverFrameRecord => r.type === 'frame',
    );
  }, 120_000);

  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('completes, meets its budget and leaves no process behind', async () => {
    expect(exitCode, stdout).toBe(0);
    const status = JSON.parse(await readFile(path.join(runDir, 'status.json'), 'utf8')) as { state: string };
    expect(status.state).toBe('completed');
    // this run's children only: their control socket is /tmp/glasslab-ctl-<orchestrator pid>-…/control.sock
    // (other runs may be going on at the same time)
    const leftovers = await execa('pgrep', ['-f', `${runDir}|src/(sender|receiver)/main\\.[jt]s --control [^ ]*glasslab-ctl-${orchestratorPid}-`], { reject: false });
    expect(leftovers.stdout.trim()).toBe('');
  });

  it('env.json records the options the sender opened the encoder with (src/sender/encoder-options.ts)', async () => {
    const env = JSON.parse(await readFile(path.join(runDir, 'env.json'), 'utf8')) as { encoders: string[] };
    expect(env.encoders[0]).toMatch(/^x264: .+; x264 640x360@30 bitrateBps=800000 gop=0 vbvFrames=1 threads=1 qpMax=default input=i420$/);
  });

  it('every frame arrives, in order, with the capture time the sender stamped', () => {
    // 4 s at 30 fps, paced by CLOCK_MONOTONIC: about 120 frames, none dropped on the way
    expect(sender.length).toBeGreaterThanOrEqual(110);
    expect(sender.filter((f) => f.dropped !== undefined)).toEqual([]);
    const displayed = receiver.filter((f) => f.marker === 'ok');
    expect(displayed.length).toBe(sender.length);
    const byId = new Map(sender.map((f) => [f.frameId, f]));
    let previous = -1;
    for (const frame of [...displayed].sort((a, b) => a.markerReadMs! - b.markerReadMs!)) {
      expect(frame.frameId!).toBeGreaterThan(previous);
      previous = frame.frameId!;
      // the marker read from the decoded pixels carries exactly the sender's capture time
      expect(frame.captureMs).toBe(byId.get(frame.frameId!)!.captureMs);
      expect(frame.rtpTimestamp).toBe(byId.get(frame.frameId!)!.rtpTimestamp);
    }
  });

  it('results.json validates and its G2G is computed from the records for >= 99 % of frames', async () => {
    const parsed = validateResults(JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { summary } = parsed.results;
    expect(summary.g2g.count).toBeGreaterThanOrEqual(Math.ceil(0.99 * sender.length));
    const g2g = receiver.filter((f) => f.marker === 'ok').map((f) => f.markerReadMs! - f.captureMs!).sort((a, b) => a - b);
    const p50 = g2g[Math.ceil(0.5 * g2g.length) - 1]!;
    expect(summary.g2g.p50).toBeCloseTo(p50, 6);
    // glass-to-glass includes at least render→capture, encode and decode: it is never below them
    for (const f of receiver.filter((r) => r.marker === 'ok')) expect(f.markerReadMs! - f.captureMs!).toBeGreaterThan(f.decodeDoneMs! - f.decodeStartMs!);
    expect(await readFile(path.join(runDir, 'junit.xml'), 'utf8')).toContain('g2g.p95');
  });

  it.skipIf(!hasChromium())('the report renders its charts in Chromium without errors or network', async () => {
    const chromium = await launchOfflineChromium();
    try {
      const { page, blocked, errors } = await openOffline(chromium.browser, path.join(runDir, 'report.html'), { width: 1280, height: 900 });
      const text = await page.evaluate(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText);
      expect(blocked).toEqual([]);
      expect(errors).toEqual([]);
      expect(text).toContain('ci-360p');
      expect(text).toContain('llvmpipe');
    } finally {
      await chromium.close();
    }
  });
});

describe('glasslab run with bad input', () => {
  it('a scenario with a bad field exits 2 and names the file, line and field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-bad-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      await writeFile(file, 'name: bad\nencoder:\n  codec: x264\n  bitrate: fast\nfps: 0\n');
      const result = await execa(process.execPath, [cli, 'run', file, '--runs', dir], { reject: false });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`${file}:4: encoder.bitrate: expected a bitrate`);
      expect(result.stderr).toMatch(/bad\.yaml:5: fps: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a missing scenario file and a bad flag exit 2', async () => {
    const missing = await execa(process.execPath, [cli, 'run', '/nonexistent/x.yaml'], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/x.yaml: (document): cannot read: ENOENT');
    const flag = await execa(process.execPath, [cli, 'run', 'x.yaml', '--sed', '1'], { reject: false });
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toContain("unknown option '--sed'");
  });
});
