/**
 * The relay in a real run: the receiver forwards, without re-encoding, every rebuilt access unit
 * to RTMP and SRT targets whose endpoints (ffmpeg listening beside the receiver) the lab starts,
 * and every media packet to a WHIP target whose endpoint is the lab's own;
 * results.json gives each target's decoded frames, its G2G and what it added over the direct
 * path. Over loopback, and over the userspace link, where receiver and endpoints share the
 * receiver's network namespace.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { describePrivileged, rootLink } from '../helpers/privileges.ts';
import { freePort } from '../../lab/relay/endpoints.ts';
import { parseScenarioText } from '../../lab/scenario/load.ts';
import type { Results } from '../../lab/results/schema.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function relayRun(name: string, link: string, extraTargets: string[] = []): Promise<{ exitCode: number | undefined; stderr: string; results: Results }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-relay-'));
  dirs.push(dir);
  const [rtmp, srt, whip] = [await freePort('tcp'), await freePort('udp'), await freePort('tcp')];
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, [
    `name: ${name}`, 'duration: 3s', 'resolution: 320x180', 'fps: 30', 'seed: 6', 'encoder: { codec: x264, bitrate: 500kbps, gop: 30 }', link,
    'relay:', '  targets:', `    - { url: 'rtmp://127.0.0.1:${rtmp}/live/relay' }`, `    - { url: 'srt://127.0.0.1:${srt}?latency=20' }`, `    - { url: 'whip://127.0.0.1:${whip}/whip/relay' }`, ...extraTargets.map((t) => `    - ${t}`), '',
  ].join('\n'));
  const result = await execa(process.execPath, [cli, '--json', 'run', file, '--runs', path.join(dir, 'runs')], { reject: false, timeout: 120_000 });
  const runDir = (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir: string }).runDir;
  return { exitCode: result.exitCode, stderr: result.stderr, results: JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')) as Results };
}

function expectForwarded(results: Results, protocols: string[] = ['rtmp', 'srt', 'whip']): void {
  const sent = results.summary.frames.sent;
  expect(results.relay).toHaveLength(protocols.length);
  for (const target of results.relay!) {
    if (target.protocol === 'whip') {
      // packets passed through; the session opens after the first frames, and starts at a keyframe asked for then
      expect(target.decoded).toBeGreaterThan(0.8 * sent);
      expect(target.markersRead).toBe(target.decoded);
      expect(target.written).toBeGreaterThanOrEqual(target.decoded);
      expect(target.state).toBe('closed');
      expect(target.webrtc?.sessions).toBe(1);
      expect(target.webrtc?.forwarderMs.p50).toBeGreaterThanOrEqual(0);
      expect(target.addedMs.p50).toBeLessThan(1000);
      continue;
    }
    expect(target.forwarded).toBeGreaterThan(0.9 * sent);
    expect(target.written).toBe(target.forwarded);
    expect(target.dropped).toBe(0);
    expect(target.decoded).toBeGreaterThan(0.9 * sent);
    expect(target.markersRead).toBe(target.decoded);
    expect(target.state).toBe('closed');
    // a relay adds latency: more than nothing, less than a second here
    expect(target.addedMs.p50).toBeGreaterThan(0);
    expect(target.addedMs.p50).toBeLessThan(1000);
  }
  expect(results.relay!.map((t) => (t.endpoint ? `${t.protocol} (${t.endpoint})` : t.protocol))).toEqual(protocols);
}

describe('relay targets in a real run', () => {
  it('over loopback: every target (RTMP to ffmpeg and to node-media-server, SRT, WHIP) gets every frame; results.json says what each added', async () => {
    const nms = await freePort('tcp');
    const { exitCode, stderr, results } = await relayRun('relay-loopback', 'link: none', [`{ url: 'rtmp://127.0.0.1:${nms}/live/relay', endpoint: node-media-server }`]);
    expect(exitCode, stderr).toBe(0);
    expectForwarded(results, ['rtmp', 'srt', 'whip', 'rtmp (node-media-server)']);
  }, 150_000);

  it('an endpoint killed mid-run and restarted: the target reconnects, asks for a keyframe (gop 0) and frames flow again', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-relay-restart-'));
    dirs.push(dir);
    const port = await freePort('tcp');
    const file = path.join(dir, 'relay-restart.yaml');
    await writeFile(file, [
      'name: relay-restart', 'duration: 6s', 'resolution: 320x180', 'fps: 30', 'seed: 6', 'encoder: { codec: x264, bitrate: 500kbps, gop: 0 }',
      'relay:', '  targets:', `    - { url: 'rtmp://127.0.0.1:${port}/live/relay', restart: { at: 1500ms, downFor: 1s } }`, '',
    ].join('\n'));
    const result = await execa(process.execPath, [cli, '--json', 'run', file, '--runs', path.join(dir, 'runs')], { reject: false, timeout: 120_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const runDir = (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir: string }).runDir;
    const results = JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
    const target = results.relay![0]!;
    expect(target.reconnects).toBeGreaterThanOrEqual(1);
    expect(target.reconnect?.restartedMs).not.toBeNull();
    // back within a few seconds of the restart (reconnect delay 1 s, then a keyframe on request)
    expect(target.reconnect!.firstFrameAfterMs).not.toBeNull();
    expect(target.reconnect!.firstFrameAfterMs!).toBeLessThan(3000);
    const receiver = await readFile(path.join(runDir, 'receiver.ndjson'), 'utf8');
    expect(receiver).toContain('"reason":"relay-target"');
  }, 150_000);

  it('refuses targets the lab cannot serve, naming the field', () => {
    const base = 'name: r\nrelay:\n  targets:\n';
    expect(() => parseScenarioText(`${base}    - { url: 'rtmp://10.0.0.1:1935/live/x' }\n`, 'r.yaml', 1)).toThrow(/relay\.targets\.0\.url: the lab runs each target's endpoint beside the receiver: the host must be 127\.0\.0\.1/);
    expect(() => parseScenarioText(`${base}    - { url: 'http://127.0.0.1:80/x' }\n`, 'r.yaml', 1)).toThrow(/relay\.targets\.0\.url: url must be whip:\/\/, whips:\/\/, rtsp:\/\/, srt:\/\/ or rtmp:\/\//);
    expect(() => parseScenarioText(`${base}    - { url: 'whips://127.0.0.1:8443/w' }\n`, 'r.yaml', 1)).toThrow(/the lab's WHIP endpoint speaks plain HTTP: use whip:\/\//);
    expect(() => parseScenarioText(`${base}    - { url: 'rtmp://127.0.0.1:1935/live/x', hopLoss: 2% }\n`, 'r.yaml', 1)).toThrow(/relay\.targets\.0\.hopLoss: hopLoss applies to whip:\/\/ targets only/);
    expect(() => parseScenarioText(`${base}    - { url: 'srt://127.0.0.1:8080', endpoint: chromium }\n`, 'r.yaml', 1)).toThrow(/relay\.targets\.0\.endpoint: a srt target's endpoint is ffmpeg \(got chromium\)/);
    expect(() => parseScenarioText(`${base}    - { url: 'whip://127.0.0.1:8080/w', hopLoss: 120% }\n`, 'r.yaml', 1)).toThrow(/relay\.targets\.0\.hopLoss: must be between 0 % and 100 %/);
    expect(() => parseScenarioText(`${base}    - { url: 'rtmp://127.0.0.1/live/x' }\n`, 'r.yaml', 1)).toThrow(/give the port the endpoint listens on/);
    expect(() => parseScenarioText('name: r\nrelay: { targets: [] }\n', 'r.yaml', 1)).toThrow(/at least one target/);
    expect(() => parseScenarioText(`${base}    - { url: 'whip://127.0.0.1:8080/w' }\n  link: { delay: 10ms }\n`, 'r.yaml', 1)).toThrow(/relay\.link: the target hop's link needs the run's namespaces: give the scenario a link/);
    expect(() => parseScenarioText(`link: { delay: 1ms }\n${base}    - { url: 'whip://127.0.0.1:8080/w' }\n  link: { backend: netem }\n`, 'r.yaml', 1)).toThrow(/relay\.link\.backend: unknown field "backend"/);
  });
});

describePrivileged(rootLink())('relay targets over the userspace link (needs root and /dev/net/tun)', () => {
  it('relay.link: the endpoints sit in their own namespace behind the target hop\'s link; its delay and loss show in what the targets add', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-relay-hop-'));
    dirs.push(dir);
    const [whip, rtmp] = [await freePort('tcp'), await freePort('tcp')];
    const file = path.join(dir, 'relay-hop.yaml');
    await writeFile(file, [
      'name: relay-hop', 'duration: 4s', 'resolution: 320x180', 'fps: 30', 'seed: 6', 'encoder: { codec: x264, bitrate: 500kbps, gop: 30 }', 'link: { backend: userspace, delay: 5ms }',
      'relay:', '  link: { delay: 20ms, up: { loss: { model: random, p: 4% } } }', '  targets:', `    - { url: 'whip://127.0.0.1:${whip}/whip/relay' }`, `    - { url: 'rtmp://127.0.0.1:${rtmp}/live/relay' }`, '',
    ].join('\n'));
    const result = await execa(process.execPath, [cli, '--json', 'run', file, '--runs', path.join(dir, 'runs')], { reject: false, timeout: 120_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const runDir = (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { runDir: string }).runDir;
    const results = JSON.parse(await readFile(path.join(runDir, 'results.json'), 'utf8')) as Results;
    const sent = results.summary.frames.sent;
    const [webrtc, muxed] = results.relay!;
    // placed on the target hop's far end
    expect(webrtc!.url).toBe(`whip://10.250.0.4:${whip}/whip/relay`);
    expect(muxed!.url).toBe(`rtmp://10.250.0.4:${rtmp}/live/relay`);
    for (const target of [webrtc!, muxed!]) {
      expect(target.decoded).toBeGreaterThan(0.9 * sent);
      // at least the hop's one-way delay on top of the direct path
      expect(target.addedMs.p50).toBeGreaterThan(20);
    }
    // the endpoint NACKed what the hop lost and the forwarder answered from its history
    expect(webrtc!.webrtc!.nacksReceived).toBeGreaterThan(0);
    expect(webrtc!.webrtc!.retransmitted).toBeGreaterThan(0);
    const events = await readFile(path.join(runDir, 'run.ndjson'), 'utf8');
    const hop = events.split('\n').filter((l) => l.includes('"relay-link"')).map((l) => JSON.parse(l) as { detail: Record<string, number> })[0];
    expect(hop?.detail.upDropped).toBeGreaterThan(0);
    // results.relayHop, from the hop's own fate log: the RTMP flow by its port, the WHIP session's RTP flow by its SSRCs
    const flows = results.relayHop!.flows;
    // (the event is taken as the endpoints stop, the fate log runs to the link's end)
    expect(results.relayHop!.up.dropped).toBeGreaterThanOrEqual(hop!.detail.upDropped!);
    expect(flows.some((f) => f.proto === 'tcp' && f.port === rtmp)).toBe(true);
    expect(flows.some((f) => f.proto === 'udp' && f.rtpSsrcs.length > 0 && f.dropped > 0)).toBe(true);
  }, 150_000);

  it('the endpoints run in the receiver\'s namespace and get every frame', async () => {
    const { exitCode, stderr, results } = await relayRun('relay-link', 'link: { backend: userspace, delay: 10ms }');
    expect(exitCode, stderr).toBe(0);
    expectForwarded(results);
  }, 150_000);
});
