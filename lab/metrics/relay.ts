/**
 * What each relay target added, from relay.ndjson (the endpoints' decoded frames with their
 * markers), the receiver's `relay-target` events (the forwarder's counters) and the lab
 * receiver's own frame records (the direct path, same frames): per target, frames the endpoint
 * decoded, its glass-to-glass (endpoint arrival − capture time), and the latency it added (its
 * arrival − the lab receiver's marker read of the same frame id). Pure; times ms.
 */
import { z } from 'zod';
import type { EventRecord, ReceiverFrameRecord } from '../../src/shared/records.ts';
import { percentileSorted, sortedAscending } from './stats.ts';

const relayFrameSchema = z.object({
  type: z.literal('relay-frame'),
  target: z.number().int().min(0),
  protocol: z.string(),
  endpoint: z.string().optional(),
  frameId: z.number().int().min(0).optional(),
  captureMs: z.number().optional(),
  receivedMs: z.number(),
  lastPacketMs: z.number().optional(),
});
export type RelayFrame = z.infer<typeof relayFrameSchema>;

/** The lines of relay.ndjson that are relay frames (others are skipped and counted). */
export function parseRelayFrames(text: string): { frames: RelayFrame[]; bad: number } {
  const frames: RelayFrame[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = relayFrameSchema.safeParse(JSON.parse(line));
      if (parsed.success) frames.push(parsed.data);
      else bad++;
    } catch {
      bad++;
    }
  }
  return { frames, bad };
}

export interface RelayTargetSummary {
  index: number;
  url: string;
  protocol: string;
  /** the endpoint when not the protocol's default (node-media-server, chromium) */
  endpoint?: string;
  /** access units the forwarder wrote to the target (its muxer took) and dropped */
  forwarded: number | null;
  written: number | null;
  dropped: number | null;
  reconnects: number | null;
  state: string | null;
  lastError: string | null;
  /** frames the endpoint decoded, and of those with a readable marker */
  decoded: number;
  markersRead: number;
  g2gMs: { p50: number | null; p95: number | null };
  /** endpoint arrival − the lab receiver's marker read of the same frame */
  addedMs: { p50: number | null; p95: number | null; frames: number };
  /** the forwarder's own part, p50 ms: WHIP, a frame's last packet in → out; muxer targets, write → av_write_frame returned (queue, muxing, socket) */
  forwarderP50Ms?: number | null;
  /**
   * WebRTC endpoints, where the endpoint gives each frame's last-packet arrival: p50 of the way
   * there (its last packet at the endpoint − the same frame's last packet at the lab receiver: the
   * forwarder and the target hop) and of the endpoint's own part (marker read − its last packet:
   * assembly, jitter buffer, decode), beside the direct path's own part at the lab receiver
   */
  stagesMs?: { toEndpointP50: number | null; inEndpointP50: number | null; directInReceiverP50: number | null; frames: number };
  /** WHIP targets: the passthrough's counters and the forwarder's own part per frame (last packet in → out), from its relay-target event */
  webrtc?: { packets: number | null; sessions: number | null; nacksReceived: number | null; retransmitted: number | null; keyframeRequests: number | null; forwarderMs: { p50: number | null; p95: number | null; max: number | null } };
  /** the endpoint was killed and restarted (relay.targets[].restart): from its restart to the first frame it decoded again; null: none came */
  reconnect?: { killedMs: number; restartedMs: number | null; firstFrameAfterMs: number | null };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function computeRelay(input: { frames: readonly RelayFrame[]; events: readonly EventRecord[]; receiverFrames: readonly ReceiverFrameRecord[] }): RelayTargetSummary[] {
  const direct = new Map<number, number>();
  const directLastPacket = new Map<number, number>();
  for (const f of input.receiverFrames) {
    if (f.frameId === undefined || f.markerReadMs === undefined || direct.has(f.frameId)) continue;
    direct.set(f.frameId, f.markerReadMs);
    if (f.lastPacketMs !== undefined) directLastPacket.set(f.frameId, f.lastPacketMs);
  }
  const directInReceiver = sortedAscending([...directLastPacket.entries()].map(([id, lastMs]) => direct.get(id)! - lastMs));
  const events = input.events.filter((e) => e.side === 'receiver' && e.name === 'relay-target');
  const at = (name: string, index: number): number | undefined => {
    const e = input.events.find((x) => x.name === name && Number(x.detail?.index) === index);
    return e === undefined ? undefined : (num(e.detail?.atMs) ?? e.timeMs);
  };
  const indexes = new Set<number>([...events.map((e) => Number(e.detail?.index)), ...input.frames.map((f) => f.target)].filter((i) => Number.isInteger(i) && i >= 0));
  return [...indexes].sort((a, b) => a - b).map((index) => {
    const e = events.find((x) => Number(x.detail?.index) === index)?.detail ?? {};
    const frames = input.frames.filter((f) => f.target === index);
    const read = frames.filter((f) => f.frameId !== undefined && f.captureMs !== undefined);
    const g2g = sortedAscending(read.map((f) => f.receivedMs - f.captureMs!));
    const added = sortedAscending(read.flatMap((f) => (direct.has(f.frameId!) ? [f.receivedMs - direct.get(f.frameId!)!] : [])));
    const killedMs = at('relay-endpoint-killed', index);
    const restartedMs = at('relay-endpoint-restarted', index);
    const whip = (str(e.url) ?? '').startsWith('whip');
    const staged = read.filter((f) => f.lastPacketMs !== undefined && directLastPacket.has(f.frameId!));
    const toEndpoint = sortedAscending(staged.map((f) => f.lastPacketMs! - directLastPacket.get(f.frameId!)!));
    const inEndpoint = sortedAscending(staged.map((f) => f.receivedMs - f.lastPacketMs!));
    const firstAfter = restartedMs === undefined ? undefined : frames.find((f) => f.receivedMs >= restartedMs)?.receivedMs;
    return {
      index,
      url: str(e.url) ?? '',
      protocol: frames[0]?.protocol ?? (str(e.url)?.split(':')[0] ?? 'unknown'),
      ...(frames[0]?.endpoint !== undefined ? { endpoint: frames[0].endpoint } : {}),
      forwarded: num(e.forwarded), written: num(e.frames), dropped: num(e.dropped), reconnects: num(e.reconnects), state: str(e.state), lastError: str(e.lastError),
      decoded: frames.length,
      markersRead: read.length,
      g2gMs: { p50: percentileSorted(g2g, 50), p95: percentileSorted(g2g, 95) },
      addedMs: { p50: percentileSorted(added, 50), p95: percentileSorted(added, 95), frames: added.length },
      forwarderP50Ms: num(e.forwardMsP50) ?? num(e.queueDelayMsP50),
      ...(staged.length > 0
        ? { stagesMs: { toEndpointP50: percentileSorted(toEndpoint, 50), inEndpointP50: percentileSorted(inEndpoint, 50), directInReceiverP50: percentileSorted(directInReceiver, 50), frames: staged.length } }
        : {}),
      ...(whip
        ? {
            webrtc: {
              packets: num(e.packets), sessions: num(e.sessions), nacksReceived: num(e.nacksReceived), retransmitted: num(e.retransmitted), keyframeRequests: num(e.keyframeRequests),
              forwarderMs: { p50: num(e.forwardMsP50), p95: num(e.forwardMsP95), max: num(e.forwardMsMax) },
            },
          }
        : {}),
      ...(killedMs !== undefined
        ? { reconnect: { killedMs, restartedMs: restartedMs ?? null, firstFrameAfterMs: firstAfter !== undefined && restartedMs !== undefined ? firstAfter - restartedMs : null } }
        : {}),
    };
  });
}
