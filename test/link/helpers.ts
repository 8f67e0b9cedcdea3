/** Test helpers: build IPv4/UDP(/RTP) packets, quantiles, fate parsing. */
import { existsSync } from 'node:fs';
import { parseFateLog, type LinkFateRecord } from '../../src/link/fate.ts';

/** IPv4 + UDP packet of `size` bytes total; with `rtp`, the payload starts with an RTP header. */
export function udpPacket(options: {
  size: number;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  rtp?: { ssrc: number; seq: number; pt: number };
}): Buffer {
  const b = Buffer.alloc(Math.max(options.size, 28 + (options.rtp ? 12 : 0)));
  b[0] = 0x45;
  b.writeUInt16BE(b.length, 2);
  b[8] = 64;
  b[9] = 17;
  const ip = (s: string, at: number) => s.split('.').forEach((x, i) => (b[at + i] = Number(x)));
  ip(options.src ?? '10.250.0.1', 12);
  ip(options.dst ?? '10.250.0.2', 16);
  b.writeUInt16BE(options.sport ?? 5000, 20);
  b.writeUInt16BE(options.dport ?? 5002, 22);
  b.writeUInt16BE(b.length - 20, 24);
  if (options.rtp) {
    b[28] = 0x80;
    b[29] = options.rtp.pt;
    b.writeUInt16BE(options.rtp.seq, 30);
    b.writeUInt32BE(options.rtp.ssrc, 36);
  }
  return b;
}

/** Parses fate NDJSON, failing the test on a schema error. */
export function fates(text: string): LinkFateRecord[] {
  const parsed = parseFateLog(text);
  if ('error' in parsed) throw parsed.error;
  return parsed.records;
}

/** q-quantile (0..1) of numbers, nearest rank. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** True when running as root with /dev/net/tun (namespaces and TUN devices can be made). */
export function canMakeNamespaces(): boolean {
  return process.getuid?.() === 0 && existsSync('/dev/net/tun');
}

/** Lengths of the runs of consecutive losses in a model's outcomes, in order. */
export function lossBursts(outcomes: readonly string[]): number[] {
  const bursts: number[] = [];
  let run = 0;
  for (const o of outcomes) {
    if (o === 'loss') run++;
    else if (run > 0) {
      bursts.push(run);
      run = 0;
    }
  }
  return bursts;
}
