// The lab's WHIP endpoint (RFC 9725 server side) on 127.0.0.1 against the real pieces: its HTTP
// refusals (401, 405, 404, 415, 400, 413), a real session (a werift SenderPeer POSTs its offer,
// sends x264 access units packetized by the lab's packetizer, answers the endpoint's NACK with RTX
// on WHIP_HOP_STREAMS.rtx; every frame's marker read back, then DELETE ends the session), and the
// endpoint as a child process (WhipEndpointProcess): start, token, a second POST replacing the
// first session, frames as EndpointFrames, stop.
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WhipEndpointProcess } from '../../lab/relay/whip-endpoint-process.ts';
import { WhipEndpointServer, WHIP_MAX_OFFER_BYTES } from '../../src/relay/whip-endpoint.ts';
import { WHIP_CONTENT_TYPE, WHIP_HOP_STREAMS, type WhipEndpointLine } from '../../src/relay/whip-hop.ts';
import { H264Packetizer, H264PacketizeError, DEFAULT_H264_PACKETIZER_OPTIONS } from '../../src/sender/h264/packetizer.ts';
import { parseCompound } from '../../src/shared/rtcp/compound.ts';
import { readRtpLayout, wrapRtx } from '../../src/shared/rtx-format.ts';
import { startLocalStunServer, type LocalStunServer } from '../../src/transport/stun-server.ts';
import { SenderPeer, type NegotiatedMedia } from '../../src/transport/webrtc-peer.ts';
import { FPS, HEIGHT, WIDTH, encodeUnits, type Unit } from './fixture.ts';

const PATH = '/whip/relay';
const FRAME_MS = 1000 / FPS;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

/** An in-process endpoint on 127.0.0.1 and the lines it wrote. */
async function endpoint(token?: string, bodyTimeoutMs?: number): Promise<{ server: WhipEndpointServer; lines: WhipEndpointLine[] }> {
  const lines: WhipEndpointLine[] = [];
  const server = await WhipEndpointServer.start({
    host: '127.0.0.1', port: 0, path: PATH, stunUrl: stun.url, width: WIDTH, height: HEIGHT,
    ...(token !== undefined ? { token } : {}),
    ...(bodyTimeoutMs !== undefined ? { bodyTimeoutMs } : {}),
    onLine: (line) => lines.push(line),
  });
  cleanups.push(() => server.stop());
  return { server, lines };
}

function sender(): SenderPeer {
  const peer = SenderPeer.create({ hostAddress: '127.0.0.1', stunUrl: stun.url });
  cleanups.push(() => peer.close());
  return peer;
}

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': WHIP_CONTENT_TYPE, ...headers }, body });
}

/**
 * Sends `list` over `peer` paced at the frame rate, keeping every packet for RTX; the packets for
 * which `drop(frameIndex, packetIndex)` holds are not sent the first time.
 */
async function sendUnits(peer: SenderPeer, media: NegotiatedMedia, list: Unit[], drop: (frame: number, packet: number) => boolean = () => false): Promise<{ dropped: number; retransmitted: number }> {
  const packetizer = new H264Packetizer({ ...DEFAULT_H264_PACKETIZER_OPTIONS, payloadType: media.payloadType, ssrc: media.ssrc, extensions: {} });
  const history = new Map<number, Buffer>();
  const counts = { dropped: 0, retransmitted: 0 };
  let rtxSeq = 1000;
  // the endpoint's NACKs, answered with RTX on the hop's agreed stream (RFC 4588)
  peer.onRtcp((datagram) => {
    const parsed = parseCompound(datagram);
    if (!parsed.ok) return;
    for (const packet of parsed.value) {
      if (packet.type !== 'nack' || packet.mediaSsrc !== media.ssrc) continue;
      for (const seq of packet.seqs) {
        const original = history.get(seq);
        const layout = original ? readRtpLayout(original) : undefined;
        if (!original || !layout?.ok) continue;
        counts.retransmitted++;
        void peer.sendRtp(Buffer.from(wrapRtx(original, layout.value, WHIP_HOP_STREAMS.rtx.ssrc, WHIP_HOP_STREAMS.rtx.payloadType, rtxSeq++ & 0xffff)));
      }
    }
  });
  let seq = 1;
  const start = performance.now();
  for (const [index, unit] of list.entries()) {
    const wait = start + index * FRAME_MS - performance.now();
    if (wait > 0) await sleep(wait);
    const frame = packetizer.packetize({ accessUnit: unit.data, rtpTimestamp: Number(((unit.captureTimeNs * 9n) / 100_000n) & 0xffff_ffffn), firstSequenceNumber: seq });
    if (frame instanceof H264PacketizeError) throw new Error(frame.message);
    seq = frame.nextSequenceNumber;
    for (const [p, packet] of frame.packets.entries()) {
      history.set(packet.sequenceNumber, packet.data);
      if (drop(index, p)) counts.dropped++;
      else expect(await peer.sendRtp(packet.data)).toBe(true);
    }
  }
  return counts;
}

const expectedFrames = (list: Unit[]) => list.map((u) => ({ frameId: u.frameId, captureMs: Number(u.captureTimeNs) / 1e6 }));

describe('WhipEndpointServer: HTTP', () => {
  it('refuses what RFC 9725 and RFC 9110 say to refuse, each with a refused line', async () => {
    const { server, lines } = await endpoint('s3cret');
    const url = server.url;
    const auth = { Authorization: 'Bearer s3cret' };
    const offer = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';

    const missing = await post(url, offer);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await post(url, offer, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('wrong bearer token');

    const type = await post(url, offer, { ...auth, 'Content-Type': 'text/plain' });
    expect(type.status).toBe(415);
    expect(await type.text()).toContain('text/plain');

    const get = await fetch(url, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const other = await post(url.replace(PATH, '/whip/other'), offer, auth);
    expect(other.status).toBe(404);

    const empty = await post(url, '', auth);
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('empty SDP offer');
    const garbage = await post(url, 'hello, this is not SDP', { ...auth, 'Content-Type': 'application/sdp; charset=utf-8' });
    expect(garbage.status).toBe(400);
    expect(await garbage.text()).toContain('v=0');
    // looks like SDP, but werift cannot answer it (no mid, no codec it knows)
    const unanswerable = await post(url, offer, auth);
    expect(unanswerable.status).toBe(400);
    expect(await unanswerable.text()).toMatch(/^werift could not answer the offer: \S/);

    const oversize = await post(url, `v=0\r\n${'a=x\r\n'.repeat(WHIP_MAX_OFFER_BYTES / 5 + 10)}`, auth);
    expect(oversize.status).toBe(413);

    const unknown = await fetch(`${url}/sessions/0123abcd`, { method: 'DELETE', headers: auth });
    expect(unknown.status).toBe(404);
    const unauthorizedDelete = await fetch(`${url}/sessions/0123abcd`, { method: 'DELETE' });
    expect(unauthorizedDelete.status).toBe(401);

    expect(lines[0]).toEqual({ type: 'listening', port: server.port, url: `http://127.0.0.1:${server.port}${PATH}` });
    const refused = lines.flatMap((line) => (line.type === 'refused' ? [line.status] : []));
    expect(refused).toEqual([401, 401, 415, 405, 404, 400, 400, 400, 413, 404, 401]);
    expect(lines.some((line) => line.type === 'session')).toBe(false);
  });

  it('answers 408 to a body that stops arriving', async () => {
    const { server, lines } = await endpoint(undefined, 200);
    const socket = connect(server.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('close', () => resolve(text));
    });
    socket.write(`POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sdp\r\nContent-Length: 100\r\n\r\nv=0\r\n`);
    expect(await answer).toMatch(/^HTTP\/1\.1 408 [^]*not complete within 200 ms/);
    expect(lines.at(-1)).toMatchObject({ type: 'refused', status: 408 });
  });
});

describe('WhipEndpointServer: a session', () => {
  it('receives every frame with its marker, NACKs a lost packet (answered by RTX), and DELETE ends it', async () => {
    const { server, lines } = await endpoint();
    const peer = sender();
    const created = await post(server.url, await peer.offer());
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe(WHIP_CONTENT_TYPE);
    const location = created.headers.get('location') ?? '';
    expect(location).toMatch(new RegExp(`^${PATH}/sessions/[0-9a-f]{32}$`));
    const media = await peer.accept(await created.text(), 10_000);

    // frame 3's second packet is lost once
    const sent = await sendUnits(peer, media, units, (frame, packet) => frame === 3 && packet === 1);
    const frameLines = (): Extract<WhipEndpointLine, { type: 'frame' }>[] => lines.flatMap((line) => (line.type === 'frame' ? [line] : []));
    await waitFor(`${units.length} frame lines`, () => frameLines().length >= units.length, 5000);
    expect(frameLines().map(({ frameId, captureMs }) => ({ frameId, captureMs }))).toEqual(expectedFrames(units));
    expect(frameLines().every((line) => line.ok && line.receivedMs > line.captureMs!)).toBe(true);
    expect(sent).toEqual({ dropped: 1, retransmitted: 1 });

    const deleted = await fetch(new URL(location, server.url), { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    const id = location.split('/').pop();
    expect(lines.filter((line) => line.type === 'session')).toEqual([{ type: 'session', id, atMs: expect.any(Number) }]);
    const end = lines.find((line) => line.type === 'session-end');
    expect(end).toMatchObject({ id, reason: 'deleted', framesReceived: units.length, framesDisplayed: units.length, recoveredByRtx: 1 });
    expect(end?.type === 'session-end' && end.nacksSent).toBeGreaterThanOrEqual(1);
    const again = await fetch(new URL(location, server.url), { method: 'DELETE' });
    expect(again.status).toBe(404);
  });
});

describe('WhipEndpointProcess', () => {
  it('runs the endpoint as a child: token, a second POST replaces the first session, frames as EndpointFrames, stop', async () => {
    const proc = await WhipEndpointProcess.start({ token: 'a+b/c=', gray: { width: WIDTH, height: HEIGHT } });
    cleanups.push(() => proc.stop());
    expect(proc.protocol).toBe('whip');
    expect(proc.targetUrl).toBe(`whip://127.0.0.1:${proc.port}${PATH}?token=a%2Bb%2Fc%3D`);
    expect(proc.lines[0]).toMatchObject({ type: 'listening', port: proc.port });
    const url = `http://127.0.0.1:${proc.port}${PATH}`;
    const auth = { Authorization: 'Bearer a+b/c=' };
    expect((await post(url, 'v=0\r\n')).status).toBe(401);

    const first = await post(url, await sender().offer(), auth);
    expect(first.status).toBe(201);
    const second = sender();
    const replacing = await post(url, await second.offer(), auth);
    expect(replacing.status).toBe(201);
    const [firstId, secondId] = [first, replacing].map((response) => response.headers.get('location')?.split('/').pop());
    expect(firstId).not.toBe(secondId);
    const media = await second.accept(await replacing.text(), 10_000);
    const list = units.slice(0, 10);
    await sendUnits(second, media, list);
    expect(await proc.waitFrames(list.length, 5000)).toBe(true);
    expect(proc.frames.map((frame) => (frame.ok ? { frameId: frame.frameId, captureTimeNs: frame.captureTimeNs } : frame))).toEqual(
      list.map((u) => ({ frameId: u.frameId, captureTimeNs: u.captureTimeNs })),
    );

    await proc.stop();
    expect(await proc.exited(1000)).toBe(0);
    const ends = proc.lines.flatMap((line) => (line.type === 'session-end' ? [{ id: line.id, reason: line.reason, framesDisplayed: line.framesDisplayed }] : []));
    expect(ends).toEqual([
      { id: firstId, reason: 'replaced', framesDisplayed: 0 },
      { id: secondId, reason: 'stopped', framesDisplayed: list.length },
    ]);
  });

  it('rejects with the child\'s stderr when it cannot start', async () => {
    await expect(WhipEndpointProcess.start({ path: 'no-slash', gray: { width: WIDTH, height: HEIGHT } })).rejects.toThrow(/exited \(code 2\).*--path must start with \//);
  });
});
