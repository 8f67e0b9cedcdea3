/**
 * Real endpoints at the far side of a relay target: ffmpeg as the listening server for RTSP
 * (`-rtsp_flags listen`), SRT (`mode=listener`) and RTMP (`-listen 1`), on 127.0.0.1 (or the
 * address of the namespace it runs in).
 * Each writes what it received as an H.264 elementary stream (`-c copy -f h264`, for byte
 * comparison), and/or decodes it to gray frames on its stdout that the lab's marker reader reads,
 * giving one record per decoded frame with the time its last byte arrived here.
 */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { execa, type ResultPromise } from 'execa';
import { loadNative } from '../../src/native/addon.ts';

export type EndpointProtocol = 'rtsp' | 'srt' | 'rtmp';

export interface EndpointOptions {
  protocol: EndpointProtocol;
  /** listen on this IPv4 address (one of the namespace it runs in); default 127.0.0.1 */
  host?: string;
  /** listen on this port (e.g. to restart on the same one); default: a free one */
  port?: number;
  /** write the received bitstream here (Annex-B, `-c copy -f h264`) */
  h264Path?: string;
  /** decode and read markers from frames of this size */
  gray?: { width: number; height: number };
  /** srt: receiver latency, ms (ffmpeg's own default is 120); default 20 */
  srtLatencyMs?: number;
  /** srt: passphrase the listener requires (10..79 characters); targetUrl carries it too */
  srtPassphrase?: string;
  /** how long start() waits for the listening socket, ms; default 5000 */
  readyTimeoutMs?: number;
  /** rtsp/rtmp: the path it listens on; default /relay (rtsp), /live/relay (rtmp) */
  path?: string;
  /** argv prefix that runs ffmpeg elsewhere, e.g. ['ip', 'netns', 'exec', 'gl-…-rcv'] (it must exec ffmpeg, keeping its pid); default: here */
  wrapper?: string[];
}

/** A decoded frame at the endpoint; `receivedAtNs` is CLOCK_MONOTONIC (process.hrtime.bigint()). */
export type EndpointFrame = (
  | { ok: true; frameId: number; captureTimeNs: bigint; receivedAtNs: bigint }
  | { ok: false; reason: 'too-small' | 'check-failed'; receivedAtNs: bigint }
) & {
  /** WebRTC endpoints: when the frame's last packet arrived there (ffmpeg's pipe gives no such time) */
  lastPacketAtNs?: bigint;
};

/** A free port on 127.0.0.1 (TCP for rtsp/rtmp, UDP for srt), as the kernel hands it out. */
export async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', resolve);
    });
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('freePort: no port assigned');
  return address.port;
}

/** An IPv4 address as /proc/net/{tcp,udp} write it: the 32-bit value in host (little-endian) order, hex. */
function procNetAddress(host: string): string {
  const bytes = host.split('.').map(Number);
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new Error(`FfmpegEndpoint: host must be an IPv4 address (got '${host}')`);
  return bytes.reverse().map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** Whether host:port is listening (TCP) or bound (UDP), read from /proc/net without connecting. */
async function bound(kind: 'tcp' | 'udp', host: string, port: number, pid: number | undefined): Promise<boolean> {
  const hex = `${procNetAddress(host)}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // /proc/<pid>/net is the sockets of that process's network namespace (ffmpeg's own, in a run's namespace)
  const text = await readFile(`/proc/${pid ?? 'self'}/net/${kind}`, 'utf8').catch(() => '');
  return text.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[1] === hex && (kind === 'udp' || fields[3] === '0A');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true once `frames` holds `count`, false at `timeoutMs` or once `gone()` (the endpoint exited) with fewer. */
export async function waitForFrames(frames: readonly EndpointFrame[], count: number, timeoutMs: number, gone: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (frames.length < count) {
    if (Date.now() > deadline || gone()) return frames.length >= count;
    await sleep(10);
  }
  return true;
}

/** The exit code of `child` once it exits by itself within `timeoutMs`, or null. */
export async function exitCodeWithin(child: ResultPromise, timeoutMs: number): Promise<number | null> {
  const result = await Promise.race([child, sleep(timeoutMs).then(() => undefined)]);
  return result === undefined ? null : (result.exitCode ?? null);
}

/**
 * Reads width×height gray frames (ffmpeg `-f rawvideo -pix_fmt gray`) from `stream` into `into`,
 * each with its marker and the arrival of its last byte; a partial frame at the end is dropped.
 */
export function readGrayFrames(stream: NodeJS.ReadableStream, width: number, height: number, into: EndpointFrame[]): void {
  const native = loadNative();
  const frameBytes = width * height;
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    const receivedAtNs = process.hrtime.bigint();
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= frameBytes) {
      const marker = native.readMarker(pending.subarray(0, frameBytes), width, height, width);
      into.push({ ...marker, receivedAtNs });
      pending = pending.subarray(frameBytes);
    }
  });
}

export class FfmpegEndpoint {
  /** decoded frames, in arrival order (empty without `gray`) */
  readonly frames: EndpointFrame[] = [];
  private stderrTail = '';
  private stopped = false;

  private constructor(
    readonly protocol: EndpointProtocol,
    readonly port: number,
    /** the URL a relay target should use to reach this endpoint */
    readonly targetUrl: string,
    private readonly child: ResultPromise,
  ) {}

  /** Starts ffmpeg and resolves once its socket listens; rejects with ffmpeg's stderr if it exits first. */
  static async start(options: EndpointOptions): Promise<FfmpegEndpoint> {
    const { protocol } = options;
    if (!options.h264Path && !options.gray) throw new Error('FfmpegEndpoint: give h264Path, gray or both');
    const kind = protocol === 'srt' ? 'udp' : 'tcp';
    const host = options.host ?? '127.0.0.1';
    procNetAddress(host);
    const port = options.port ?? (await freePort(kind));
    const latencyUs = (options.srtLatencyMs ?? 20) * 1000;
    const secret = options.srtPassphrase === undefined ? '' : `&passphrase=${encodeURIComponent(options.srtPassphrase)}`;
    const path = options.path ?? (protocol === 'rtsp' ? '/relay' : '/live/relay');
    const input =
      protocol === 'rtsp'
        ? ['-rtsp_flags', 'listen', '-i', `rtsp://${host}:${port}${path}`]
        : protocol === 'srt'
          ? ['-i', `srt://${host}:${port}?mode=listener&latency=${latencyUs}${secret}`]
          : ['-listen', '1', '-i', `rtmp://${host}:${port}${path}`];
    const targetUrl =
      protocol === 'rtsp' ? `rtsp://${host}:${port}${path}` : protocol === 'srt' ? `srt://${host}:${port}?latency=${latencyUs / 1000}${secret}` : `rtmp://${host}:${port}${path}`;
    const outputs: string[] = [];
    if (options.h264Path) outputs.push('-map', '0:v:0', '-c', 'copy', '-f', 'h264', '-y', options.h264Path);
    if (options.gray) outputs.push('-map', '0:v:0', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'gray', '-flush_packets', '1', 'pipe:1');
    // Low delay without losing data: one decoder thread (frame threads hold n-1 frames back),
    // low_delay, short probing. Not `-fflags nobuffer`: it discards the packets read while
    // probing, so the output would start at the second keyframe.
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-threads', '1', '-flags', 'low_delay', '-probesize', '32768', '-analyzeduration', '0', ...input, ...outputs];
    const [command, ...prefix] = options.wrapper && options.wrapper.length > 0 ? [...options.wrapper, 'ffmpeg'] : ['ffmpeg'];
    const child = execa(command, [...prefix, ...args], {
      reject: false,
      stdin: 'ignore',
      stdout: options.gray ? 'pipe' : 'ignore',
      stderr: 'pipe',
      buffer: false,
      forceKillAfterDelay: 2000,
    });
    const endpoint = new FfmpegEndpoint(protocol, port, targetUrl, child);
    child.stderr?.on('data', (chunk: Buffer) => {
      endpoint.stderrTail = (endpoint.stderrTail + chunk.toString('utf8')).slice(-4000);
    });
    if (options.gray && child.stdout) readGrayFrames(child.stdout, options.gray.width, options.gray.height, endpoint.frames);
    let exited = false;
    void child.then(() => {
      exited = true;
    });
    const deadline = Date.now() + (options.readyTimeoutMs ?? 5000);
    while (!(await bound(kind, host, port, options.wrapper ? child.pid : undefined))) {
      if (exited) throw new Error(`FfmpegEndpoint(${protocol}): ffmpeg exited before listening on port ${port}: ${endpoint.stderr().trim()}`);
      if (Date.now() > deadline) {
        await endpoint.stop();
        throw new Error(`FfmpegEndpoint(${protocol}): not listening on ${host}:${port} after ${options.readyTimeoutMs ?? 5000} ms`);
      }
      await sleep(20);
    }
    return endpoint;
  }

  /** The last 4000 characters ffmpeg wrote to stderr. */
  stderr(): string {
    return this.stderrTail;
  }

  /** Resolves when `count` frames arrived (true), or false at `timeoutMs` or if ffmpeg exited. */
  waitFrames(count: number, timeoutMs: number): Promise<boolean> {
    return waitForFrames(this.frames, count, timeoutMs, () => this.child.exitCode !== null);
  }

  /** Resolves with ffmpeg's exit code once it exits by itself (e.g. at the end of the stream), or null at the timeout. */
  exited(timeoutMs: number): Promise<number | null> {
    return exitCodeWithin(this.child, timeoutMs);
  }

  /** Kills ffmpeg (SIGKILL after 2 s of SIGTERM) and waits for it. Idempotent. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.child.kill('SIGTERM');
    }
    await this.child;
  }

  /** Kills ffmpeg at once (SIGKILL): a target that disappears without closing its connection. */
  async kill(): Promise<void> {
    this.stopped = true;
    this.child.kill('SIGKILL');
    await this.child;
  }

}
