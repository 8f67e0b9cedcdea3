// WhipTarget (the forwarder's WHIP client and RTP passthrough) against the lab's real WHIP
// endpoint on 127.0.0.1: every frame's marker read back at the endpoint; loss on the target hop
// repaired by the endpoint's NACKs answered from the forwarder's history; reconnect after the
// endpoint went away and came back on the same port; a dead target and a refused token named in
// the target's state while a live target beside it gets every frame.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WhipEndpointServer, type SessionFactory } from '../../src/relay/whip-endpoint.ts';
import { FrameAssembler } from '../../src/receiver/frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS } from '../../src/receiver/frame-assembler-types.ts';
import { offerForWerift } from '../../src/transport/chromium-answer.ts';
import { ReceiverPeer } from '../../src/transport/webrtc-peer.ts';
import type { WhipEndpointLine } from '../../src/relay/whip-hop.ts';
import { WhipTarget } from '../../src/relay/whip-target.ts';
import { parseRtp, RtpParseError, type RtpPacket } from '../../src/shared/rtp/packet.ts';
import { startLocalStunServer, type LocalStunServer } from '../../src/transport/stun-server.ts';
import { freePort } from '../../lab/relay/endpoints.ts';
import { FPS, HEIGHT, WIDTH, comparedNals, encodeUnits, upstreamPackets, type Unit } from './fixture.ts';

const PATH = '/whip/relay';
const FRAME_MS = 1000 / FPS;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

let stun: LocalStunServer;
let units: Unit[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  stun = await startLocalStunServer('127.0.0.1');
  units = await encodeUnits(30);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await stun?.close();
});

async function endpoint(port = 0, token?: string): Promise<{ server: WhipEndpointServer; frames: Array<Extract<WhipEndpointLine, { type: 'frame' }>> }> {
  const frames: Array<Extract<WhipEndpointLine, { type: 'frame' }>> = [];
  const server = await WhipEndpointServer.start({
    host: '127.0.0.1', port, path: PATH, stunUrl: stun.url, width: WIDTH, height: HEIGHT, ...(token !== undefined ? { token } : {}),
    onLine: (line) => {
      if (line.type === 'frame') frames.push(line);
    },
  });
  cleanups.push(() => server.stop());
  return { server, frames };
}

function target(url: string, extra: Partial<ConstructorParameters<typeof WhipTarget>[0]> = {}): WhipTarget {
  const t = new WhipTarget({ url, hostAddress: '127.0.0.1', stunUrl: stun.url, upstreamExtensions: {}, now: nowMs, ...extra });
  cleanups.push(() => t.close());
  return t;
}

async function waitFor(what: string, done: () => boolean, timeoutMs: number, tick?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    tick?.();
    await sleep(10);
  }
}

/** Forwards the frames paced at the frame rate to every target. */
async function feed(targets: WhipTarget[], frames: RtpPacket[][]): Promise<void> {
  const start = performance.now();
  for (const [index, packets] of frames.entries()) {
    const wait = start + index * FRAME_MS - performance.now();
    if (wait > 0) await sleep(wait);
    for (const packet of packets) for (const t of targets) t.forward(packet, nowMs());
  }
}

const expected = (list: Unit[]) => list.map((u) => ({ frameId: u.frameId, captureMs: Number(u.captureTimeNs) / 1e6 }));
const got = (frames: ReadonlyArray<{ frameId?: number; captureMs?: number }>) => frames.map((f) => ({ frameId: f.frameId, captureMs: f.captureMs }));

describe('WhipTarget → the lab WHIP endpoint', () => {
  it('passes every frame through (markers read back in order), and takes the forwarder\'s part per frame', async () => {
    const { server, frames } = await endpoint();
    let keyframeAsks = 0;
    const t = target(`whip://127.0.0.1:${server.port}${PATH}`, { onNeedKeyframe: () => keyframeAsks++ });
    await waitFor('the session', () => t.stats().state === 'open', 10_000, () => t.handleTimeout(nowMs()));
    expect(keyframeAsks).toBe(1); // on open: the target hop starts at a keyframe
    await feed([t], upstreamPackets(units, 65530)); // upstream sequence numbers wrap inside the run
    await waitFor('30 frames', () => frames.length >= units.length, 5000);
    expect(got(frames)).toEqual(expected(units));
    await t.close();
    const s = t.stats();
    expect(s).toMatchObject({ state: 'closed', sessions: 1, reconnects: 0, dropped: 0, frames: units.length, retransmitted: 0 });
    expect(s.forwardMsP50).toBeGreaterThanOrEqual(0);
    expect(s.forwardMsMax).toBeGreaterThanOrEqual(s.forwardMsP50!);
  });

  it('loss on the target hop: the endpoint NACKs, the forwarder answers with RTX from its history, every frame arrives', async () => {
    const { server, frames } = await endpoint();
    const t = target(`whip://127.0.0.1:${server.port}${PATH}`, { hopLoss: { rate: 0.05, seed: 7 } });
    await waitFor('the session', () => t.stats().state === 'open', 10_000, () => t.handleTimeout(nowMs()));
    // seed 7 spares the stream's first packets (a lost start is a keyframe request, not a NACK)
    await feed([t], upstreamPackets(units, 100));
    await waitFor('30 frames', () => frames.length >= units.length, 5000);
    expect(got(frames)).toEqual(expected(units));
    const s = t.stats();
    expect(s.hopLost).toBeGreaterThan(0);
    expect(s.nacksReceived).toBeGreaterThan(0);
    expect(s.retransmitted).toBeGreaterThanOrEqual(s.hopLost - 1);
  });

  it('reconnects when the endpoint went quiet and came back on the same port, and starts again at a keyframe', async () => {
    const port = await freePort('tcp');
    const first = await endpoint(port);
    let keyframeAsks = 0;
    const t = target(`whip://127.0.0.1:${port}${PATH}`, { silenceTimeoutMs: 800, reconnect: { delayMs: 200, maxTimeMs: 10_000 }, onNeedKeyframe: () => keyframeAsks++ });
    await waitFor('the session', () => t.stats().state === 'open', 10_000, () => t.handleTimeout(nowMs()));
    await feed([t], upstreamPackets(units.slice(0, 10), 1));
    await waitFor('10 frames', () => first.frames.length >= 10, 5000);
    await first.server.stop();
    await waitFor('the silence noticed', () => t.stats().state !== 'open', 5000, () => t.handleTimeout(nowMs()));
    expect(t.stats().lastError).toMatch(/no RTCP from the endpoint for \d+ ms/);
    const second = await endpoint(port);
    await waitFor('the new session', () => t.stats().state === 'open', 10_000, () => t.handleTimeout(nowMs()));
    // the forwarder's first hop would send the keyframe asked for: here units[15] is one
    expect(units[15]!.keyframe).toBe(true);
    await feed([t], upstreamPackets([...units.slice(10, 30)], 500));
    await waitFor('the frames from the keyframe on', () => second.frames.length >= 15, 5000);
    expect(got(second.frames)).toEqual(expected(units.slice(15)));
    expect(t.stats()).toMatchObject({ sessions: 2, reconnects: 1 });
    expect(keyframeAsks).toBe(2);
  });

  it('a dead target and a refused token are named in their state; the live target beside them gets every frame', async () => {
    const live = await endpoint(0, 'good-token');
    const deadPort = await freePort('tcp');
    const dead = target(`whip://127.0.0.1:${deadPort}${PATH}`, { reconnect: { delayMs: 100, maxTimeMs: 60_000 } });
    const refused = target(`whip://127.0.0.1:${live.server.port}${PATH}?token=bad-token`, { reconnect: { delayMs: 100, maxTimeMs: 60_000 } });
    const good = target(`whip://127.0.0.1:${live.server.port}${PATH}?token=good-token`);
    await waitFor('the good session', () => good.stats().state === 'open', 10_000, () => good.handleTimeout(nowMs()));
    await feed([dead, refused, good], upstreamPackets(units, 1));
    await waitFor('30 frames', () => live.frames.length >= units.length, 5000);
    expect(got(live.frames)).toEqual(expected(units));
    expect(dead.stats().lastError).toMatch(/^WHIP POST http:\/\/127\.0\.0\.1:\d+\/whip\/relay: no response \(ECONNREFUSED\)$/);
    expect(refused.stats().lastError).toMatch(/: 401 Unauthorized: .*wrong bearer token/);
    for (const t of [dead, refused]) {
      expect(t.stats().dropped).toBeGreaterThan(0);
      expect(t.stats().reconnects).toBeGreaterThan(0);
    }
  });
});

describe('WhipTarget: byte-exact', () => {
  it('what the WHIP endpoint rebuilds is what the sender encoded, access unit for access unit, RTP time kept', async () => {
    // the endpoint's session here is a bare werift receiver whose packets the lab's frame assembler rebuilds
    const rebuilt: Array<{ accessUnit: Buffer; rtpTimestamp: number }> = [];
    const sessions: SessionFactory = async (offer, id) => {
      const peer = ReceiverPeer.create({ hostAddress: '127.0.0.1', stunUrl: stun.url });
      const answer = await peer.answer(offerForWerift(offer));
      const assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS });
      void peer.waitConnected().then(() =>
        peer.onRtp((raw) => {
          const packet = parseRtp(raw);
          if (packet instanceof RtpParseError) return;
          assembler.insert(packet, nowMs());
          for (let o = assembler.pollOutput(); o; o = assembler.pollOutput()) if (o.type === 'frame') rebuilt.push({ accessUnit: o.frame.accessUnit, rtpTimestamp: o.frame.rtpTimestamp });
        }),
      );
      return { answer, session: { id, end: () => peer.close() } };
    };
    const server = await WhipEndpointServer.start({ host: '127.0.0.1', port: 0, path: PATH, stunUrl: stun.url, width: WIDTH, height: HEIGHT, sessions, onLine: () => undefined });
    cleanups.push(() => server.stop());
    const t = target(`whip://127.0.0.1:${server.port}${PATH}`);
    await waitFor('the session', () => t.stats().state === 'open', 10_000, () => t.handleTimeout(nowMs()));
    const upstream = upstreamPackets(units, 40_000);
    await feed([t], upstream);
    await waitFor('30 access units', () => rebuilt.length >= units.length, 5000);
    for (const [i, unit] of units.entries()) expect(comparedNals(rebuilt[i]!.accessUnit), `frame ${i}`).toEqual(comparedNals(unit.data));
    // the target hop's RTP time keeps every frame's distance from the first
    const sentTs = upstream.map((packets) => packets[0]!.timestamp);
    for (let i = 1; i < units.length; i++) expect((rebuilt[i]!.rtpTimestamp - rebuilt[0]!.rtpTimestamp) >>> 0).toBe((sentTs[i]! - sentTs[0]!) >>> 0);
  });
});
