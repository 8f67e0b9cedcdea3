/**
 * Per-packet cost of the protection chains at 10 k media packets/s simulated (30 fps, ~333 packets
 * of 1200 B per frame, ≈ 96 Mbit/s). Send: SendProtection.sendFrame + drain, per media packet.
 * Receive: ReceiveRecovery.receive + drain + handleTimeout, per wire packet, with 5 % of the wire
 * packets dropped (seeded) so FEC recovery and NACK generation run.
 * Run: node --import tsx bench/protection.ts   (prints a table, writes bench/results/protection.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { SendProtection } from '../src/sender/protection/send-chain.ts';
import { ReceiveRecovery } from '../src/receiver/protection/receive-chain.ts';
import type { SendPacket } from '../src/sender/protection/options.ts';
import { serializeRtp } from '../src/shared/rtp/packet.ts';
import { makeRng } from '../src/sim/frame-trace.ts';
import { simOptions, MEDIA_SSRC } from '../test/protection/sim-options.ts';
import type { ProtectionMode, FecScheme } from '../src/sender/protection/options.ts';

const PACKETS_PER_SECOND = 10_000;
const FPS = 30;
const PACKETS_PER_FRAME = Math.round(PACKETS_PER_SECOND / FPS);
const PAYLOAD_BYTES = 1188;
const SECONDS = 2;
const LOSS = 0.05;

function frames(): Buffer[][] {
  const out: Buffer[][] = [];
  let seq = 0;
  for (let f = 0; f < FPS * SECONDS; f++) {
    out.push(Array.from({ length: PACKETS_PER_FRAME }, (_, i) => {
      const payload = Buffer.alloc(PAYLOAD_BYTES, (f + i) & 0xff);
      payload[0] = 0x41;
      return serializeRtp({ marker: i === PACKETS_PER_FRAME - 1, payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: f * 3000, ssrc: MEDIA_SSRC, csrcs: [], extensions: new Map(), payload, paddingBytes: 0 });
    }));
  }
  return out;
}

interface Row { mode: ProtectionMode; scheme: FecScheme; sendNsPerPacket: number; receiveNsPerPacket: number; wirePackets: number; recoveredByFec: number; nacks: number }

function run(mode: ProtectionMode, scheme: FecScheme, input: Buffer[][]): Row {
  const o = simOptions({ seed: 1, mode, scheme, fixedFecRate255: { key: 40, delta: 40 } });
  const bestOf = (fn: () => number): number => Math.min(fn(), fn(), fn());
  let wire: SendPacket[] = [];
  const sendNs = bestOf(() => {
    const send = new SendProtection({ ...o.send, senderReportIntervalMs: undefined });
    const packets: SendPacket[] = [];
    let seq = 0;
    const t0 = process.hrtime.bigint();
    input.forEach((frame, f) => {
      // renumber so ULPFEC's seqs after each frame stay in order
      for (const p of frame) { p.writeUInt16BE(seq & 0xffff, 2); seq++; }
      const r = send.sendFrame({ packets: frame, keyframe: f === 0, nowMs: (f * 1000) / FPS });
      if (r instanceof Error) throw r;
      seq = r.nextSequenceNumber;
      for (let e = send.pollOutput(); e !== undefined; e = send.pollOutput()) if (e.type === 'packet') packets.push(e);
    });
    const ns = Number(process.hrtime.bigint() - t0);
    wire = packets;
    return ns / (input.length * PACKETS_PER_FRAME);
  });
  let recoveredByFec = 0;
  let nacks = 0;
  const receiveNs = bestOf(() => {
    const recv = new ReceiveRecovery(o.receive);
    const rng = makeRng(99);
    const t0 = process.hrtime.bigint();
    wire.forEach((p, i) => {
      const nowMs = (i * 1000) / PACKETS_PER_SECOND;
      if (rng() >= LOSS) recv.receive(p.packet, nowMs);
      recv.handleTimeout(nowMs);
      while (recv.pollOutput() !== undefined);
    });
    const ns = Number(process.hrtime.bigint() - t0);
    recoveredByFec = recv.stats.recoveredByFec;
    nacks = recv.stats.nacksSent;
    return ns / wire.length;
  });
  return { mode, scheme, sendNsPerPacket: sendNs, receiveNsPerPacket: receiveNs, wirePackets: wire.length, recoveredByFec, nacks };
}

const input = frames();
const rows: Row[] = [];
for (const [mode, scheme] of [['none', 'flexfec'], ['nack', 'flexfec'], ['fec', 'flexfec'], ['fec', 'ulpfec'], ['hybrid', 'flexfec'], ['hybrid', 'ulpfec']] as const) {
  rows.push(run(mode, scheme, input));
}
console.log(`protection chains, ${PACKETS_PER_SECOND} media packets/s simulated, ${PACKETS_PER_FRAME} × 1200 B per frame, FEC factor 40/255, ${LOSS * 100} % loss into the receiver`);
console.log('mode    scheme   send µs/pkt  recv µs/pkt  CPU share at 10k pps (send+recv)  wire pkts  FEC-rec  NACKs');
for (const r of rows) {
  const share = ((r.sendNsPerPacket * PACKETS_PER_SECOND + r.receiveNsPerPacket * (r.wirePackets / SECONDS)) / 1e9) * 100;
  console.log(`${r.mode.padEnd(7)} ${r.scheme.padEnd(8)} ${(r.sendNsPerPacket / 1000).toFixed(2).padStart(11)}  ${(r.receiveNsPerPacket / 1000).toFixed(2).padStart(11)}  ${share.toFixed(1).padStart(30)} %  ${String(r.wirePackets).padStart(9)}  ${String(r.recoveredByFec).padStart(7)}  ${String(r.nacks).padStart(5)}`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/protection.json', import.meta.url), JSON.stringify({ packetsPerSecond: PACKETS_PER_SECOND, packetsPerFrame: PACKETS_PER_FRAME, loss: LOSS, node: process.version, rows }, null, 2) + '\n');
