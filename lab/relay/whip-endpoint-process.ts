/**
 * The lab's WHIP endpoint (src/relay/whip-endpoint-main.ts) as a child process at the far side
 * of a WHIP relay target, with the surface of FfmpegEndpoint (lab/relay/endpoints.ts) so a run's
 * endpoints can be either: it listens on 127.0.0.1 or `host` (in a run's namespace through
 * `wrapper`), and each `frame` line it writes becomes an EndpointFrame (ms → ns); every line is
 * kept for the run's events.
 */
import { execa, type ResultPromise } from 'execa';
import type { WhipEndpointLine } from '../../src/relay/whip-hop.ts';
import { childEntry } from '../run/child-entry.ts';
import { exitCodeWithin, freePort, waitForFrames, type EndpointFrame } from './endpoints.ts';

export interface WhipEndpointProcessOptions {
  /** listen on this address (an address of the namespace it runs in); default 127.0.0.1 */
  host?: string;
  /** listen on this TCP port (e.g. to restart on the same one); default: a free one */
  port?: number;
  /** the endpoint URL's path; default /whip/relay */
  path?: string;
  /** bearer token the endpoint requires; targetUrl carries it as `?token=` */
  token?: string;
  /** who receives behind the endpoint: the lab's pipeline (default) or Chromium */
  receiver?: 'lab' | 'chromium';
  /** frame size the forwarder sends */
  gray: { width: number; height: number };
  /** argv prefix that runs node elsewhere, e.g. ['ip', 'netns', 'exec', 'gl-…-rcv'] (it must exec node, keeping its pid); default: here */
  wrapper?: string[];
  /** how long start() waits for the `listening` line, ms; default 10000 */
  readyTimeoutMs?: number;
}

/** Default endpoint path. */
export const WHIP_ENDPOINT_DEFAULT_PATH = '/whip/relay';
/** Time SIGTERM gets before SIGKILL, ms. */
const KILL_AFTER_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** CLOCK_MONOTONIC ms as written in the lines → ns. */
const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6));

/** A parsed stdout line, or undefined for one that is not a WhipEndpointLine (kept out of `lines`). */
function parseLine(text: string): WhipEndpointLine | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') return value as WhipEndpointLine;
  } catch {
    // not JSON: ignored (the endpoint writes nothing else on stdout)
  }
  return undefined;
}

export class WhipEndpointProcess {
  readonly protocol = 'whip' as const;
  /** decoded frames, in arrival order */
  readonly frames: EndpointFrame[] = [];
  /** every line the endpoint wrote, in order */
  readonly lines: WhipEndpointLine[] = [];
  private stderrTail = '';
  private stopped = false;
  private exitCode: number | null | undefined;
  private listening: (() => void) | undefined;

  private constructor(
    readonly port: number,
    /** the URL a WHIP relay target should use to reach this endpoint */
    readonly targetUrl: string,
    private readonly child: ResultPromise,
  ) {}

  /** Starts the endpoint and resolves once it listens; rejects with its stderr if it exits first. */
  static async start(options: WhipEndpointProcessOptions): Promise<WhipEndpointProcess> {
    const port = options.port ?? (await freePort('tcp'));
    const path = options.path ?? WHIP_ENDPOINT_DEFAULT_PATH;
    const host = options.host ?? '127.0.0.1';
    const targetUrl = `whip://${host}:${port}${path}${options.token !== undefined ? `?token=${encodeURIComponent(options.token)}` : ''}`;
    const entry = childEntry('src/relay/whip-endpoint-main.ts');
    const args = [
      ...entry.execArgv, entry.entry,
      '--host', host, '--port', String(port), '--path', path,
      '--width', String(options.gray.width), '--height', String(options.gray.height),
      ...(options.token !== undefined ? ['--token', options.token] : []),
      ...(options.receiver !== undefined ? ['--receiver', options.receiver] : []),
    ];
    const wrapper = options.wrapper ?? [];
    const [command, ...prefix] = wrapper.length > 0 ? [...wrapper, process.execPath] : [process.execPath];
    const child = execa(command, [...prefix, ...args], {
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      forceKillAfterDelay: KILL_AFTER_MS,
    });
    const endpoint = new WhipEndpointProcess(port, targetUrl, child);
    const ready = new Promise<void>((resolve) => {
      endpoint.listening = resolve;
    });
    endpoint.readOutput();
    const exited = child.then((result) => {
      endpoint.exitCode = result.exitCode ?? null;
    });
    // a Chromium endpoint launches its first browser before it listens
    const timeoutMs = options.readyTimeoutMs ?? (options.receiver === 'chromium' ? 30_000 : 10_000);
    const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const), sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (outcome === 'exited') {
      throw new Error(`WhipEndpointProcess: the endpoint exited (code ${endpoint.exitCode}) before listening on port ${port}: ${endpoint.stderr().trim()}`);
    }
    if (outcome === 'timeout') {
      await endpoint.stop();
      throw new Error(`WhipEndpointProcess: not listening on ${host}:${port} after ${timeoutMs} ms: ${endpoint.stderr().trim()}`);
    }
    return endpoint;
  }

  /** The last 4000 characters the endpoint wrote to stderr. */
  stderr(): string {
    return this.stderrTail;
  }

  /** Resolves when `count` frames arrived (true), or false at `timeoutMs` or if the endpoint exited. */
  waitFrames(count: number, timeoutMs: number): Promise<boolean> {
    return waitForFrames(this.frames, count, timeoutMs, () => this.exitCode !== undefined);
  }

  /** Resolves with the exit code once the endpoint exits by itself, or null at the timeout. */
  exited(timeoutMs: number): Promise<number | null> {
    return exitCodeWithin(this.child, timeoutMs);
  }

  /** Stops the endpoint (SIGTERM: sessions end, lines flushed; SIGKILL after 2 s) and waits for it. Idempotent. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.child.kill('SIGTERM');
    }
    await this.child;
  }

  /** Kills the endpoint at once (SIGKILL): a target that disappears without ending its session. */
  async kill(): Promise<void> {
    this.stopped = true;
    this.child.kill('SIGKILL');
    await this.child;
  }

  private readOutput(): void {
    let pending = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = parseLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (line) this.take(line);
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
  }

  private take(line: WhipEndpointLine): void {
    this.lines.push(line);
    if (line.type === 'listening') this.listening?.();
    if (line.type !== 'frame') return;
    const receivedAtNs = msToNs(line.receivedMs);
    const arrival = line.lastPacketMs !== undefined ? { lastPacketAtNs: msToNs(line.lastPacketMs) } : {};
    if (line.ok && line.frameId !== undefined && line.captureMs !== undefined) {
      this.frames.push({ ok: true, frameId: line.frameId, captureTimeNs: msToNs(line.captureMs), receivedAtNs, ...arrival });
    } else {
      this.frames.push({ ok: false, reason: 'check-failed', receivedAtNs, ...arrival });
    }
  }
}
