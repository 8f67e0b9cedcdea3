// Chromium behind the lab's WHIP endpoint: the forwarder's WhipTarget offers H.264 with its RTX
// stream and NACK/PLI feedback; libwebrtc answers, receives, NACKs what the target hop lost and
// takes the forwarder's RTX, and the page reads every displayed frame's marker. Needs
// /usr/bin/chromium (Debian package chromium); skipped, saying why, without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumUnavailableReason } from '../../src/chromium/browser.ts';
import { chromiumSessions } from '../../src/relay/chromium-whip-session.ts';
import { WhipEndpointServer } from '../../src/relay/whip-endpoint.ts';
import type { WhipEndpointLine } from '../../src/relay/whip-hop.ts';
import { WhipTarget } from '../../src/relay/whip-target.ts';
import { startLocalStunServer, type LocalStunServer } from '../../src/transport/stun-server.ts';
import { FPS, encodeUnits, HEIGHT, upstreamPackets, WIDTH, type Unit } from './fixture.ts';

const missing = chromiumUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

let stun: LocalStunServer | undefined;
let units: Unit[] = [];
beforeAll(async () => {
  if (missing) return;
  stun = await startLocalStunServer('127.0.0.1');
  units = await encodeUnits(60);
});
afterAll(async () => {
  await stun?.close();
});

describe.skipIf(missing !== undefined)(`WhipTarget → Chromium behind the WHIP endpoint${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('libwebrtc answers the forwarder\'s offer, NACKs what the hop lost, takes its RTX, and every displayed frame has its marker', async () => {
    const lines: WhipEndpointLine[] = [];
    const log: string[] = [];
    const chromium = await chromiumSessions({ host: '127.0.0.1', stunUrl: stun!.url, onLine: (line) => lines.push(line), log: (m) => log.push(m) });
    const server = await WhipEndpointServer.start({
      host: '127.0.0.1', port: 0, path: '/whip/chromium', stunUrl: stun!.url, width: WIDTH, height: HEIGHT, sessions: chromium.sessions, onLine: (line) => lines.push(line),
    });
    const target = new WhipTarget({ url: `whip://127.0.0.1:${server.port}/whip/chromium`, hostAddress: '127.0.0.1', stunUrl: stun!.url, upstreamExtensions: {}, now: nowMs, hopLoss: { rate: 0.03, seed: 7 } });
    try {
      const deadline = Date.now() + 20_000;
      while (target.stats().state !== 'open') {
        if (Date.now() > deadline) throw new Error(`the WHIP session did not open: ${target.stats().lastError ?? target.stats().state}`);
        target.handleTimeout(nowMs());
        await sleep(20);
      }
      const start = performance.now();
      for (const [index, packets] of upstreamPackets(units, 1).entries()) {
        const wait = start + (index * 1000) / FPS - performance.now();
        if (wait > 0) await sleep(wait);
        for (const packet of packets) target.forward(packet, nowMs());
      }
      await sleep(1500);
    } finally {
      await target.close();
      await server.stop();
      await chromium.close();
    }
    const frames = lines.filter((l): l is Extract<WhipEndpointLine, { type: 'frame' }> => l.type === 'frame');
    // rvfc may skip a frame, or catch one whose marker does not read, under load: most arrive
    // readable, in order, each with the fixture's frame id and capture time
    const read = frames.filter((f) => f.ok);
    expect(read.length, `${frames.length} frames, ${read.length} readable\n${log.join('\n')}`).toBeGreaterThanOrEqual(0.8 * units.length);
    const byId = new Map(units.map((u) => [u.frameId, Number(u.captureTimeNs) / 1e6]));
    for (const f of read) expect(f.captureMs).toBe(byId.get(f.frameId!));
    const ids = read.map((f) => f.frameId!);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const s = target.stats();
    expect(s.hopLost).toBeGreaterThan(0);
    expect(s.nacksReceived).toBeGreaterThan(0);
    expect(s.retransmitted).toBeGreaterThan(0);
    const end = lines.find((l): l is Extract<WhipEndpointLine, { type: 'session-end' }> => l.type === 'session-end');
    expect(end?.reason).toBe('deleted');
    // libwebrtc's own counters: it NACKed and took the RTX as retransmissions
    expect(end?.nacksSent).toBeGreaterThan(0);
    expect(end?.recoveredByRtx).toBeGreaterThan(0);
  }, 60_000);
});
