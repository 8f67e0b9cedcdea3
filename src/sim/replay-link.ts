/**
 * A link direction that replays a recorded run's fate log: each RTP packet the simulation offers
 * meets the fate the real link gave the same packet (packet-identity.ts: a media packet by its
 * seq, a retransmission by the media packet it carries and its count, an FEC packet by its block
 * and index, from the real and the simulated sender's records): dropped, or held for the recorded
 * delay (release − enqueue), with the recorded duplicates. What the log cannot say is replayed plainly: RTCP (the data plane parses no
 * RTCP) and packets the real run never sent go through unharmed after the direction's median
 * recorded delay, and are counted (`unmatched`) so a cross-check can say how much that was.
 */
import type { LinkFateRecord } from '../link/fate.ts';
import type { LabRecord } from '../shared/records.ts';
import { PacketIdentities } from './packet-identity.ts';
import { framedSize } from './sim-link.ts';
import type { SimLink } from './sim-link.ts';

interface Held {
  releaseMs: number;
  /** offer order, so equal release times keep it */
  order: number;
  datagram: Uint8Array;
}

/** What a replay could and could not take from the log. */
export interface ReplayCounts {
  /** RTP packets offered that met a recorded fate */
  matched: number;
  /** RTP packets the log has no (further) fate for: sent unharmed */
  unmatched: number;
  /** RTCP datagrams: sent unharmed */
  rtcp: number;
}

const isRtcp = (d: Uint8Array): boolean => d.length >= 2 && d[1]! >= 192 && d[1]! <= 223;
const keyOf = (ssrc: number, seq: number): string => `${ssrc >>> 0}:${seq}`;

export class ReplayLink implements SimLink {
  readonly counts: ReplayCounts = { matched: 0, unmatched: 0, rtcp: 0 };
  /** per packet identity, the recorded fates (first copy, then its duplicates), in log order */
  private readonly fatesByPacket = new Map<string, LinkFateRecord[][]>();
  /** identities of what the simulated sender sends, from its records */
  private readonly simulated = new PacketIdentities();
  private readonly medianDelayMs: number;
  private held: Held[] = [];
  private order = 0;
  private nextId = 0;
  private fateLines: string[] = [];

  /** `recordedSender`: the real run's sender records (sender.ndjson), which name its packets */
  constructor(recorded: readonly LinkFateRecord[], recordedSender: readonly LabRecord[], private readonly dir: 'up' | 'down') {
    const real = new PacketIdentities();
    for (const record of recordedSender) real.observe(record);
    const byId = new Map<number, LinkFateRecord[]>();
    const delays: number[] = [];
    for (const fate of recorded) {
      if (fate.dir !== dir) continue;
      const copies = byId.get(fate.id);
      if (copies) copies.push(fate);
      else byId.set(fate.id, [fate]);
      if (fate.releaseMs !== undefined) delays.push(fate.releaseMs - fate.enqueueMs);
    }
    for (const copies of [...byId.values()].sort((a, b) => a[0]!.id - b[0]!.id)) {
      const first = copies[0]!;
      if (first.ssrc === undefined || first.seq === undefined) continue;
      const key = real.take(first.ssrc, first.seq) ?? `raw:${keyOf(first.ssrc, first.seq)}`;
      const list = this.fatesByPacket.get(key);
      if (list) list.push(copies);
      else this.fatesByPacket.set(key, [copies]);
    }
    delays.sort((a, b) => a - b);
    this.medianDelayMs = delays[Math.floor(delays.length / 2)] ?? 0;
  }

  offer(datagram: Uint8Array, nowMs: number): void {
    const size = framedSize(datagram);
    const rtp = !isRtcp(datagram) && datagram.length >= 12;
    const ssrc = rtp ? (((datagram[8]! << 24) | (datagram[9]! << 16) | (datagram[10]! << 8) | datagram[11]!) >>> 0) : undefined;
    const seq = rtp ? (datagram[2]! << 8) | datagram[3]! : undefined;
    const id = this.nextId++;
    const base = { type: 'fate' as const, side: 'link' as const, dir: this.dir, id, size, proto: 'udp', enqueueMs: nowMs, ...(rtp ? { ssrc, seq, pt: datagram[1]! & 0x7f } : {}) };
    const identity = rtp ? (this.simulated.take(ssrc!, seq!) ?? `raw:${keyOf(ssrc!, seq!)}`) : undefined;
    const recorded = identity !== undefined ? this.fatesByPacket.get(identity)?.shift() : undefined;
    if (rtp && recorded) this.counts.matched++;
    else if (rtp) this.counts.unmatched++;
    else this.counts.rtcp++;
    const copies = recorded ?? [undefined];
    copies.forEach((fate, copy) => {
      const duplicate = copy > 0 ? { duplicate: true } : {};
      if (fate?.drop !== undefined) {
        this.writeFate({ ...base, ...duplicate, drop: fate.drop });
        return;
      }
      const delayMs = fate?.releaseMs !== undefined ? fate.releaseMs - fate.enqueueMs : this.medianDelayMs;
      const releaseMs = nowMs + delayMs;
      this.writeFate({ ...base, ...duplicate, releaseMs });
      this.hold({ releaseMs, order: this.order++, datagram });
    });
  }

  /** Takes the simulated sender's records: they name the packets it is about to offer. */
  observe(record: LabRecord): void {
    this.simulated.observe(record);
  }

  pollTimeout(): number | undefined {
    return this.held[0]?.releaseMs;
  }

  pollRelease(nowMs: number): Uint8Array | undefined {
    const next = this.held[0];
    if (!next || next.releaseMs > nowMs) return undefined;
    this.held.shift();
    return next.datagram;
  }

  fateText(): string {
    const text = this.fateLines.join('');
    this.fateLines = [];
    return text;
  }

  private writeFate(fate: LinkFateRecord): void {
    this.fateLines.push(`${JSON.stringify(fate)}\n`);
  }

  /** Keeps `held` in release order (few are held at once: insertion from the back). */
  private hold(item: Held): void {
    let i = this.held.length;
    while (i > 0 && (this.held[i - 1]!.releaseMs > item.releaseMs || (this.held[i - 1]!.releaseMs === item.releaseMs && this.held[i - 1]!.order > item.order))) i--;
    this.held.splice(i, 0, item);
  }
}
