// The relay's non-WebRTC targets against real ffmpeg endpoints on 127.0.0.1: RTSP (interleaved
// TCP and UDP), SRT and RTMP. Byte-exact NAL units (fixture.ts says what is ignored), frame
// markers read back in order with their capture times, a dead endpoint that never blocks
// write(), reconnect after the endpoint is killed and restarted, bad options.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegEndpoint, freePort, type EndpointFrame, type EndpointProtocol } from '../../lab/relay/endpoints.ts';
import { loadNative } from '../../src/native/addon.ts';
import type { NativeRelayMuxer } from '../../src/native/types.ts';
import { RelayTarget, parseTargetUrl, type MuxerTargetSpec } from '../../src/relay/targets.ts';
import { FIRST_NS, FPS, GOP, HEIGHT, STEP_NS, WIDTH, comparedNals, encodeUnits, parameterSets, type Unit } from './fixture.ts';

const native = loadNative();
const FRAME_MS = 1000 / FPS;
let units: Unit[] = [];
let dir = '';
const endpoints: FfmpegEndpoint[] = [];
const muxers: NativeRelayMuxer[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'glasslab-relay-'));
  units = await encodeUnits(240);
});
afterEach(async () => {
  await Promise.all(muxers.splice(0).map((m) => m.close()));
  await Promise.all(endpoints.splice(0).map((e) => e.stop()));
  for (const c of cleanups.splice(0)) await c();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ptsUs = (u: Unit, cycle = 0): bigint => (u.captureTimeNs + BigInt(cycle * units.length) * STEP_NS) / 1000n;

async function endpoint(...args: Parameters<typeof FfmpegEndpoint.start>): Promise<FfmpegEndpoint> {
  const e = await FfmpegEndpoint.start(...args);
  endpoints.push(e);
  return e;
}

function muxer(spec: MuxerTargetSpec, extra: { queueFrames?: number; openTimeoutMs?: number } = {}): NativeRelayMuxer {
  const m = new native.RelayMuxer({ url: spec.url, format: spec.format, width: WIDTH, height: HEIGHT, fps: FPS, options: spec.options, ...extra });
  muxers.push(m);
  return m;
}

function spec(url: string): MuxerTargetSpec {
  const parsed = parseTargetUrl(url);
  if (!parsed.ok) throw parsed.error;
  if (parsed.target.protocol === 'whip') throw new Error(`${url} is not a muxer target`);
  return parsed.target;
}

/** Writes units paced at the frame rate (absolute schedule); CLOCK_MONOTONIC ns of each write by frame id. */
async function feed(m: NativeRelayMuxer, list: Unit[]): Promise<Map<number, bigint>> {
  const writeAt = new Map<number, bigint>();
  const start = performance.now();
  for (const [i, u] of list.entries()) {
    const wait = start + i * FRAME_MS - performance.now();
    if (wait > 0) await sleep(wait);
    writeAt.set(u.frameId, process.hrtime.bigint());
    expect(m.write(u.data, ptsUs(u), u.keyframe)).toBe(true);
  }
  return writeAt;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Index of the first differing NAL unit, -1 when the lists are equal. */
function firstMismatch(a: Buffer[], b: Buffer[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (!a[i] || !b[i] || !a[i]!.equals(b[i]!)) return i;
  return -1;
}

/** The drop policy on a queue nobody drains: what write() returns per unit and the drops counted. */
function dropModel(list: Unit[], capacity: number, firstTaken: boolean): { accepted: boolean[]; dropped: number } {
  let queue: Unit[] = [];
  let waitKey = true;
  let dropped = 0;
  const accepted = list.map((u, i) => {
    if (i === 0 && firstTaken) {
      waitKey = false;
      return true;
    }
    if (!u.keyframe && waitKey) return (dropped++, false);
    if (queue.length >= capacity) {
      const keys = queue.filter((q) => q.keyframe);
      dropped += queue.length - keys.length;
      queue = keys;
      if (queue.length >= capacity) {
        queue.shift();
        dropped++;
      }
      waitKey = true;
      if (!u.keyframe) return (dropped++, false);
    }
    if (u.keyframe) waitKey = false;
    queue.push(u);
    return true;
  });
  return { accepted, dropped };
}

const cases: Array<{ name: string; protocol: EndpointProtocol; query: string }> = [
  { name: 'rtsp (interleaved tcp)', protocol: 'rtsp', query: '?transport=tcp' },
  { name: 'rtsp (udp)', protocol: 'rtsp', query: '?transport=udp' },
  { name: 'srt (latency 20 ms)', protocol: 'srt', query: '' },
  { name: 'rtmp', protocol: 'rtmp', query: '' },
];
/** Added latency per case (write → decoded frame on the endpoint's pipe), for the closing note. */
const latency: Record<string, string> = {};
afterAll(() => {
  if (Object.keys(latency).length > 0) console.log(`relay added latency, write → endpoint marker read (ms):\n${Object.entries(latency).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
});

describe.each(cases)('$name target', ({ name, protocol, query }) => {
  it('delivers the access units byte-exact, in order, with their capture times', async () => {
    const h264Path = join(dir, `${protocol}-${query.length}.h264`);
    const ep = await endpoint({ protocol, h264Path, gray: { width: WIDTH, height: HEIGHT } });
    const m = muxer(spec(ep.targetUrl + query));
    const sent = units.slice(0, 60);
    const writeAt = await feed(m, sent);
    // ffmpeg holds the last 1-3 frames until the next access unit or the end of the stream
    await ep.waitFrames(sent.length - 4, 3000);
    const closedAtNs = process.hrtime.bigint();
    await m.close();
    expect(m.stats()).toMatchObject({ frames: sent.length, dropped: 0, state: 'closed' });
    expect(m.stats().error).toBeUndefined();
    if ((await ep.exited(3000)) === null) await ep.stop();

    const fed = Buffer.concat(sent.map((u) => u.data));
    const received = readFileSync(h264Path);
    const want = comparedNals(fed);
    const got = comparedNals(received);
    expect(firstMismatch(want, got)).toBe(-1);
    expect(got.length).toBe(want.length);
    expect(parameterSets(received)).toEqual(parameterSets(fed));

    const frames = ep.frames;
    expect(frames.map((f) => (f.ok ? f.frameId : f.reason))).toEqual(sent.map((u) => u.frameId));
    expect(frames.map((f) => (f.ok ? f.captureTimeNs : 0n))).toEqual(sent.map((u) => FIRST_NS + BigInt(u.frameId) * STEP_NS));
    // added latency of the frames that arrived while streaming: the first (connect, probe) and
    // the steady state from the second GOP on
    const added = (f: EndpointFrame): number => (f.ok ? Number(f.receivedAtNs - writeAt.get(f.frameId)!) / 1e6 : NaN);
    const steady = frames
      .filter((f) => f.ok && f.frameId >= GOP && f.receivedAtNs < closedAtNs)
      .map(added)
      .sort((a, b) => a - b);
    expect(steady.length).toBeGreaterThan(30);
    latency[name] = `first frame ${added(frames[0]!).toFixed(0)}; steady p50 ${percentile(steady, 0.5).toFixed(1)}, p90 ${percentile(steady, 0.9).toFixed(1)}, max ${steady.at(-1)!.toFixed(1)}; relay write→socket p50 ${m.stats().queueDelayMsP50?.toFixed(2)}`;
  });

  // RTSP over UDP and TCP share the connection code; the failure cases run once per protocol.
  if (query === '?transport=udp') return;

  it('a dead endpoint never blocks write(): the queue drops by its policy', async () => {
    // an endpoint that takes the connection (TCP) or the datagrams (SRT) and never answers
    let url: string;
    if (protocol === 'srt') {
      const socket: UdpSocket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
      url = `srt://127.0.0.1:${socket.address().port}`;
    } else {
      const held: Socket[] = [];
      const server: Server = createServer((s) => held.push(s));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => {
        held.forEach((s) => s.destroy());
        return new Promise<void>((resolve) => server.close(() => resolve()));
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      url = protocol === 'rtsp' ? `rtsp://127.0.0.1:${port}/dead` : `rtmp://127.0.0.1:${port}/live/dead`;
    }
    const queueFrames = 8;
    const m = muxer(spec(url), { queueFrames, openTimeoutMs: 10_000 });
    const accepted: boolean[] = [];
    let slowestMs = 0;
    for (const u of units.slice(0, 60)) {
      const t0 = performance.now();
      accepted.push(m.write(u.data, ptsUs(u), u.keyframe));
      slowestMs = Math.max(slowestMs, performance.now() - t0);
      if (u.frameId === 0) await sleep(100); // RTSP's worker takes the first keyframe into its header
    }
    expect(slowestMs).toBeLessThan(20);
    const stats = m.stats();
    expect(stats).toMatchObject({ frames: 0, state: 'connecting' });
    // an independent transcription of the policy (relay_mux.h), the queue never drained: RTSP's
    // worker has taken frame 0 into its header, the others' are still connecting
    const model = dropModel(units.slice(0, 60), queueFrames, protocol === 'rtsp');
    expect(accepted).toEqual(model.accepted);
    expect(stats.dropped).toBe(model.dropped);
    expect(stats.dropped).toBeGreaterThan(30);
    const t0 = performance.now();
    await m.close();
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(m.stats().state).toBe('closed');
  });

  it('a refused or silent endpoint fails with the library text', async () => {
    const port = await freePort(protocol === 'srt' ? 'udp' : 'tcp');
    const url = protocol === 'rtsp' ? `rtsp://127.0.0.1:${port}/x` : protocol === 'srt' ? `srt://127.0.0.1:${port}` : `rtmp://127.0.0.1:${port}/live/x`;
    const m = muxer(spec(url), { openTimeoutMs: 800 });
    m.write(units[0]!.data, ptsUs(units[0]!), true);
    const deadline = Date.now() + 3000;
    while (m.stats().state !== 'failed' && Date.now() < deadline) await sleep(20);
    const { state, error } = m.stats();
    expect(state).toBe('failed');
    const call = protocol === 'rtsp' ? 'avformat_write_header' : 'avio_open2';
    expect(error).toContain(`RelayMuxer(${spec(url).format}): ${call}(${url})`);
    expect(error).toMatch(protocol === 'srt' ? /openTimeoutMs = 800 ms passed|Connection setup failure/ : /Connection refused/);
  });

  if (protocol === 'srt') {
    it('srt passphrase: the right one streams, a wrong one fails with the library text', async () => {
      const ep = await endpoint({ protocol, srtPassphrase: 'relay-secret-16', gray: { width: WIDTH, height: HEIGHT } });
      expect(ep.targetUrl).toContain('passphrase=relay-secret-16');
      const good = muxer(spec(ep.targetUrl));
      for (const u of units.slice(0, 20)) {
        good.write(u.data, ptsUs(u), u.keyframe);
        await sleep(FRAME_MS);
      }
      expect(await ep.waitFrames(10, 3000)).toBe(true);
      expect(ep.frames.slice(0, 10).map((f) => (f.ok ? f.frameId : -1))).toEqual(units.slice(0, 10).map((u) => u.frameId));
      await good.close();
      await ep.stop();
      const other = await endpoint({ protocol, srtPassphrase: 'relay-secret-16', gray: { width: WIDTH, height: HEIGHT } });
      const bad = muxer(spec(other.targetUrl.replace('relay-secret-16', 'wrong-secret-99')), { openTimeoutMs: 3000 });
      bad.write(units[0]!.data, ptsUs(units[0]!), true);
      const deadline = Date.now() + 4000;
      while (bad.stats().state !== 'failed' && Date.now() < deadline) await sleep(20);
      expect(bad.stats()).toMatchObject({ state: 'failed', frames: 0 });
      expect(bad.stats().error).toMatch(/^RelayMuxer\(mpegts\): avio_open2\(srt:\/\/127\.0\.0\.1:\d+\): /);
      console.log(`srt wrong passphrase: ${bad.stats().error}`);
    });
  }

  it('reconnects after the endpoint is killed and restarted, from the next keyframe', async () => {
    const first = await endpoint({ protocol, gray: { width: WIDTH, height: HEIGHT } });
    const needKey: number[] = [];
    let nowMs = 0;
    const target = new RelayTarget({ url: first.targetUrl, width: WIDTH, height: HEIGHT, fps: FPS, reconnect: { delayMs: 200, maxTimeMs: 20_000 }, openTimeoutMs: 2000, writeTimeoutMs: 1000, onNeedKeyframe: () => needKey.push(nowMs) });
    cleanups.push(() => target.close());
    let second: FfmpegEndpoint | undefined;
    const start = performance.now();
    let restartedAtId = -1;
    let killedAt = -1;
    // up to 12 s of frames (units cycle; ids restart with each cycle)
    for (let n = 0; n < 12 * FPS; n++) {
      const cycle = Math.floor(n / units.length);
      const u = units[n % units.length]!;
      const wait = start + n * FRAME_MS - performance.now();
      if (wait > 0) await sleep(wait);
      nowMs = performance.now();
      target.write(u.data, ptsUs(u, cycle), u.keyframe, nowMs);
      if (killedAt < 0 && first.frames.length >= 15) {
        killedAt = n;
        await first.kill();
      }
      if (killedAt >= 0 && !second && target.stats().state === 'waiting') {
        second = await endpoint({ protocol, port: first.port, gray: { width: WIDTH, height: HEIGHT } });
        restartedAtId = u.frameId;
      }
      if (second && second.frames.length >= 20) break;
    }
    expect(first.frames.length).toBeGreaterThanOrEqual(15);
    expect(second).toBeDefined();
    expect(second!.frames.length).toBeGreaterThanOrEqual(20);
    const stats = target.stats();
    expect(stats.reconnects).toBeGreaterThanOrEqual(1);
    expect(stats.lastError).toMatch(/av_write_frame|avio_open2|avformat_write_header/);
    expect(needKey.length).toBe(1 + stats.reconnects);
    // the restarted endpoint sees whole GOPs: its first frame is a keyframe sent after the restart
    const ids = second!.frames.map((f) => (f.ok ? f.frameId : -1));
    expect(ids.every((id) => id >= 0)).toBe(true);
    expect(ids[0]! % GOP).toBe(0);
    for (let i = 1; i < ids.length; i++) expect((ids[i]! - ids[i - 1]! + units.length) % units.length).toBe(1);
    expect(restartedAtId).toBeGreaterThan(0);
  }, 30_000);
});

describe('RelayMuxer queue bounded by age', () => {
  it('a target that falls maxQueueAgeMs behind drops by the queue policy and resumes at the next keyframe', async () => {
    // an RTMP server that accepts and never answers: the muxer stays connecting, its queue never drains
    const held: Socket[] = [];
    const server: Server = createServer((sock) => held.push(sock));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      held.forEach((sock) => sock.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const m = new native.RelayMuxer({ url: `rtmp://127.0.0.1:${port}/live/slow`, format: 'flv', width: WIDTH, height: HEIGHT, fps: FPS, queueFrames: 100, maxQueueAgeMs: 200, openTimeoutMs: 10_000 });
    muxers.push(m);
    // 45 frames at 30 fps (keyframes at 0, 15, 30): frames queue until the oldest is 200 ms old
    // (the 7th, at 231 ms), then the queue empties and non-key frames drop until the next keyframe
    const accepted: boolean[] = [];
    const start = performance.now();
    for (const [i, u] of units.slice(0, 45).entries()) {
      const wait = start + i * (1000 / FPS) - performance.now();
      if (wait > 0) await sleep(wait);
      accepted.push(m.write(u.data, ptsUs(u), u.keyframe));
    }
    expect(units[15]!.keyframe && units[30]!.keyframe).toBe(true);
    // the frame-interval margins either side of 200 ms keep the boundaries off the edge
    for (const i of [0, 1, 2, 3, 4, 5, 15, 16, 17, 18, 19, 20, 30, 31, 32, 33, 34, 35]) expect(accepted[i], `frame ${i}`).toBe(true);
    for (const i of [8, 9, 10, 11, 12, 13, 14, 23, 24, 25, 26, 27, 28, 29, 38, 39, 40, 41, 42, 43, 44]) expect(accepted[i], `frame ${i}`).toBe(false);
    // the frame bound (100) was never reached: every drop is the age bound's
    expect(m.stats().dropped).toBeGreaterThanOrEqual(2 * 14);
    await m.close();
  });

  it('maxQueueAgeMs out of range is named', () => {
    expect(() => new native.RelayMuxer({ url: 'rtmp://127.0.0.1:1/live/x', format: 'flv', width: WIDTH, height: HEIGHT, fps: FPS, maxQueueAgeMs: -1 })).toThrow('RelayMuxer: maxQueueAgeMs must be');
  });
});

describe('RelayMuxer options', () => {
  const base = { url: 'rtmp://127.0.0.1:1/live/x', format: 'flv' as const, width: WIDTH, height: HEIGHT, fps: FPS };
  const create = (o: object) => () => new native.RelayMuxer({ ...base, ...o });
  it.each([
    [{ url: 'http://x' }, "RelayMuxer: url must be rtsp://, srt:// or rtmp:// (got 'http://x')"],
    [{ url: 42 }, 'RelayMuxer: url must be a string (got 42)'],
    [{ url: 'srt://127.0.0.1:9' }, "RelayMuxer: format 'flv' needs an rtmp:// url (got 'srt://127.0.0.1:9')"],
    [{ format: 'mp4' }, "RelayMuxer: format must be 'rtsp', 'mpegts' or 'flv' (got 'mp4')"],
    [{ width: 7 }, 'RelayMuxer: width must be an integer in 16..16384 (got 7)'],
    [{ fps: undefined }, 'RelayMuxer: fps is required'],
    [{ options: { latency: 20 } }, 'RelayMuxer: options.latency must be a string (got 20)'],
    [{ queueFrames: 0 }, 'RelayMuxer: queueFrames must be an integer in 1..10000 (got 0)'],
  ])('%o → %s', (o, message) => {
    expect(create(o)).toThrow(message);
    try {
      create(o)();
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ERR_RELAY_OPTIONS');
    }
  });

  it('write() checks its arguments and refuses after close()', async () => {
    const m = muxer(spec('rtmp://127.0.0.1:1/live/x'), { openTimeoutMs: 100 });
    expect(() => m.write(Buffer.from([1, 2, 3, 4]), 0n, true)).toThrow(/Annex-B/);
    expect(() => m.write(units[0]!.data, 5 as unknown as bigint, true)).toThrow('RelayMuxer.write: ptsUs must be a bigint (got 5)');
    expect(() => m.write(units[0]!.data, 10n, 1 as unknown as boolean)).toThrow('RelayMuxer.write: keyframe must be a boolean (got 1)');
    expect(m.write(units[1]!.data, 10n, false)).toBe(false); // before the first keyframe
    expect(() => m.write(units[0]!.data, 10n, true)).toThrow('RelayMuxer.write: ptsUs must increase (got 10 after 10)');
    expect(m.stats().dropped).toBe(1);
    await m.close();
    expect(() => m.write(units[0]!.data, 20n, true)).toThrow(expect.objectContaining({ code: 'ERR_RELAY_CLOSED' }));
  });

  it('an option neither the protocol nor the muxer knows fails the open, named', async () => {
    const ep = await endpoint({ protocol: 'rtmp', gray: { width: WIDTH, height: HEIGHT } });
    const m = muxer({ ...spec(ep.targetUrl), options: { no_such_option: '1' } });
    m.write(units[0]!.data, ptsUs(units[0]!), true);
    const deadline = Date.now() + 3000;
    while (m.stats().state !== 'failed' && Date.now() < deadline) await sleep(20);
    expect(m.stats().error).toBe('RelayMuxer(flv): options not recognised by the flv muxer or its protocol: no_such_option');
  });

  it('random constructor and write() arguments only ever throw coded errors (fast-check)', async () => {
    const value = fc.oneof(fc.anything(), fc.integer(), fc.double(), fc.string({ maxLength: 12 }), fc.bigInt(), fc.constant(undefined));
    const options = fc.record(
      {
        url: fc.oneof(fc.constantFrom('rtmp://127.0.0.1:1/live/x', 'srt://127.0.0.1:1', 'rtsp://127.0.0.1:1/x', 'rtmp://', 'http://x'), value),
        format: fc.oneof(fc.constantFrom('rtsp', 'mpegts', 'flv'), value),
        width: fc.oneof(fc.integer({ min: -10, max: 20000 }), value),
        height: fc.oneof(fc.constant(HEIGHT), value),
        fps: fc.oneof(fc.constant(FPS), value),
        options: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), value)), value),
        queueFrames: fc.oneof(fc.integer({ min: -1, max: 20000 }), value),
        openTimeoutMs: fc.constant(50),
      },
      { requiredKeys: [] },
    );
    const write = fc.tuple(fc.oneof(fc.constant(units[0]!.data), fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)), value), fc.oneof(fc.bigInt(), value), fc.oneof(fc.boolean(), value));
    const made: NativeRelayMuxer[] = [];
    fc.assert(
      fc.property(options, fc.array(write, { maxLength: 5 }), (o, writes) => {
        let m: NativeRelayMuxer;
        try {
          m = new native.RelayMuxer(o as never);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('ERR_RELAY_OPTIONS');
          return;
        }
        made.push(m);
        for (const [unit, pts, key] of writes) {
          try {
            expect(typeof m.write(unit as Buffer, pts as bigint, key as boolean)).toBe('boolean');
          } catch (error) {
            expect((error as { code?: string }).code).toBe('ERR_RELAY_ARGS');
          }
        }
        expect(['connecting', 'open', 'failed']).toContain(m.stats().state);
      }),
      { numRuns: 300, seed: 16 },
    );
    await Promise.all(made.map((m) => m.close()));
    expect(made.every((m) => m.stats().state === 'closed')).toBe(true);
  });
});
