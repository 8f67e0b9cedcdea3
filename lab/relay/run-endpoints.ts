/**
 * A run's relay endpoints: for each relay target of the scenario, ffmpeg listening on the
 * target's URL beside the receiver (in its network namespace when the run has a link), decoding
 * what arrives to grey frames whose markers the lab reads. At the end of the run each decoded
 * frame becomes a line of relay.ndjson (target, frame id, capture and arrival time), written
 * atomically, and the endpoints are stopped; an endpoint that fails to start fails the run with
 * ffmpeg's own words.
 */
import path from 'node:path';
import { writeFileAtomic } from '../results/atomic.ts';
import { parseTargetUrl } from '../../src/relay/targets.ts';
import { FfmpegEndpoint } from './endpoints.ts';

/** relay.ndjson in the run folder. */
export const RELAY_FRAMES_FILE = 'relay.ndjson';

/** One frame an endpoint decoded (relay.ndjson), times CLOCK_MONOTONIC ms. */
export interface RelayFrameRecord {
  type: 'relay-frame';
  target: number;
  protocol: string;
  /** from the marker; absent when it could not be read */
  frameId?: number;
  captureMs?: number;
  receivedMs: number;
}

export interface RelayEndpoints {
  /** Stops the endpoints and writes relay.ndjson; idempotent. */
  stop(): Promise<void>;
}

export async function startRelayEndpoints(
  targets: ReadonlyArray<{ url: string }>,
  frame: { width: number; height: number },
  runDir: string,
  wrapper: string[] | undefined,
): Promise<RelayEndpoints> {
  const endpoints: FfmpegEndpoint[] = [];
  try {
    for (const target of targets) {
      const parsed = parseTargetUrl(target.url);
      if (!parsed.ok) throw parsed.error;
      const url = new URL(target.url);
      const latency = url.searchParams.get('latency');
      const passphrase = url.searchParams.get('passphrase');
      endpoints.push(
        await FfmpegEndpoint.start({
          protocol: parsed.target.protocol,
          port: Number(url.port),
          ...(parsed.target.protocol !== 'srt' ? { path: url.pathname } : {}),
          gray: frame,
          ...(latency !== null ? { srtLatencyMs: Number(latency) } : {}),
          ...(passphrase !== null ? { srtPassphrase: passphrase } : {}),
          ...(wrapper ? { wrapper } : {}),
        }),
      );
    }
  } catch (error) {
    await Promise.all(endpoints.map((e) => e.stop()));
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    stop(): Promise<void> {
      stopped ??= (async () => {
        await Promise.all(endpoints.map((e) => e.stop()));
        const lines = endpoints.flatMap((e, target) =>
          e.frames.map((f): RelayFrameRecord => ({
            type: 'relay-frame', target, protocol: e.protocol, receivedMs: Number(f.receivedAtNs) / 1e6,
            ...(f.ok ? { frameId: f.frameId, captureMs: Number(f.captureTimeNs) / 1e6 } : {}),
          })),
        );
        await writeFileAtomic(path.join(runDir, RELAY_FRAMES_FILE), lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length > 0 ? '\n' : ''));
      })();
      return stopped;
    },
  };
}
