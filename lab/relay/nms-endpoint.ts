/**
 * node-media-server as the RTMP endpoint at the far side of an RTMP relay target: a real RTMP
 * server (lab/relay/nms-main.ts, its own Node process) instead of ffmpeg's single-connection
 * listener (`-listen 1`), with the surface of FfmpegEndpoint (lab/relay/endpoints.ts) so a run's
 * endpoints can be either. A server only forwards, so a *player* reads the stream back: ffmpeg as
 * an RTMP client of `targetUrl`, decoding to gray frames on its stdout with FfmpegEndpoint's
 * low-delay flags, one EndpointFrame per frame (marker read by the lab's reader, `receivedAtNs`
 * when the frame's last byte arrived here).
 *
 * A play before the publish waits in node-media-server (the player is attached as a subscriber
 * and gets the stream from its sequence header on), and a play after it starts at the GOP it has
 * cached. A player that exits anyway (refused, dropped) is started again every 200 ms until the
 * endpoint is stopped or the server has exited, each with a fresh frame reader.
 * Both run through `wrapper` when given (in a run's namespace; it must exec, keeping the pid).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { childEntry } from '../run/child-entry.ts';
import { exitCodeWithin, freePort, readGrayFrames, waitForFrames, type EndpointFrame } from './endpoints.ts';
import type { NmsListeningLine } from './nms-main.ts';

export interface NmsRtmpEndpointOptions {
  /** listen on this IPv4 address (one of the namespace it runs in); default 127.0.0.1 */
  host?: string;
  /** listen on this TCP port (e.g. to restart on the same one); default: a free one */
  port?: number;
  /** the stream's path, `/app/name` (letters, digits, `_`, `-`: node-media-server's rule); default /live/relay */
  path?: string;
  /** decode and read markers from frames of this size */
  gray: { width: number; height: number };
  /** argv prefix that runs node and ffmpeg elsewhere, e.g. ['ip', 'netns', 'exec', 'gl-…-rcv']; default: here */
  wrapper?: string[];
  /** how long start() waits for the `listening` line, ms; default 10000 (Node and tsx start first) */
  readyTimeoutMs?: number;
}

/** Default stream path (FfmpegEndpoint's RTMP default). */
export const NMS_DEFAULT_PATH = '/live/relay';
/** Time SIGTERM gets before SIGKILL, ms. */
const KILL_AFTER_MS = 2000;
/** Pause before a player that exited is started again, ms. */
const PLAYER_RETRY_MS = 200;
/** What each stderr tail keeps, characters. */
const STDERR_TAIL = 4000;
/** node-media-server accepts `/app/name` with these characters only (it ends other sessions). */
const STREAM_PATH = /^\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The `listening` line, or undefined for anything else the server wrote on stdout. */
function parseListening(text: string): NmsListeningLine | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'listening' && typeof (value as { port?: unknown }).port === 'number') {
      return value as NmsListeningLine;
    }
  } catch {
    // not JSON: ignored (the server writes nothing else on stdout)
  }
  return undefined;
}

export class NmsRtmpEndpoint {
  readonly protocol = 'rtmp' as const;
  /** decoded frames, in arrival order, over every player run */
  readonly frames: EndpointFrame[] = [];
  private serverStderr = '';
  private playerStderr = '';
  private stopped = false;
  /** the server's exit code once it exited (null: by a signal) */
  private serverExitCode: number | null | undefined;
  private listening: (() => void) | undefined;
  private player: ResultPromise | undefined;
  private players: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    /** the URL an RTMP relay target should use to reach this endpoint (the player reads it too) */
    readonly targetUrl: string,
    private readonly server: ResultPromise,
    /** node-media-server's store directory, removed once the server is gone */
    private readonly dataDir: string,
    private readonly gray: { width: number; height: number },
    private readonly wrapper: string[],
  ) {}

  /** Starts the server, waits for it to listen, starts the player; rejects with the server's stderr if it exits first. */
  static async start(options: NmsRtmpEndpointOptions): Promise<NmsRtmpEndpoint> {
    const host = options.host ?? '127.0.0.1';
    const path = options.path ?? NMS_DEFAULT_PATH;
    if (!STREAM_PATH.test(path)) throw new Error(`NmsRtmpEndpoint: path must be /app/name of letters, digits, _ and - (got '${path}')`);
    const port = options.port ?? (await freePort('tcp'));
    const targetUrl = `rtmp://${host}:${port}${path}`;
    const dataDir = await mkdtemp(join(tmpdir(), 'glasslab-nms-'));
    const entry = childEntry('lab/relay/nms-main.ts');
    const wrapper = options.wrapper ?? [];
    const [command, ...prefix] = [...wrapper, process.execPath];
    const server = execa(command, [...prefix, ...entry.execArgv, entry.entry, '--host', host, '--port', String(port), '--data-dir', dataDir], {
      reject: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      forceKillAfterDelay: KILL_AFTER_MS,
    });
    const endpoint = new NmsRtmpEndpoint(port, targetUrl, server, dataDir, options.gray, wrapper);
    const ready = new Promise<void>((resolve) => {
      endpoint.listening = resolve;
    });
    endpoint.readServerOutput();
    const exited = server.then((result) => {
      endpoint.serverExitCode = result.exitCode ?? null;
    });
    const timeoutMs = options.readyTimeoutMs ?? 10_000;
    const outcome = await Promise.race([ready.then(() => 'ready' as const), exited.then(() => 'exited' as const), sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (outcome !== 'ready') {
      await endpoint.stop();
      const why = outcome === 'exited' ? `node-media-server exited (code ${endpoint.serverExitCode}) before listening` : `not listening after ${timeoutMs} ms`;
      throw new Error(`NmsRtmpEndpoint: ${why} on ${host}:${port}: ${endpoint.serverStderr.trim()}`);
    }
    endpoint.players = endpoint.runPlayers();
    return endpoint;
  }

  /** The last 4000 characters the server and the last 4000 the players wrote to stderr, each labelled. */
  stderr(): string {
    return [this.serverStderr && `node-media-server:\n${this.serverStderr}`, this.playerStderr && `player (ffmpeg):\n${this.playerStderr}`].filter(Boolean).join('\n');
  }

  /** Resolves when `count` frames arrived (true), or false at `timeoutMs` or if the server exited. */
  waitFrames(count: number, timeoutMs: number): Promise<boolean> {
    return waitForFrames(this.frames, count, timeoutMs, () => this.serverExitCode !== undefined);
  }

  /**
   * Resolves with the server's exit code once it exits by itself (it does not at the end of a
   * stream: it waits for the next publish), or null at the timeout.
   */
  exited(timeoutMs: number): Promise<number | null> {
    return exitCodeWithin(this.server, timeoutMs);
  }

  /** Stops the player and the server (SIGTERM, SIGKILL after 2 s) and waits for both. Idempotent. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.player?.kill('SIGTERM');
      this.server.kill('SIGTERM');
    }
    await this.settle();
  }

  /** Kills the server and the player at once (SIGKILL): a crashed server that closes nothing. */
  async kill(): Promise<void> {
    this.stopped = true;
    this.player?.kill('SIGKILL');
    this.server.kill('SIGKILL');
    await this.settle();
  }

  /** Waits for the server and the player loop to end, then removes the store directory. */
  private async settle(): Promise<void> {
    await Promise.all([this.server, this.players]);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Players, one after the other, while the endpoint runs: each decodes until it exits. */
  private async runPlayers(): Promise<void> {
    const { width, height } = this.gray;
    const input = ['-i', this.targetUrl];
    const output = ['-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', '-flush_packets', '1', 'pipe:1'];
    // FfmpegEndpoint's low-delay decoding (endpoints.ts says why not `-fflags nobuffer`)
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1', '-flags', 'low_delay', '-probesize', '32768', '-analyzeduration', '0', ...input, ...output];
    const [command, ...prefix] = [...this.wrapper, 'ffmpeg'];
    while (!this.stopped && this.serverExitCode === undefined) {
      const player = execa(command, [...prefix, ...args], {
        reject: false,
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        forceKillAfterDelay: KILL_AFTER_MS,
      });
      this.player = player;
      player.stderr?.on('data', (chunk: Buffer) => {
        this.playerStderr = (this.playerStderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
      });
      // a partial frame at the player's exit is dropped
      if (player.stdout) readGrayFrames(player.stdout, width, height, this.frames);
      await player;
      if (this.stopped) break;
      await sleep(PLAYER_RETRY_MS);
    }
  }

  private readServerOutput(): void {
    let pending = '';
    this.server.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = parseListening(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (line) this.listening?.();
      }
    });
    this.server.stderr?.on('data', (chunk: Buffer) => {
      this.serverStderr = (this.serverStderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
  }
}
