/**
 * The lab's WHIP endpoint (RFC 9725, server side) at the far end of a WHIP relay hop: an HTTP
 * server on one address that takes a forwarder's SDP offer and answers it with a session that
 * receives the stream, writing one `frame` line per displayed frame. By default the session is
 * the lab's own receiver (src/relay/whip-lab-session.ts); `sessions` gives another receiver
 * (Chromium: src/relay/chromium-whip-session.ts). One session at a time: a new POST replaces
 * the session (a forwarder that reconnects), DELETE on its Location ends it. Every refusal is answered with the status RFC
 * 9725 / RFC 9110 give it and a `refused` line.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WHIP_CONTENT_TYPE, type WhipEndpointLine } from './whip-hop.ts';
import { labSessions } from './whip-lab-session.ts';

export interface WhipEndpointOptions {
  /** the only address the HTTP server and ICE use, e.g. 127.0.0.1 */
  host: string;
  /** TCP port; 0 = any free one */
  port: number;
  /** the endpoint URL's path, e.g. /whip/relay; sessions live under `<path>/sessions/<id>` */
  path: string;
  /** when set, every request must carry `Authorization: Bearer <token>` */
  token?: string;
  /** "stun:host:port" of the lab's STUN server (never a public one) */
  stunUrl: string;
  /** frame size the forwarder sends, pixels (validated; the decoder takes the size from the SPS) */
  width: number;
  height: number;
  /** every line the endpoint writes (listening, session, frame, session-end, refused) */
  onLine: (line: WhipEndpointLine) => void;
  /** minimum time between two keyframe requests, ms; default 500 */
  pliIntervalMs?: number;
  /** how long a request body may take to arrive, ms; default 5000 */
  bodyTimeoutMs?: number;
  /** why a session failed, for the process's stderr; default: nowhere */
  log?: (message: string) => void;
  /** who receives each session; default the lab's own receive pipeline (labSessions) */
  sessions?: SessionFactory;
}

export type EndReason = Extract<WhipEndpointLine, { type: 'session-end' }>['reason'];

/** A WHIP session as the HTTP side sees it: answered, then ended once. */
export interface EndpointSession {
  readonly id: string;
  end(reason: EndReason): Promise<void>;
}

/**
 * Answers an offer with a session that receives in the background; rejects with the reason an
 * offer cannot be answered (the client gets it as a 400).
 */
export type SessionFactory = (offer: string, id: string) => Promise<{ answer: string; session: EndpointSession }>;

/** Largest SDP offer accepted, bytes. */
export const WHIP_MAX_OFFER_BYTES = 64 * 1024;
/** Default time a request body may take, ms. */
export const WHIP_BODY_TIMEOUT_DEFAULT_MS = 5000;
/** A refused body is drained up to this many bytes (so the client reads the answer), then the connection is cut. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;


/** Options the endpoint cannot start with; `code` is stable. */
export class WhipEndpointError extends Error {
  constructor(readonly code: 'WHIP_ENDPOINT_OPTIONS', message: string) {
    super(message);
    this.name = 'WhipEndpointError';
  }
}

/** An HTTP answer: status, headers, text body. */
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** set on refusals: the `refused` line's reason (and the text/plain body) */
  refused?: string;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function refuse(status: number, reason: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body: `${reason}\n`, refused: reason };
}


/** Why an SDP offer cannot be answered, before werift sees it; undefined when it looks like one. */
function offerProblem(sdp: string): string | undefined {
  if (sdp.trim() === '') return 'empty SDP offer';
  if (!/^v=0\r?$/m.test(sdp.split('\n', 1)[0] ?? '')) return 'not an SDP offer: the first line must be v=0';
  if (!/^m=video /m.test(sdp)) return 'the SDP offer has no video media section (m=video)';
  return undefined;
}

/** The media type of a Content-Type header, lower case, without parameters. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

type BodyRead = { ok: true; body: string } | { ok: false; reply: Reply };

/** Reads a request body of at most `maxBytes` within `timeoutMs`. */
function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ ok: false, reply: refuse(413, `offer of ${declared} bytes is over the ${maxBytes}-byte limit`) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const settle = (result: BodyRead): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => settle({ ok: false, reply: refuse(408, `request body not complete within ${timeoutMs} ms`) }), timeoutMs);
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      bytes += chunk.length;
      if (bytes > maxBytes) settle({ ok: false, reply: refuse(413, `offer over the ${maxBytes}-byte limit`) });
      else chunks.push(chunk);
    });
    req.on('end', () => settle({ ok: true, body: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', (error) => settle({ ok: false, reply: refuse(400, `request body: ${error.message}`) }));
  });
}

/** Lets the client finish sending a refused body (so it reads the answer), up to a limit. */
function drain(req: IncomingMessage): void {
  if (req.complete) return;
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) req.destroy();
  });
  req.resume();
}

export class WhipEndpointServer {
  private session: EndpointSession | undefined;
  /** offers are answered one at a time, so a replacement always follows the session it replaces */
  private answering: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: WhipEndpointOptions,
    private readonly server: Server,
    /** the TCP port it listens on */
    readonly port: number,
    /** http://host:port/path: where offers are POSTed */
    readonly url: string,
  ) {}

  /** Listens on `host:port` and writes the `listening` line. */
  static async start(options: WhipEndpointOptions): Promise<WhipEndpointServer> {
    if (!options.path.startsWith('/') || options.path.endsWith('/')) {
      throw new WhipEndpointError('WHIP_ENDPOINT_OPTIONS', `WhipEndpointServer: path ${JSON.stringify(options.path)} must start with / and not end with one`);
    }
    for (const [name, value] of [['width', options.width], ['height', options.height]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new WhipEndpointError('WHIP_ENDPOINT_OPTIONS', `WhipEndpointServer: ${name} ${value} is not a positive integer`);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const endpoint = new WhipEndpointServer(options, server, port, `http://${options.host}:${port}${options.path}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => endpoint.handle(req, res));
    options.onLine({ type: 'listening', port, url: endpoint.url });
    return endpoint;
  }

  /** Ends the session (reason 'stopped', waiting frames flushed) and closes the server. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      await this.answering.catch(() => undefined);
      await this.session?.end('stopped');
      this.session = undefined;
      this.server.closeAllConnections();
      await closed;
    })();
    return this.stopping;
  }

  /** Answers one request; never throws (500 when something unexpected failed before an answer). */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    void this.route(req)
      .catch((error: unknown) => refuse(500, `internal error: ${error instanceof Error ? error.message : String(error)}`))
      .then((reply) => {
        if (reply.refused !== undefined) {
          this.options.onLine({ type: 'refused', status: reply.status, reason: reply.refused, atMs: nowMs() });
          drain(req);
        }
        if (!res.headersSent) {
          res.writeHead(reply.status, { ...(reply.refused !== undefined && !req.complete ? { Connection: 'close' } : {}), ...reply.headers });
          res.end(reply.body);
        }
      })
      .catch((error: unknown) => {
        this.options.log?.(`whip endpoint: answering ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    const pathname = new URL(req.url ?? '/', 'http://endpoint').pathname;
    const sessionsPrefix = `${this.options.path}/sessions/`;
    if (pathname === this.options.path) {
      if (req.method !== 'POST') return refuse(405, `method ${req.method} not allowed on ${pathname}`, { Allow: 'POST' });
      return this.post(req);
    }
    if (pathname.startsWith(sessionsPrefix)) {
      const denied = this.unauthorized(req);
      if (denied) return denied;
      const id = pathname.slice(sessionsPrefix.length);
      const session = this.session?.id === id ? this.session : undefined;
      if (!session) return refuse(404, `no session ${id}`);
      if (req.method !== 'DELETE') return refuse(405, `method ${req.method} not allowed on a session`, { Allow: 'DELETE' });
      this.session = undefined;
      await session.end('deleted');
      return { status: 200 };
    }
    return refuse(404, `no WHIP endpoint at ${pathname}`);
  }

  private async post(req: IncomingMessage): Promise<Reply> {
    const denied = this.unauthorized(req);
    if (denied) return denied;
    const type = mediaType(req.headers['content-type']);
    if (type !== WHIP_CONTENT_TYPE) return refuse(415, `content type ${type === '' ? '(none)' : type} is not ${WHIP_CONTENT_TYPE}`);
    const read = await readBody(req, WHIP_MAX_OFFER_BYTES, this.options.bodyTimeoutMs ?? WHIP_BODY_TIMEOUT_DEFAULT_MS);
    if (!read.ok) return read.reply;
    const problem = offerProblem(read.body);
    if (problem) return refuse(400, problem);
    const answered = this.answering.then(() => this.answer(read.body));
    this.answering = answered.catch(() => undefined);
    return answered;
  }

  /** Answers an offer with a new session, replacing the current one (ended first: a receiver may hold one peer only). */
  private async answer(offer: string): Promise<Reply> {
    if (this.stopping) return refuse(503, 'the endpoint is stopping');
    const previous = this.session;
    this.session = undefined;
    if (previous) await previous.end('replaced');
    let made: { answer: string; session: EndpointSession };
    try {
      made = await (this.options.sessions ?? labSessions(this.options))(offer, randomBytes(16).toString('hex'));
    } catch (error) {
      return refuse(400, error instanceof Error ? error.message : String(error));
    }
    const { answer, session } = made;
    if (this.stopping) {
      await session.end('stopped');
      return refuse(503, 'the endpoint is stopping');
    }
    this.session = session;
    this.options.onLine({ type: 'session', id: session.id, atMs: nowMs() });
    return { status: 201, headers: { 'Content-Type': WHIP_CONTENT_TYPE, Location: `${this.options.path}/sessions/${session.id}` }, body: answer };
  }

  /** 401 when a token is required and the request does not carry it. */
  private unauthorized(req: IncomingMessage): Reply | undefined {
    const token = this.options.token;
    if (token === undefined) return undefined;
    const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
    if (given !== undefined && timingSafeEqual(digest(given), digest(token))) return undefined;
    return refuse(401, given === undefined ? 'missing bearer token' : 'wrong bearer token', { 'WWW-Authenticate': 'Bearer' });
  }
}
