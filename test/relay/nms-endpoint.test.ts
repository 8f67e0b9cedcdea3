// node-media-server as the RTMP endpoint (lab/relay/nms-endpoint.ts) on 127.0.0.1, fed by the
// lab's real RTMP target (the addon's RelayMuxer, FLV): the player decodes every access unit from
// its first frame on, in order, with the markers' frame ids and capture times; a stop ends the
// server with exit 0; a kill (SIGKILL, a crashed server) leaves neither the server nor the player
// running, and a new endpoint starts on the same port and streams again; a player that dies is
// replaced and goes on from a keyframe; bad paths and a port in use fail start() with the reason.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NmsRtmpEndpoint } from '../../lab/relay/nms-endpoint.ts';
import type { EndpointFrame } from '../../lab/relay/endpoints.ts';
import { loadNative } from '../../src/native/addon.ts';
import type { NativeRelayMuxer } from '../../src/native/types.ts';
import { FIRST_NS, FPS, GOP, HEIGHT, STEP_NS, WIDTH, encodeUnits, type Unit } from './fixture.ts';

const native = loadNative();
const FRAME_MS = 1000 / FPS;
const GRAY = { width: WIDTH, height: HEIGHT };
let units: Unit[] = [];
const endpoints: NmsRtmpEndpoint[] = [];
const muxers: NativeRelayMuxer[] = [];

beforeAll(async () => {
  units = await encodeUnits(90);
});
afterEach(async () => {
  await Promise.all(muxers.splice(0).map((m) => m.close()));
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function endpoint(...args: Parameters<typeof NmsRtmpEndpoint.start>): Promise<NmsRtmpEndpoint> {
  const e = await NmsRtmpEndpoint.start(...args);
  endpoints.push(e);
  return e;
}

function muxer(url: string): NativeRelayMuxer {
  const m = new native.RelayMuxer({ url, format: 'flv', width: WIDTH, height: HEIGHT, fps: FPS, options: {} });
  muxers.push(m);
  return m;
}

/** Writes units paced at the frame rate (absolute schedule); CLOCK_MONOTONIC ns of each write by frame id. */
async function feed(m: NativeRelayMuxer, list: Unit[]): Promise<Map<number, bigint>> {
  const writeAt = new Map<number, bigint>();
  const start = performance.now();
  for (const [i, u] of list.entries()) {
    const wait = start + i * FRAME_MS - performance.now();
    if (wait > 0) await sleep(wait);
    writeAt.set(u.frameId, process.hrtime.bigint());
    expect(m.write(u.data, u.captureTimeNs / 1000n, u.keyframe)).toBe(true);
  }
  return writeAt;
}

/** Waits until a frame with id ≥ `frameId` was decoded, or the timeout. */
async function waitFrameId(ep: NmsRtmpEndpoint, frameId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ep.frames.some((f) => f.ok && f.frameId >= frameId) && Date.now() < deadline) await sleep(10);
}

/**
 * The player may join late (node-media-server then starts it at its cached GOP), never in the
 * middle: from its first decoded frame on every unit sent, in order, and at least 80 % of them.
 */
function expectInOrderFromFirst(frames: readonly EndpointFrame[], sent: readonly Unit[]): void {
  expect(frames.every((f) => f.ok)).toBe(true);
  const ids = frames.map((f) => (f.ok ? f.frameId : -1));
  const first = sent.findIndex((u) => u.frameId === ids[0]);
  expect(first).toBeGreaterThanOrEqual(0);
  expect(ids).toEqual(sent.slice(first, first + ids.length).map((u) => u.frameId));
  expect(frames.map((f) => (f.ok ? f.captureTimeNs : 0n))).toEqual(ids.map((id) => FIRST_NS + BigInt(id) * STEP_NS));
  expect(ids.length).toBeGreaterThanOrEqual(Math.ceil(0.8 * sent.length));
}

/** Pids of this process's children whose command line names `port` (the server's and the player's). */
function childrenOnPort(port: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // stat: "pid (comm) state ppid …"; comm may hold spaces, so split after its closing parenthesis
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.some((arg) => arg === String(port) || arg.includes(`:${port}/`))) found.push(Number(name));
    } catch {
      // the process went away while we looked
    }
  }
  return found;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

let latencyNote = '';
afterAll(() => {
  if (latencyNote) console.log(`node-media-server endpoint, write → player marker read (ms): ${latencyNote}`);
});

describe('NmsRtmpEndpoint', () => {
  it('delivers the access units in order with their markers; stop() exits 0', async () => {
    const ep = await endpoint({ gray: GRAY });
    expect(ep.protocol).toBe('rtmp');
    expect(ep.targetUrl).toBe(`rtmp://127.0.0.1:${ep.port}/live/relay`);
    const m = muxer(ep.targetUrl);
    const writeAt = await feed(m, units);
    // the decoder may hold the last frame or two until more data arrives
    await waitFrameId(ep, units.at(-3)!.frameId, 3000);
    const closedAtNs = process.hrtime.bigint();
    await m.close();
    expect(m.stats()).toMatchObject({ frames: units.length, dropped: 0, state: 'closed' });
    expectInOrderFromFirst(ep.frames, units);

    const added = (f: EndpointFrame): number => (f.ok ? Number(f.receivedAtNs - writeAt.get(f.frameId)!) / 1e6 : NaN);
    const steady = ep.frames
      .filter((f) => f.ok && f.frameId >= GOP && f.receivedAtNs < closedAtNs)
      .map(added)
      .sort((a, b) => a - b);
    expect(steady.length).toBeGreaterThan(40);
    latencyNote = `first frame ${added(ep.frames[0]!).toFixed(0)}; steady p50 ${percentile(steady, 0.5).toFixed(1)}, p90 ${percentile(steady, 0.9).toFixed(1)}, max ${steady.at(-1)!.toFixed(1)}`;

    expect(await ep.exited(50)).toBeNull(); // the end of a publish does not end the server
    await ep.stop();
    await ep.stop();
    expect(await ep.exited(0)).toBe(0);
    expect(childrenOnPort(ep.port)).toEqual([]);
  });

  it('kill() leaves neither process; a new endpoint on the same port streams again', async () => {
    const first = await endpoint({ gray: GRAY });
    const m1 = muxer(first.targetUrl);
    await feed(m1, units.slice(0, 2 * GOP));
    await waitFrameId(first, GOP, 3000);
    expect(first.frames.length).toBeGreaterThanOrEqual(GOP);
    expect(childrenOnPort(first.port)).toHaveLength(2);
    await first.kill();
    expect(childrenOnPort(first.port)).toEqual([]);
    expect(await first.exited(0)).toBeNull(); // killed by a signal: no exit code
    await m1.close();

    const second = await endpoint({ port: first.port, gray: GRAY });
    expect(second.targetUrl).toBe(first.targetUrl);
    const sent = units.slice(0, 3 * GOP);
    const m2 = muxer(second.targetUrl);
    await feed(m2, sent);
    await waitFrameId(second, sent.at(-3)!.frameId, 3000);
    expectInOrderFromFirst(second.frames, sent);
  });

  it('a player that dies is replaced: frames go on from the GOP the server cached', async () => {
    const ep = await endpoint({ gray: GRAY });
    const m = muxer(ep.targetUrl);
    const sent = units.slice(0, 5 * GOP);
    const feeding = feed(m, sent);
    await waitFrameId(ep, GOP + 5, 3000);
    const player = childrenOnPort(ep.port).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ffmpeg');
    expect(player).toHaveLength(1);
    process.kill(player[0]!, 'SIGKILL');
    await feeding;
    await waitFrameId(ep, sent.at(-3)!.frameId, 3000);
    expect(ep.frames.every((f) => f.ok)).toBe(true);
    const ids = ep.frames.map((f) => (f.ok ? f.frameId : -1));
    // the first player's frames from 0, then the second's from a keyframe (node-media-server's
    // cached GOP: it may repeat frames the first player had), each run without a gap
    const breaks = ids.flatMap((id, i) => (i > 0 && id !== ids[i - 1]! + 1 ? [i] : []));
    // (killed near frame GOP + 5 and ≥ 200 ms to the next player: never a seamless join at a keyframe)
    expect(breaks).toHaveLength(1);
    expect(ids[0]).toBe(0);
    expect(ids[breaks[0]!]! % GOP).toBe(0);
    expect(ids.at(-1)!).toBeGreaterThanOrEqual(sent.at(-3)!.frameId);
  });

  it('a bad path or a port in use fails start() with the reason', async () => {
    await expect(NmsRtmpEndpoint.start({ path: '/live/relay/extra', gray: GRAY })).rejects.toThrow(/path must be \/app\/name/);
    await expect(NmsRtmpEndpoint.start({ path: '/live/re lay', gray: GRAY })).rejects.toThrow(/path must be \/app\/name/);
    const taken = await endpoint({ gray: GRAY });
    await expect(NmsRtmpEndpoint.start({ port: taken.port, gray: GRAY })).rejects.toThrow(/exited \(code 1\) before listening.*already in use/s);
  });
});
