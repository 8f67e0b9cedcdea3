/**
 * A run's relay endpoints: for each relay target of the scenario, a real server listening on the
 * target's URL beside the receiver (in its network namespace when the run has a link): ffmpeg for
 * RTSP, SRT and RTMP (or node-media-server with ffmpeg playing from it), decoding what arrives to
 * grey frames whose markers the lab reads; the lab's WHIP endpoint (src/relay/whip-endpoint.ts,
 * its own process) for WHIP, receiving with the lab's pipeline or with Chromium. At the end of the run each decoded
 * frame becomes a line of relay.ndjson (target, frame id, capture and arrival time), written
 * atomically, and the endpoints are stopped; an endpoint that fails to start fails the run with
 * ffmpeg's own words.
 */
import path from 'node:path';
import { writeFileAtomic } from '../results/atomic.ts';
import { parseTargetUrl } from '../../src/relay/targets.ts';
import { FfmpegEndpoint, type EndpointFrame } from './endpoints.ts';
import { WhipEndpointProcess } from './whip-endpoint-process.ts';
import { NmsRtmpEndpoint } from './nms-endpoint.ts';
import type { RelayEndpointKind } from '../scenario/schema.ts';

/** What the run needs of an endpoint, ffmpeg's or the lab's WHIP endpoint. */
interface RunningEndpoint {
  readonly protocol: string;
  readonly frames: readonly EndpointFrame[];
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** relay.ndjson in the run folder. */
export const RELAY_FRAMES_FILE = 'relay.ndjson';

/** One frame an endpoint decoded (relay.ndjson), times CLOCK_MONOTONIC ms. */
export interface RelayFrameRecord {
  type: 'relay-frame';
  target: number;
  protocol: string;
  /** the endpoint when not the protocol's default (node-media-server, chromium) */
  endpoint?: RelayEndpointKind;
  /** from the marker; absent when it could not be read */
  frameId?: number;
  captureMs?: number;
  receivedMs: number;
  /** WebRTC endpoints: the frame's last packet's arrival there */
  lastPacketMs?: number;
}

/** A target URL moved to the host its endpoint listens on (the scenario names 127.0.0.1 and the port). */
export function placeTargetUrl(url: string, host: string): string {
  const placed = new URL(url);
  placed.hostname = host;
  return placed.toString();
}

export interface RelayEndpoints {
  /**
   * Schedules each target's endpoint restart (`restart.atMs` after media start: killed with
   * SIGKILL, as a crashed server; started again on the same port `downForMs` later); each step
   * is reported through `event`.
   */
  scheduleRestarts(mediaStartMs: number, nowMs: () => number, event: (name: string, detail: Record<string, string | number | boolean | null>) => void): void;
  /** Stops the endpoints and writes relay.ndjson; idempotent. */
  stop(): Promise<void>;
}

/** A relay target as the endpoints need it: its URL and, optionally, when to kill and restart its endpoint. */
export interface RelayEndpointTarget {
  url: string;
  endpoint?: RelayEndpointKind;
  restart?: { atMs: number; downForMs: number };
}

/** The target's endpoint when it is not the protocol's default (ffmpeg, the lab's WHIP endpoint). */
function kindOf(target: RelayEndpointTarget): RelayEndpointKind | undefined {
  return target.endpoint === 'node-media-server' || target.endpoint === 'chromium' ? target.endpoint : undefined;
}

export async function startRelayEndpoints(
  targets: ReadonlyArray<RelayEndpointTarget>,
  frame: { width: number; height: number },
  runDir: string,
  wrapper: string[] | undefined,
  /** the address they listen on (the target hop's far end with relay.link); default 127.0.0.1, the URL's */
  host?: string,
): Promise<RelayEndpoints> {
  /** each target's endpoints, the running one last (a restart adds one) */
  const endpoints: RunningEndpoint[][] = [];
  const timers: NodeJS.Timeout[] = [];
  const startOne = async (target: RelayEndpointTarget): Promise<RunningEndpoint> => {
    const parsed = parseTargetUrl(target.url);
    if (!parsed.ok) throw parsed.error;
    const url = new URL(target.url);
    const placement = { ...(wrapper ? { wrapper } : {}), ...(host ? { host } : {}) };
    if (parsed.target.protocol === 'whip') {
      const token = parsed.target.token;
      const receiver = target.endpoint === 'chromium' ? { receiver: 'chromium' as const } : {};
      return WhipEndpointProcess.start({ port: Number(url.port), path: url.pathname, gray: frame, ...(token !== undefined ? { token } : {}), ...receiver, ...placement });
    }
    if (parsed.target.protocol === 'rtmp' && target.endpoint === 'node-media-server') {
      return NmsRtmpEndpoint.start({ port: Number(url.port), path: url.pathname, gray: frame, ...placement });
    }
    const latency = url.searchParams.get('latency');
    const passphrase = url.searchParams.get('passphrase');
    return FfmpegEndpoint.start({
      protocol: parsed.target.protocol,
      port: Number(url.port),
      ...(parsed.target.protocol !== 'srt' ? { path: url.pathname } : {}),
      gray: frame,
      ...(latency !== null ? { srtLatencyMs: Number(latency) } : {}),
      ...(passphrase !== null ? { srtPassphrase: passphrase } : {}),
      ...(wrapper ? { wrapper } : {}),
      ...(host ? { host } : {}),
    });
  };
  try {
    for (const target of targets) endpoints.push([await startOne(target)]);
  } catch (error) {
    await Promise.all(endpoints.flat().map((e) => e.stop()));
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    scheduleRestarts(mediaStartMs, nowMs, event): void {
      targets.forEach((target, index) => {
        const restart = target.restart;
        if (!restart) return;
        timers.push(
          setTimeout(() => {
            const running = endpoints[index]!.at(-1)!;
            void running.kill().then(() => event('relay-endpoint-killed', { index, atMs: nowMs() }));
            timers.push(
              setTimeout(() => {
                if (stopped) return;
                startOne(target).then(
                  (fresh) => {
                    endpoints[index]!.push(fresh);
                    event('relay-endpoint-restarted', { index, atMs: nowMs() });
                  },
                  (error: unknown) => event('relay-endpoint-failed', { index, message: (error as Error).message }),
                );
              }, restart.downForMs),
            );
          }, Math.max(0, mediaStartMs + restart.atMs - nowMs())),
        );
      });
    },
    stop(): Promise<void> {
      stopped ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        await Promise.all(endpoints.flat().map((e) => e.stop()));
        const kinds = targets.map(kindOf);
        const lines = endpoints.flatMap((list, target) =>
          list.flatMap((e) =>
            e.frames.map((f): RelayFrameRecord => ({
              type: 'relay-frame', target, protocol: e.protocol, ...(kinds[target] ? { endpoint: kinds[target] } : {}), receivedMs: Number(f.receivedAtNs) / 1e6,
              ...(f.ok ? { frameId: f.frameId, captureMs: Number(f.captureTimeNs) / 1e6 } : {}),
              ...(f.lastPacketAtNs !== undefined ? { lastPacketMs: Number(f.lastPacketAtNs) / 1e6 } : {}),
            })),
          ),
        );
        await writeFileAtomic(path.join(runDir, RELAY_FRAMES_FILE), lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length > 0 ? '\n' : ''));
      })();
      return stopped;
    },
  };
}
