/**
 * RTP/H.264 throughput: packetize, serialize-free parse, and assemble (depacketize + Annex-B
 * rebuild) for 720p-sized access units (30 KB IDR once a second, 5 KB P frames at 30 fps) at
 * MTU 1200 with transport-cc, abs-send-time and abs-capture-time negotiated. werift's RTP parser
 * runs beside ours as the anchor.
 *
 * Run: node --import tsx bench/rtp.ts [--frames N]
 * Prints a table and writes bench/results/rtp.json.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RtpPacket as WeriftRtpPacket } from 'werift';
import { FrameAssembler } from '../src/receiver/frame-assembler.ts';
import { DEFAULT_FRAME_ASSEMBLER_OPTIONS } from '../src/receiver/frame-assembler-types.ts';
import { H264PacketizeError, H264Packetizer } from '../src/sender/h264/packetizer.ts';
import { RtpTimestampClock } from '../src/sender/rtp-clock.ts';
import { escapeNalPayload } from '../src/shared/h264/annexb.ts';
import { ABS_CAPTURE_TIME_URI, q32FromMs } from '../src/shared/rtp/extensions/abs-capture-time.ts';
import { ABS_SEND_TIME_URI } from '../src/shared/rtp/extensions/abs-send-time.ts';
import { TRANSPORT_WIDE_SEQ_URI } from '../src/shared/rtp/extensions/transport-wide-seq.ts';
import { isRtpParseError, parseRtp, type RtpPacket } from '../src/shared/rtp/packet.ts';
import { medianPassMs } from './lib/median-pass.ts';

const MTU_BYTES = 1200;
const FPS = 30;
const IDR_BYTES = 30_000;
const P_BYTES = 5_000;
const framesArg = process.argv.indexOf('--frames');
const FRAMES = framesArg > 0 ? Number(process.argv[framesArg + 1]) : 3000;

/** Deterministic NAL unit of `bytes` bytes (header + escaped pseudo-random body). */
function nal(header: number, bytes: number, seed: number): Buffer {
  const raw = new Uint8Array(bytes);
  let x = seed | 1;
  for (let i = 0; i < bytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    raw[i] = x >>> 24;
  }
  return Buffer.concat([Buffer.from([header]), escapeNalPayload(raw).subarray(0, bytes - 1)]);
}

const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xec, 0x04, 0x40]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const units: Buffer[][] = [];
for (let i = 0; i < FPS; i++) {
  units.push(i === 0 ? [sps, pps, nal(0x65, IDR_BYTES - sps.length - pps.length, i + 1)] : [nal(0x41, P_BYTES, i + 1)]);
}

const packetizer = new H264Packetizer({
  maxPacketBytes: MTU_BYTES,
  payloadType: 102,
  ssrc: 0x1234_5678,
  csrcs: [],
  fecOverheadBytes: 0,
  rtxOverheadBytes: 2,
  extensions: { [TRANSPORT_WIDE_SEQ_URI]: 1, [ABS_SEND_TIME_URI]: 2, [ABS_CAPTURE_TIME_URI]: 3 },
  extensionProfile: 'one-byte',
  aggregate: true,
});
const clock = new RtpTimestampClock({ clockRateHz: 90_000, seed: 7 });

interface StageResult {
  stage: string;
  packets: number;
  totalMs: number;
  packetsPerSecond: number;
  usPerPacket: number;
  mbitPerSecond: number;
}

const REPEATS = 7;

/** Runs `run` twice to warm the JIT, then REPEATS times; reports the median pass. */
function measure(stage: string, packets: number, bytes: number, run: () => void): StageResult {
  const totalMs = medianPassMs(run, REPEATS);
  return {
    stage,
    packets,
    totalMs,
    packetsPerSecond: packets / (totalMs / 1000),
    usPerPacket: (totalMs * 1000) / packets,
    mbitPerSecond: (bytes * 8) / 1e6 / (totalMs / 1000),
  };
}

// Packetize: FRAMES access units.
let wire: Buffer[] = [];
let seq = 1000;
const packetizeOnce = () => {
  wire = [];
  seq = 1000;
  for (let f = 0; f < FRAMES; f++) {
    const captureMs = (f * 1000) / FPS;
    const frame = packetizer.packetize({
      accessUnit: units[f % FPS]!,
      rtpTimestamp: clock.fromMs(captureMs),
      firstSequenceNumber: seq,
      captureTime: { captureNtp: q32FromMs(captureMs) },
    });
    if (frame instanceof H264PacketizeError) throw new Error(frame.message);
    for (const p of frame.packets) wire.push(p.data);
    seq = frame.nextSequenceNumber;
  }
};
packetizeOnce();
const packetCount = wire.length;
const wireBytes = wire.reduce((sum, b) => sum + b.length, 0);
const maxPacket = Math.max(...wire.map((b) => b.length));

const results: StageResult[] = [];
results.push(measure('packetize (H264Packetizer)', packetCount, wireBytes, packetizeOnce));

let parsed: RtpPacket[] = [];
results.push(
  measure('parse (parseRtp)', packetCount, wireBytes, () => {
    parsed = [];
    for (const b of wire) {
      const p = parseRtp(b);
      if (isRtpParseError(p)) throw new Error(p.message);
      parsed.push(p);
    }
  }),
);
results.push(
  measure('parse (werift RtpPacket.deSerialize, anchor)', packetCount, wireBytes, () => {
    for (const b of wire) WeriftRtpPacket.deSerialize(b);
  }),
);

let framesOut = 0;
results.push(
  measure('assemble (FrameAssembler.insert, in order)', packetCount, wireBytes, () => {
    const assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS });
    framesOut = 0;
    let now = 0;
    for (const p of parsed) {
      assembler.insert(p, (now += 0.05));
      for (let o = assembler.pollOutput(); o; o = assembler.pollOutput()) if (o.type === 'frame') framesOut++;
    }
  }),
);
if (framesOut !== FRAMES) throw new Error(`assembled ${framesOut} of ${FRAMES} frames`);

results.push(
  measure('end to end (packetize + parse + assemble)', packetCount, wireBytes, () => {
    const assembler = new FrameAssembler({ ...DEFAULT_FRAME_ASSEMBLER_OPTIONS });
    let s = 1000;
    let now = 0;
    for (let f = 0; f < FRAMES; f++) {
      const frame = packetizer.packetize({ accessUnit: units[f % FPS]!, rtpTimestamp: clock.fromMs((f * 1000) / FPS), firstSequenceNumber: s });
      if (frame instanceof H264PacketizeError) throw new Error(frame.message);
      s = frame.nextSequenceNumber;
      for (const p of frame.packets) {
        const packet = parseRtp(p.data);
        if (isRtpParseError(packet)) throw new Error(packet.message);
        assembler.insert(packet, (now += 0.05));
        while (assembler.pollOutput());
      }
    }
  }),
);

const table = results.map((r) => ({
  stage: r.stage,
  packets: r.packets,
  'total ms': r.totalMs.toFixed(1),
  'packets/s': Math.round(r.packetsPerSecond).toLocaleString('en-US'),
  'µs/packet': r.usPerPacket.toFixed(3),
  'Mbit/s': r.mbitPerSecond.toFixed(0),
}));
console.log(`RTP/H.264 bench: ${FRAMES} frames (IDR ${IDR_BYTES} B every ${FPS}, P ${P_BYTES} B), MTU ${MTU_BYTES}, ${packetCount} packets, largest ${maxPacket} B`);
console.table(table);

const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'rtp.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      bench: 'rtp',
      node: process.version,
      date: new Date().toISOString(),
      method: `median of ${REPEATS} passes after 2 warm-up passes`,
      loadAverage: (await import('node:os')).loadavg(),
      config: { frames: FRAMES, fps: FPS, idrBytes: IDR_BYTES, pBytes: P_BYTES, mtuBytes: MTU_BYTES, rtxOverheadBytes: 2, extensions: ['transport-cc', 'abs-send-time', 'abs-capture-time'] },
      packets: packetCount,
      wireBytes,
      largestPacketBytes: maxPacket,
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out}`);
