/**
 * Relay target URLs (every protocol) and `RelayTarget`, a native RelayMuxer with reconnect for the
 * targets that are not WebRTC.
 *
 * URL forms (loopback or any host; credentials only where the protocol has them):
 *   rtsp://[user:pass@]host[:port]/path[?transport=tcp|udp]   → rtsp muxer, ANNOUNCE/SETUP/RECORD
 *   srt://host:port[?latency=MS&passphrase=TEXT]              → mpegts over SRT, caller mode
 *   rtmp://[user:pass@]host[:port]/app/stream                 → flv over RTMP
 *   whip://host[:port]/path[?token=TEXT], whips://…           → WHIP (RFC 9725) over http / https,
 *                                                                the token as `Authorization: Bearer`
 * `latency` is in milliseconds (the unit of SRT's own URIs and srt-live-transmit); libavformat's
 * srt option is in µs, so it is passed on ×1000. `passphrase` is 10..79 characters (SRT's limit).
 * SRT targets also get `linger=1` (s): a closing target delivers its last packets.
 */
import { loadNative } from '../native/addon.ts';
import type { NativeRelayMuxer, RelayFormat, RelayMuxerOptions, RelayMuxerStats } from '../native/types.ts';

export type RelayProtocol = 'rtsp' | 'srt' | 'rtmp' | 'whip';
/** The protocols a libavformat muxer serves (RelayTarget); WHIP is WhipTarget's (src/relay/whip-target.ts). */
export type MuxerProtocol = Exclude<RelayProtocol, 'whip'>;

/** A parsed muxer target: the URL the muxer opens (query removed) and its AVOptions. */
export interface MuxerTargetSpec {
  protocol: MuxerProtocol;
  format: RelayFormat;
  url: string;
  options: Record<string, string>;
}

/** A parsed WHIP target: the endpoint's HTTP(S) URL and the bearer token it takes, if any. */
export interface WhipTargetSpec {
  protocol: 'whip';
  /** http:// for whip://, https:// for whips:// (query removed) */
  url: string;
  token?: string;
}

export type RelayTargetSpec = MuxerTargetSpec | WhipTargetSpec;

/** Stable codes of RelayTargetError. */
export const RELAY_TARGET_ERROR_CODES = {
  /** the target URL is malformed or asks for something unsupported (message says what) */
  url: 'ERR_RELAY_URL',
  /** RelayTarget options out of range */
  options: 'ERR_RELAY_TARGET_OPTIONS',
} as const;

export class RelayTargetError extends Error {
  constructor(
    readonly code: (typeof RELAY_TARGET_ERROR_CODES)[keyof typeof RELAY_TARGET_ERROR_CODES],
    message: string,
  ) {
    super(message);
    this.name = 'RelayTargetError';
  }
}

export type ParseResult = { ok: true; target: RelayTargetSpec } | { ok: false; error: RelayTargetError };

const FORMAT: Record<MuxerProtocol, RelayFormat> = { rtsp: 'rtsp', srt: 'mpegts', rtmp: 'flv' };
const QUERY_KEYS: Record<RelayProtocol, readonly string[]> = { rtsp: ['transport'], srt: ['latency', 'passphrase'], rtmp: [], whip: ['token'] };
const MAX_URL_LENGTH = 2048;
/** Longest SRT latency accepted, ms. */
export const MAX_SRT_LATENCY_MS = 60_000;

/** A value for messages: quoted, cut at 60 characters. */
function show(text: string): string {
  return `'${text.length > 60 ? `${text.slice(0, 60)}...` : text}'`;
}

/** Parses a relay target URL; never throws: bad input gives `{ ok: false, error }`. */
export function parseTargetUrl(input: unknown): ParseResult {
  const fail = (message: string): ParseResult => ({ ok: false, error: new RelayTargetError('ERR_RELAY_URL', `relay target: ${message}`) });
  if (typeof input !== 'string') return fail(`url must be a string (got ${input === null ? 'null' : typeof input})`);
  if (input.length === 0 || input.length > MAX_URL_LENGTH) return fail(`url must be 1..${MAX_URL_LENGTH} characters (got ${input.length})`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return fail(`url ${show(input)} is not a URL`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'rtsp' && scheme !== 'srt' && scheme !== 'rtmp' && scheme !== 'whip' && scheme !== 'whips') return fail(`url must be whip://, whips://, rtsp://, srt:// or rtmp:// (got ${show(input)})`);
  if (url.hostname === '') return fail(`url ${show(input)} has no host`);
  if (url.hash !== '') return fail(`url ${show(input)} must not have a #fragment`);
  if (scheme === 'whip' || scheme === 'whips') return parseWhip(url, scheme, input, fail);
  const protocol: MuxerProtocol = scheme;
  if (protocol === 'srt' && url.port === '') return fail(`srt url ${show(input)} needs a port (srt://host:port)`);
  if (protocol === 'srt' && (url.username !== '' || url.password !== '')) return fail(`srt url ${show(input)} takes no user:password (use ?passphrase=)`);
  const path = url.pathname;
  if (protocol === 'srt' && path !== '' && path !== '/') return fail(`srt url ${show(input)} takes no path (got ${show(path)})`);
  if (protocol === 'rtsp' && (path === '' || path === '/')) return fail(`rtsp url ${show(input)} needs a path (rtsp://host:port/name)`);
  if (protocol === 'rtmp' && !/^\/[^/]+\/[^/]+/.test(path)) return fail(`rtmp url ${show(input)} needs /app/stream in its path`);

  const options: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [key, value] of url.searchParams) {
    if (!QUERY_KEYS[protocol].includes(key)) {
      const allowed = QUERY_KEYS[protocol].length > 0 ? `allowed: ${QUERY_KEYS[protocol].join(', ')}` : 'it takes none';
      return fail(`${protocol} url parameter ${show(key)} is not supported (${allowed})`);
    }
    if (seen.has(key)) return fail(`${protocol} url parameter ${show(key)} is given twice`);
    seen.add(key);
    if (key === 'transport') {
      if (value !== 'tcp' && value !== 'udp') return fail(`rtsp url parameter transport must be tcp or udp (got ${show(value)})`);
      options.rtsp_transport = value;
    } else if (key === 'latency') {
      if (!/^\d{1,6}$/.test(value) || Number(value) > MAX_SRT_LATENCY_MS) {
        return fail(`srt url parameter latency must be an integer 0..${MAX_SRT_LATENCY_MS} ms (got ${show(value)})`);
      }
      options.latency = String(Number(value) * 1000);
    } else if (key === 'passphrase') {
      if (value.length < 10 || value.length > 79) return fail(`srt url parameter passphrase must be 10..79 characters (got ${value.length})`);
      options.passphrase = value;
    }
  }
  // SRT's live mode closes with linger 0, dropping what the peer has not acknowledged: give a
  // closing target up to 1 s (the muxer's close grace) to deliver its last packets
  if (protocol === 'srt') options.linger = '1';
  url.search = '';
  return { ok: true, target: { protocol, format: FORMAT[protocol], url: url.toString(), options } };
}

/** whip:// → http://, whips:// → https://; `token` (1..4096 visible ASCII characters) the only parameter. */
function parseWhip(url: URL, scheme: 'whip' | 'whips', input: string, fail: (message: string) => ParseResult): ParseResult {
  if (url.username !== '' || url.password !== '') return fail(`whip url ${show(input)} takes no user:password (use ?token= for a bearer token)`);
  if (url.pathname === '' || url.pathname === '/') return fail(`whip url ${show(input)} needs the endpoint's path (whip://host:port/path)`);
  let token: string | undefined;
  for (const key of new Set(url.searchParams.keys())) {
    if (key !== 'token') return fail(`whip url parameter ${show(key)} is not supported (allowed: token)`);
    const values = url.searchParams.getAll(key);
    if (values.length > 1) return fail(`whip url parameter 'token' is given twice`);
    token = values[0]!;
    if (!/^[\x21-\x7e]{1,4096}$/.test(token)) return fail(`whip url parameter token must be 1..4096 visible ASCII characters`);
  }
  // whip: is parsed as an opaque scheme; the http(s) URL it stands for is stricter (host characters)
  let http: URL;
  try {
    http = new URL(input.replace(/^whips?:/i, scheme === 'whips' ? 'https:' : 'http:'));
  } catch {
    return fail(`whip url ${show(input)} is not a valid http(s) URL once whip:// is read as ${scheme === 'whips' ? 'https' : 'http'}://`);
  }
  http.search = '';
  http.hash = '';
  return { ok: true, target: { protocol: 'whip', url: http.toString(), ...(token !== undefined ? { token } : {}) } };
}

/** Reconnect policy of a target, ms. */
export interface ReconnectPolicy {
  /** wait after a failure before reopening */
  delayMs: number;
  /** give up when the target has been down this long (from its first failure); Infinity = never */
  maxTimeMs: number;
}

export interface RelayTargetOptions {
  url: string;
  width: number;
  height: number;
  fps: number;
  /** default: retry after 1000 ms for up to 60 s */
  reconnect?: ReconnectPolicy;
  queueFrames?: number;
  /** a queue whose oldest frame waited this long drops by the queue policy, ms; default 2000 (0: by frames only) */
  maxQueueAgeMs?: number;
  openTimeoutMs?: number;
  writeTimeoutMs?: number;
  /** called when a new muxer opens, which drops everything until a keyframe: ask the sender for one */
  onNeedKeyframe?: () => void;
}

/** 'waiting': failed, reopening at pollTimeout(); 'gave-up': down longer than reconnect.maxTimeMs. */
export type RelayTargetState = 'connecting' | 'open' | 'waiting' | 'gave-up' | 'closed';

export interface RelayTargetStats {
  bytes: number;
  frames: number;
  /** every muxer's drops plus writes while no muxer was open */
  dropped: number;
  reconnects: number;
  /** median queue delay (write → av_write_frame returned) of the current muxer, or the last one after close, ms */
  queueDelayMsP50?: number;
  state: RelayTargetState;
  /** the last muxer failure (libav call and text) */
  lastError?: string;
}

/** Creates the native muxer; tests pass a fake. */
export type MuxerFactory = (options: RelayMuxerOptions) => NativeRelayMuxer;

const defaultFactory: MuxerFactory = (options) => new (loadNative().RelayMuxer)(options);
const DEFAULT_RECONNECT: ReconnectPolicy = { delayMs: 1000, maxTimeMs: 60_000 };
/** A muxer target more than this far behind (its oldest queued frame), ms, drops to the next keyframe. */
export const DEFAULT_MAX_QUEUE_AGE_MS = 2000;

/**
 * When a failed target reopens and when it gives up, by its reconnect policy (RelayTarget and
 * WhipTarget). Time is an input; the down time counts from the first failure of a streak.
 */
export class ReconnectSchedule {
  readonly policy: ReconnectPolicy;
  /** reopens done */
  reconnects = 0;
  private downSinceMs: number | undefined;
  private reopenAtMs: number | undefined;

  /** Throws RelayTargetError for a policy out of range. */
  constructor(policy: ReconnectPolicy = DEFAULT_RECONNECT) {
    const { delayMs, maxTimeMs } = policy;
    if (!(Number.isFinite(delayMs) && delayMs >= 0)) throw new RelayTargetError('ERR_RELAY_TARGET_OPTIONS', `relay target: reconnect.delayMs must be a finite number >= 0 (got ${delayMs})`);
    if (!(maxTimeMs >= 0)) throw new RelayTargetError('ERR_RELAY_TARGET_OPTIONS', `relay target: reconnect.maxTimeMs must be >= 0 or Infinity (got ${maxTimeMs})`);
    this.policy = policy;
  }

  /** The target failed at `nowMs`: it reopens after the delay. */
  failed(nowMs: number): void {
    this.downSinceMs ??= nowMs;
    this.reopenAtMs = nowMs + this.policy.delayMs;
  }

  /** The target is up: the next failure starts a new streak. */
  up(): void {
    this.downSinceMs = undefined;
  }

  /** 'reopen' (counted) once the delay has passed, 'give-up' once down longer than maxTimeMs, else undefined. */
  due(nowMs: number): 'reopen' | 'give-up' | undefined {
    if (this.reopenAtMs === undefined || nowMs < this.reopenAtMs) return undefined;
    this.reopenAtMs = undefined;
    if (nowMs - (this.downSinceMs ?? nowMs) > this.policy.maxTimeMs) return 'give-up';
    this.reconnects++;
    return 'reopen';
  }

  /** When the pending reopen is due (same clock as nowMs); undefined when none is. */
  get reopenAt(): number | undefined {
    return this.reopenAtMs;
  }
}

/**
 * One relay target: a RelayMuxer reopened after a failure. Time is an input (`nowMs`, any
 * monotonic ms clock); it never starts a timer: call handleTimeout(now) at pollTimeout(), or
 * just keep writing (each write checks the muxer and the reopen time).
 */
export class RelayTarget {
  readonly spec: MuxerTargetSpec;
  private readonly schedule: ReconnectSchedule;
  private muxer: NativeRelayMuxer | undefined;
  private readonly closing: Array<Promise<void>> = [];
  private totals = { bytes: 0, frames: 0, dropped: 0 };
  private state: RelayTargetState = 'connecting';
  private lastError: string | undefined;
  /** the last retired muxer's median queue delay (a closed target still reports it) */
  private lastQueueDelayMsP50: number | undefined;

  /** Throws RelayTargetError for a bad URL or policy, the muxer's ERR_RELAY_OPTIONS for the rest. */
  constructor(
    private readonly options: RelayTargetOptions,
    private readonly factory: MuxerFactory = defaultFactory,
  ) {
    const parsed = parseTargetUrl(options.url);
    if (!parsed.ok) throw parsed.error;
    if (parsed.target.protocol === 'whip') throw new RelayTargetError('ERR_RELAY_URL', `relay target: ${show(options.url)} is a WHIP target (WhipTarget forwards those)`);
    this.spec = parsed.target;
    this.schedule = new ReconnectSchedule(options.reconnect);
    this.open();
  }

  /** Queues an access unit (Annex-B, `ptsUs` increasing); false when it was dropped. */
  write(accessUnit: Buffer, ptsUs: bigint, keyframe: boolean, nowMs: number): boolean {
    this.handleTimeout(nowMs);
    if (!this.muxer) {
      this.totals.dropped++;
      return false;
    }
    return this.muxer.write(accessUnit, ptsUs, keyframe);
  }

  /** Notices a failed muxer, reopens when its delay has passed, gives up after maxTimeMs. */
  handleTimeout(nowMs: number): void {
    if (this.state === 'closed' || this.state === 'gave-up') return;
    if (this.muxer) {
      const s = this.muxer.stats();
      if (s.state === 'open') {
        this.state = 'open';
        this.schedule.up();
      } else if (s.state === 'failed') {
        this.lastError = s.error;
        this.retire();
        this.schedule.failed(nowMs);
        this.state = 'waiting';
      }
    }
    if (this.state !== 'waiting') return;
    const next = this.schedule.due(nowMs);
    if (next === 'give-up') this.state = 'gave-up';
    else if (next === 'reopen') this.open();
  }

  /** When handleTimeout should next run (ms, same clock as nowMs); undefined when no reopen is pending. */
  pollTimeout(): number | undefined {
    return this.state === 'waiting' ? this.schedule.reopenAt : undefined;
  }

  stats(): RelayTargetStats {
    const current: Partial<RelayMuxerStats> = this.muxer?.stats() ?? {};
    const out: RelayTargetStats = {
      bytes: this.totals.bytes + (current.bytes ?? 0),
      frames: this.totals.frames + (current.frames ?? 0),
      dropped: this.totals.dropped + (current.dropped ?? 0),
      reconnects: this.schedule.reconnects,
      state: this.state,
    };
    const queueDelay = current.queueDelayMsP50 ?? this.lastQueueDelayMsP50;
    if (queueDelay !== undefined) out.queueDelayMsP50 = queueDelay;
    const error = current.error ?? this.lastError;
    if (error !== undefined) out.lastError = error;
    return out;
  }

  /** Closes the current muxer (queued frames get a 1 s grace) and waits for every retired one. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.retire();
    this.state = 'closed';
    await Promise.all(this.closing);
  }

  private open(): void {
    const { width, height, fps, queueFrames, openTimeoutMs, writeTimeoutMs } = this.options;
    const maxQueueAgeMs = this.options.maxQueueAgeMs ?? DEFAULT_MAX_QUEUE_AGE_MS;
    const options: RelayMuxerOptions = { url: this.spec.url, format: this.spec.format, width, height, fps, options: this.spec.options };
    if (queueFrames !== undefined) options.queueFrames = queueFrames;
    if (openTimeoutMs !== undefined) options.openTimeoutMs = openTimeoutMs;
    if (maxQueueAgeMs > 0) options.maxQueueAgeMs = maxQueueAgeMs;
    if (writeTimeoutMs !== undefined) options.writeTimeoutMs = writeTimeoutMs;
    this.muxer = this.factory(options);
    this.state = 'connecting';
    this.options.onNeedKeyframe?.();
  }

  private retire(): void {
    const muxer = this.muxer;
    if (!muxer) return;
    this.muxer = undefined;
    // count what it did so far now, and what it still sends during its close grace once closed
    const before = muxer.stats();
    if (before.queueDelayMsP50 !== undefined) this.lastQueueDelayMsP50 = before.queueDelayMsP50;
    this.add(before, 1);
    this.closing.push(
      muxer.close().then(() => {
        this.add(muxer.stats(), 1);
        this.add(before, -1);
      }),
    );
  }

  private add(s: RelayMuxerStats, sign: 1 | -1): void {
    this.totals.bytes += sign * s.bytes;
    this.totals.frames += sign * s.frames;
    this.totals.dropped += sign * s.dropped;
  }
}
