/**
 * The WebRTC relay's own cost: what the forwarder adds per packet and per frame.
 *  1. CPU per packet, in one process, side by side: parse alone (the anchor: what the receive
 *     path does anyway), the passthrough's rewrite (RtpPassthrough.accept: seq/timestamp/SSRC/PT,
 *     extension ids, serialize, history), and an RTX answer from the history.
 *  2. The forwarder's part per frame in real time (the issue's goal: ≤ 1 ms p50, last packet in →
 *     out): a WhipTarget fed x264 frames at 30 fps, sending over loopback to the lab's WHIP
 *     endpoint in this process (werift's SRTP and the socket included), as in a run.
 *
 * Run: node --import tsx bench/relay.ts [--frames N]
 * Prints a table and writes bench/results/relay.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../src/native/addon.ts';
import { RtpPassthrough } from '../src/relay/rtp-passthrough.ts';
import { WhipEndpointServer } from '../src/relay/whip-endpoint.ts';
import { WHIP_HOP_STREAMS } from '../src/relay/whip-hop.ts';
import { WhipTarget } from '../src/relay/whip-target.ts';
import { H264PacketizeError, H264Packetizer, DEFAULT_H264_PACKETIZER_OPTIONS } from '../src/sender/h264/packetizer.ts';
import { isRtpParseError, parseRtp, type RtpPacket } from '../src/shared/rtp/packet.ts';
import { startLocalStunServer } from '../src/transport/stun-server.ts';
import { medianPassMs } from './lib/median-pass.ts';

const framesArg = process.argv.indexOf('--frames');
const FRAMES = framesArg > 0 ? Number(process.argv[framesArg + 1]) : 300;
const WIDTH = 640;
const HEIGHT = 360;
const FPS = 30;
const REPEATS = 7;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// real access units: the lab's scene (lavapipe readback), x264 at 1 Mbit/s, a keyframe a second
const native = loadNative();
const source = new native.FrameSource({ width: WIDTH, height: HEIGHT, fps: FPS, capturePath: 'readback', pixelFormat: 'i420' });
const encoder = new native.Encoder({ codec: 'x264', width: WIDTH, height: HEIGHT, fps: FPS, bitrateBps: 1_000_000, gop: FPS });
const packetizer = new H264Packetizer({ ...DEFAULT_H264_PACKETIZER_OPTIONS, payloadType: 102, ssrc: 0x1234_5678, extensions: {} });
const frames: RtpPacket[][] = [];
/** each packet as it came off the first hop's wire, for the parse anchor */
const wireBytes: Buffer[] = [];
let seq = 1;
for (let i = 0; i < FRAMES; i++) {
  const unit = await encoder.encode(await source.captureOne());
  if (!unit) continue;
  const frame = packetizer.packetize({ accessUnit: unit.data, rtpTimestamp: (i * 3000) >>> 0, firstSequenceNumber: seq });
  if (frame instanceof H264PacketizeError) throw new Error(frame.message);
  seq = frame.nextSequenceNumber;
  frames.push(frame.packets.map((p) => {
    wireBytes.push(p.data);
    const parsed = parseRtp(p.data);
    if (isRtpParseError(parsed)) throw new Error(parsed.message);
    return parsed;
  }));
}
source.close();
encoder.close();
const packets = frames.flat();

interface CpuResult {
  stage: string;
  packets: number;
  usPerPacket: number;
}

function measure(stage: string, count: number, run: () => void): CpuResult {
  return { stage, packets: count, usPerPacket: (medianPassMs(run, REPEATS) * 1000) / count };
}

const cpu: CpuResult[] = [];
// the anchor: each packet parsed once, as the receive path does before the forwarder sees it
cpu.push(measure('parse (parseRtp), the anchor', wireBytes.length, () => {
  for (const b of wireBytes) parseRtp(b);
}));
let forwarded = 0;
cpu.push(measure('passthrough (RtpPassthrough.accept: rewrite, serialize, history)', packets.length, () => {
  const pass = new RtpPassthrough({ ssrc: 0xabcdef01, payloadType: 96, firstSeq: 65000, firstTimestamp: 123, extensionIds: new Map(), rtx: WHIP_HOP_STREAMS.rtx });
  forwarded = 0;
  for (const p of packets) {
    const r = pass.accept(p);
    if (r.kind === 'forward') forwarded++;
    else if (r.kind === 'start') forwarded += r.packets.length;
  }
}));
if (forwarded !== packets.length) throw new Error(`passthrough forwarded ${forwarded} of ${packets.length} packets`);
const answering = new RtpPassthrough({ ssrc: 0xabcdef01, payloadType: 96, firstSeq: 0, firstTimestamp: 0, extensionIds: new Map(), rtx: WHIP_HOP_STREAMS.rtx });
for (const p of packets) answering.accept(p);
// the last 1024 sent (the history's size): every one is answered
const nacked = Array.from({ length: Math.min(1024, packets.length) }, (_, i) => (packets.length - 1 - i) & 0xffff);
let answered = 0;
cpu.push(measure('RTX answer (RtpPassthrough.retransmit, per sequence number)', nacked.length, () => {
  answered = answering.retransmit(nacked).length;
}));
if (answered !== nacked.length) throw new Error(`answered ${answered} of ${nacked.length} NACKed packets`);

// 2. real time: WhipTarget → the lab's WHIP endpoint over loopback
const stun = await startLocalStunServer('127.0.0.1');
let decoded = 0;
const endpoint = await WhipEndpointServer.start({
  host: '127.0.0.1', port: 0, path: '/whip/bench', stunUrl: stun.url, width: WIDTH, height: HEIGHT,
  onLine: (line) => {
    if (line.type === 'frame') decoded++;
  },
});
const target = new WhipTarget({ url: `whip://127.0.0.1:${endpoint.port}/whip/bench`, hostAddress: '127.0.0.1', stunUrl: stun.url, upstreamExtensions: {}, now: nowMs });
const openBy = Date.now() + 15_000;
while (target.stats().state !== 'open') {
  if (Date.now() > openBy) throw new Error(`the WHIP session did not open: ${target.stats().lastError ?? target.stats().state}`);
  target.handleTimeout(nowMs());
  await sleep(20);
}
const start = performance.now();
for (const [index, list] of frames.entries()) {
  const wait = start + (index * 1000) / FPS - performance.now();
  if (wait > 0) await sleep(wait);
  for (const p of list) target.forward(p, nowMs());
}
await sleep(500);
await target.close();
await endpoint.stop();
await stun.close();
const live = target.stats();

const table = cpu.map((r) => ({ stage: r.stage, packets: r.packets, 'µs/packet': r.usPerPacket.toFixed(3), 'vs parse': (r.usPerPacket / cpu[0]!.usPerPacket).toFixed(2) }));
console.log(`relay bench: ${frames.length} frames of ${WIDTH}x${HEIGHT} x264 1 Mbit/s, ${packets.length} packets`);
console.table(table);
console.log(
  `forwarder part per frame (WhipTarget → lab WHIP endpoint, loopback, ${FPS} fps): p50 ${live.forwardMsP50?.toFixed(3)} ms, p95 ${live.forwardMsP95?.toFixed(3)} ms, max ${live.forwardMsMax?.toFixed(3)} ms over ${live.frames} frames; ${decoded} decoded at the endpoint (goal: p50 ≤ 1 ms)`,
);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'relay.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      bench: 'relay',
      node: process.version,
      date: new Date().toISOString(),
      method: `CPU: median of ${REPEATS} passes after 2 warm-up passes; real time: one ${FPS} fps pass`,
      loadAverage: loadavg(),
      config: { frames: frames.length, width: WIDTH, height: HEIGHT, fps: FPS, bitrateBps: 1_000_000, packets: packets.length },
      cpu,
      forwarderPerFrameMs: { p50: live.forwardMsP50 ?? null, p95: live.forwardMsP95 ?? null, max: live.forwardMsMax ?? null, frames: live.frames },
      decodedAtEndpoint: decoded,
      goalMet: live.forwardMsP50 !== undefined && live.forwardMsP50 <= 1,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
