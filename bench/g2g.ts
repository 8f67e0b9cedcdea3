/**
 * bench/g2g: (1) the lab's own added latency at 720p30 over loopback, from a real run
 * (`runScenario` + the records): added = G2G − (encode + decode), where G2G = marker read −
 * capture and capture is the render fence (render itself precedes capture, so it is not inside
 * G2G); with the breakdown of what remains. (2) the transport's packet-rate ceiling: werift
 * SenderPeer → ReceiverPeer over loopback with the lab's units (packetizer; parseRtp + frame
 * assembler), offered load stepped up, delivered packets/s and CPU per packet; anchor in the same
 * run: werift's own SRTP encrypt/decrypt rate on one core.
 *
 *   node --import tsx bench/g2g.ts [--seconds 10]
 *
 * Prints tables and writes bench/results/g2g.json.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RtpPacket } from 'werift';
import { writeFileAtomic } from '../lab/results/atomic.ts';
import { loadRun } from '../lab/report/load-run.ts';
import { runScenario } from '../lab/run/orchestrator.ts';
import type { ResolvedScenario } from '../lab/scenario/schema.ts';
import type { ReceiverFrameRecord, SenderFrameRecord } from '../src/shared/records.ts';
import { parseRtp, RtpParseError } from '../src/shared/rtp/packet.ts';
import { FrameAssembler } from '../src/receiver/frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS } from '../src/receiver/frame-assembler-types.ts';
import { DEFAULT_H264_PACKETIZER_OPTIONS, H264PacketizeError, H264Packetizer } from '../src/sender/h264/packetizer.ts';
import { startLocalStunServer } from '../src/transport/stun-server.ts';
import { ReceiverPeer, SenderPeer } from '../src/transport/webrtc-peer.ts';

const secondsArg = process.argv.indexOf('--seconds');
const runSeconds = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 10;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const stat = (values: number[]): { p50: number; p99: number; mean: number } => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  mean: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length),
});
const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '-');

type Stat = ReturnType<typeof stat>;

/** Part 1: a real 720p30 run; per-frame latency parts (ms) from its records, and the frame count. */
async function addedLatency(): Promise<{ frames: number; parts: Record<string, Stat> }> {
  const scenario: ResolvedScenario = {
    schemaVersion: 1,
    name: 'bench-g2g',
    durationMs: runSeconds * 1000,
    width: 1280,
    height: 720,
    fps: 30,
    seed: 42,
    encoder: { codec: 'x264', bitrateBps: 2_000_000, gop: 0, vbvFrames: 1, threads: 1 },
    capture: { path: 'readback', format: 'i420' },
    transport: { mtu: 1200, pliIntervalMs: 500 },
    link: 'none',
    budgets: [],
  };
  const runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-bench-g2g-'));
  try {
    const outcome = await runScenario(scenario, { runsRoot });
    if (outcome.status.state !== 'completed') throw new Error(`bench run ${outcome.status.state}: ${outcome.status.message}`);
    const { records } = await loadRun(outcome.runDir);
    const sent = new Map<number, SenderFrameRecord>(records.senderFrames.map((f) => [f.frameId, f]));
    const parts: Record<string, number[]> = {
      g2g: [], codec: [], added: [], capture: [], convert: [], encodeQueue: [], packetizeSend: [], network: [], assembly: [], decodeQueue: [], marker: [],
    };
    for (const r of records.receiverFrames as ReceiverFrameRecord[]) {
      const s = r.frameId === undefined ? undefined : sent.get(r.frameId);
      if (!s || r.marker !== 'ok' || r.markerReadMs === undefined || r.decodeStartMs === undefined || r.decodeDoneMs === undefined) continue;
      if (s.encodeStartMs === undefined || s.encodeDoneMs === undefined || s.lastPacketSentMs === undefined) continue;
      const g2g = r.markerReadMs - s.captureMs;
      const codec = s.encodeDoneMs - s.encodeStartMs + (r.decodeDoneMs - r.decodeStartMs);
      parts.g2g!.push(g2g);
      parts.codec!.push(codec);
      parts.added!.push(g2g - codec);
      parts.capture!.push(s.copyDoneMs - s.renderDoneMs);
      parts.convert!.push(s.convertDoneMs - s.copyDoneMs);
      parts.encodeQueue!.push(s.encodeStartMs - s.convertDoneMs);
      parts.packetizeSend!.push(s.lastPacketSentMs - s.encodeDoneMs);
      parts.network!.push(r.lastPacketMs - s.lastPacketSentMs);
      parts.assembly!.push((r.completeMs ?? r.lastPacketMs) - r.lastPacketMs);
      parts.decodeQueue!.push(r.decodeStartMs - (r.completeMs ?? r.lastPacketMs));
      parts.marker!.push(r.markerReadMs - r.decodeDoneMs);
    }
    return { frames: parts.g2g!.length, parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stat(v)])) };
  } finally {
    await rm(runsRoot, { recursive: true, force: true });
  }
}

/** Realistic packets: one 720p keyframe-sized AU then P-frame-sized ones, packetized at MTU 1200. */
function packetStream(ssrc: number, payloadType: number, count: number): Buffer[] {
  const packetizer = new H264Packetizer({ ...DEFAULT_H264_PACKETIZER_OPTIONS, maxPacketBytes: 1200, payloadType, ssrc, extensions: {} });
  const packets: Buffer[] = [];
  let seq = 1000;
  let timestamp = 0;
  for (let frame = 0; packets.length < count; frame++) {
    const size = frame % 60 === 0 ? 30_000 : 6_000;
    const nal = Buffer.alloc(size, frame & 0xff);
    nal[0] = frame % 60 === 0 ? 0x65 : 0x41; // IDR slice / non-IDR slice
    const au = Buffer.concat([Buffer.from([0, 0, 0, 1]), nal]);
    const out = packetizer.packetize({ accessUnit: au, rtpTimestamp: timestamp, firstSequenceNumber: seq });
    if (out instanceof H264PacketizeError) throw new Error(out.message);
    for (const p of out.packets) packets.push(p.data);
    seq = out.nextSequenceNumber;
    timestamp = (timestamp + 3000) >>> 0;
  }
  return packets.slice(0, count);
}

interface RateStep {
  offeredPps: number | 'unthrottled';
  sentPps: number;
  deliveredPps: number;
  lossPercent: number;
  cpuUsPerPacket: number;
  framesAssembled: number;
}

/** Part 2: packets/s through werift with the lab's units at each offered load. */
async function packetRate(): Promise<{ steps: RateStep[]; srtpEncryptPps: number; srtpDecryptPps: number }> {
  const stun = await startLocalStunServer('127.0.0.1');
  const sender = SenderPeer.create({ hostAddress: '127.0.0.1', stunUrl: stun.url });
  const receiver = ReceiverPeer.create({ hostAddress: '127.0.0.1', stunUrl: stun.url });
  const answer = await receiver.answer(await sender.offer());
  const [media] = await Promise.all([sender.accept(answer), receiver.waitConnected()]);
  let received = 0;
  let framesAssembled = 0;
  const assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS, maxWaitMs: 0 });
  receiver.onRtp((raw, arrivalNs) => {
    const packet = parseRtp(raw);
    if (packet instanceof RtpParseError) return;
    received++;
    assembler.insert(packet, Number(arrivalNs) / 1e6);
    let out;
    while ((out = assembler.pollOutput())) if (out.type === 'frame') framesAssembled++;
  });

  const steps: RateStep[] = [];
  for (const offered of (process.argv.includes("--no-rate") ? [] : [5_000, 10_000, 20_000, 40_000, "unthrottled"]) as (number | "unthrottled")[]) {
    const seconds = 2;
    const total = offered === 'unthrottled' ? 80_000 : offered * seconds;
    const packets = packetStream(media.ssrc, media.payloadType, total);
    received = 0;
    framesAssembled = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < packets.length; i++) {
      if (offered !== 'unthrottled') {
        const due = (i / offered) * 1e9;
        while (Number(process.hrtime.bigint() - t0) < due) await new Promise((r) => setImmediate(r));
      }
      void sender.sendRtp(packets[i]!);
      if (i % 64 === 63) await new Promise((r) => setImmediate(r)); // let the receiver run
    }
    const sendSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await new Promise((r) => setTimeout(r, 300));
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    steps.push({
      offeredPps: offered,
      sentPps: packets.length / sendSeconds,
      deliveredPps: received / elapsed,
      lossPercent: (100 * (packets.length - received)) / packets.length,
      cpuUsPerPacket: (cpu.user + cpu.system) / Math.max(1, received),
      framesAssembled,
    });
  }

  // Anchor: werift's SRTP alone, one core, same packets (encrypt on the sender's session,
  // decrypt on the receiver's).
  const srtpPackets = packetStream(media.ssrc, media.payloadType, 20_000).map((raw) => RtpPacket.deSerialize(raw));
  const dtlsOut = (sender as unknown as { dtls: { srtp: { encrypt(p: Buffer, h: unknown): Buffer } } }).dtls;
  const dtlsIn = (receiver as unknown as { dtls: { srtp: { decrypt(b: Buffer): Buffer } } }).dtls;
  let t = process.hrtime.bigint();
  const encrypted = srtpPackets.map((p) => dtlsOut.srtp.encrypt(p.payload, p.header));
  const srtpEncryptPps = srtpPackets.length / (Number(process.hrtime.bigint() - t) / 1e9);
  // A fresh receiving context would reject replays of these seqs only after its window; use a
  // copy of each packet so the decrypt path does its full work.
  t = process.hrtime.bigint();
  let decrypted = 0;
  for (const e of encrypted) {
    try {
      dtlsIn.srtp.decrypt(Buffer.from(e));
      decrypted++;
    } catch {
      // replay-protected duplicates still cost the authentication check
    }
  }
  const srtpDecryptPps = encrypted.length / (Number(process.hrtime.bigint() - t) / 1e9);
  void decrypted;

  await sender.close();
  await receiver.close();
  await stun.close();
  return { steps, srtpEncryptPps, srtpDecryptPps };
}

async function main(): Promise<void> {
  console.log(`bench/g2g: 720p30 x264 over loopback for ${runSeconds} s ...`);
  const latency = await addedLatency();
  console.log(`\nper frame, ms (${latency.frames} frames with a readable marker)`);
  console.log('part                 p50      p99      mean');
  for (const [name, s] of Object.entries(latency.parts)) {
    console.log(`${name.padEnd(20)} ${f2(s.p50).padEnd(8)} ${f2(s.p99).padEnd(8)} ${f2(s.mean)}`);
  }
  console.log('added = g2g − codec (encode + decode); target ≤ 2 ms p50 / 5 ms p99');

  console.log('\npacket-rate ceiling: werift SenderPeer → ReceiverPeer (loopback), our packetizer, parseRtp + frame assembler');
  const rate = await packetRate();
  console.log('offered pps   sent pps   delivered pps   loss %   CPU µs/packet (both ends, one process)   frames');
  for (const s of rate.steps) {
    console.log(`${String(s.offeredPps).padEnd(13)} ${s.sentPps.toFixed(0).padEnd(10)} ${s.deliveredPps.toFixed(0).padEnd(15)} ${s.lossPercent.toFixed(2).padEnd(8)} ${s.cpuUsPerPacket.toFixed(1).padEnd(40)} ${s.framesAssembled}`);
  }
  console.log(`anchor, werift SRTP alone on one core: encrypt ${rate.srtpEncryptPps.toFixed(0)} pkts/s, decrypt ${rate.srtpDecryptPps.toFixed(0)} pkts/s`);

  await mkdir(path.resolve('bench/results'), { recursive: true });
  const out = { bench: 'g2g', date: new Date().toISOString(), loadAverage: os.loadavg(), runSeconds, latencyMs: latency, packetRate: rate };
  await writeFileAtomic(path.resolve('bench/results/g2g.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log('\nwrote bench/results/g2g.json');
}

await main();
