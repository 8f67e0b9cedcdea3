/**
 * The host's own floor under the "network" stage of bench/g2g.ts: one-way latency of plain UDP
 * datagrams (1200 B, no SRTP, no werift) between two Node processes over loopback, stamped with
 * CLOCK_MONOTONIC (shared by every process) on send and on arrival. Run as a script, this file is
 * the receiving process: it reports the one-way delays (ms) over IPC when told to stop.
 */
import dgram from 'node:dgram';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { summarize, type DistributionStats } from '../lab/metrics/stats.ts';

type FloorMessage = { type: 'port'; port: number } | { type: 'stop' } | { type: 'delays'; delaysMs: number[] };

const nowNs = (): bigint => process.hrtime.bigint();

/** Sends `rate` datagrams/s for `seconds` to a receiving process; one-way delay stats, ms. */
export async function measureUdpFloor(rate: number, seconds: number): Promise<DistributionStats> {
  const child = fork(fileURLToPath(import.meta.url), ['--receive'], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: FloorMessage) => m.type === 'port' && resolve(m.port)));
  const socket = dgram.createSocket('udp4');
  const payload = Buffer.alloc(1200);
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    payload.writeBigUInt64BE(nowNs(), 0);
    socket.send(payload, port, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const delays = new Promise<number[]>((resolve) => child.on('message', (m: FloorMessage) => m.type === 'delays' && resolve(m.delaysMs)));
  child.send({ type: 'stop' } satisfies FloorMessage);
  const delaysMs = await delays;
  socket.close();
  child.kill();
  return summarize(delaysMs);
}

if (process.argv.includes('--receive')) {
  const delaysMs: number[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (data) => delaysMs.push(Number(nowNs() - data.readBigUInt64BE(0)) / 1e6));
  socket.bind(0, '127.0.0.1', () => process.send!({ type: 'port', port: socket.address().port } satisfies FloorMessage));
  process.on('message', (m: FloorMessage) => {
    if (m.type === 'stop') process.send!({ type: 'delays', delaysMs } satisfies FloorMessage, () => process.exit(0));
  });
}
