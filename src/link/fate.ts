/**
 * The link's fate log (`link.ndjson`): one record per packet entering the link, plus one per
 * extra copy made by duplicate (`duplicate: true`, same id). Written by the native model
 * (both the data plane and the virtual-time LinkModel), read and validated here.
 * Times are CLOCK_MONOTONIC ms (virtual-time runs: the harness's clock), ns resolution.
 */
import { z } from 'zod';

/** Why the link dropped a packet (`shutdown`: still held when the link stopped; `write-error`: released, but the data plane's
 * write to the far TUN device failed, e.g. the device was down). `corrupted` packets are delivered (with `corruptBit`); the
 * receiving kernel discards them when a checksum covers the flipped bit. */
export type LinkDropReason = 'loss' | 'queue' | 'mtu' | 'shutdown' | 'write-error';

export interface LinkFateRecord {
  type: 'fate';
  side: 'link';
  dir: 'up' | 'down';
  /** packet index in this direction, from 0 */
  id: number;
  /** IP packet size, bytes */
  size: number;
  /** 'udp' | 'tcp' | 'icmp' | 'icmpv6' | IP protocol number as a string */
  proto?: string;
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  /** when the UDP payload parses as RTP version 2 (RTCP's PT range excluded) */
  ssrc?: number;
  seq?: number;
  pt?: number;
  /** data plane only: when it read the packet from the sending side's TUN device (a backlog in front of the link shows against the sender's own send time) */
  readMs?: number;
  enqueueMs: number;
  /** scheduled release; absent when dropped */
  releaseMs?: number;
  /** data plane only: when the packet was actually written to the far TUN device */
  wireMs?: number;
  drop?: LinkDropReason;
  duplicate?: boolean;
  /** released while a packet offered before it was still held */
  reordered?: boolean;
  /** bit index flipped by corrupt (0 = most significant bit of the first byte) */
  corruptBit?: number;
}

/** zod schema of one fate record. */
export const linkFateRecordSchema = z
  .object({
    type: z.literal('fate'),
    side: z.literal('link'),
    dir: z.enum(['up', 'down']),
    id: z.number().int().nonnegative(),
    size: z.number().int().nonnegative(),
    proto: z.string().optional(),
    src: z.string().optional(),
    dst: z.string().optional(),
    sport: z.number().int().min(0).max(65535).optional(),
    dport: z.number().int().min(0).max(65535).optional(),
    ssrc: z.number().int().min(0).max(0xffffffff).optional(),
    seq: z.number().int().min(0).max(65535).optional(),
    pt: z.number().int().min(0).max(127).optional(),
    readMs: z.number().optional(),
    enqueueMs: z.number(),
    releaseMs: z.number().optional(),
    wireMs: z.number().optional(),
    drop: z.enum(['loss', 'queue', 'mtu', 'shutdown', 'write-error']).optional(),
    duplicate: z.boolean().optional(),
    reordered: z.boolean().optional(),
    corruptBit: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((r) => (r.drop === undefined) !== (r.releaseMs === undefined), {
    message: 'exactly one of releaseMs and drop',
  });

/** Error from parsing a fate log; `line` is 1-based. */
export class FateLogError extends Error {
  readonly code = 'LINK_FATE_LOG_INVALID';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`link fate log line ${line}: ${message}`);
    this.name = 'FateLogError';
  }
}

/** Parses NDJSON fate text; returns the records or the first error (never throws). */
export function parseFateLog(text: string): { records: LinkFateRecord[] } | { error: FateLogError } {
  const records: LinkFateRecord[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      return { error: new FateLogError(`not JSON (${(error as Error).message})`, i + 1) };
    }
    const parsed = linkFateRecordSchema.safeParse(value);
    if (!parsed.success) return { error: new FateLogError(parsed.error.issues[0]?.message ?? 'invalid', i + 1) };
    records.push(parsed.data);
  }
  return { records };
}
