import net from 'node:net';

/**
 * A JSON-lines message channel over a socket. Malformed lines are reported through `onError`,
 * never thrown into the event loop. A message no `next()` was waiting for is kept (the last
 * BACKLOG_LIMIT of them), so a `next()` registered after the message arrived still gets it: the
 * two ends run concurrently and a reply can come before the caller starts waiting for it.
 */
const BACKLOG_LIMIT = 256;

export class JsonLineChannel<In extends { type: string }, Out extends { type: string }> {
  private buffered = '';
  private readonly handlers: ((message: In) => void)[] = [];
  /** pending next() calls; each returns true when it took the message */
  private readonly waiters: ((message: In) => boolean)[] = [];
  private readonly backlog: In[] = [];
  private readonly errorHandlers: ((error: Error) => void)[] = [];
  private readonly closeHandlers: (() => void)[] = [];

  constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error) => this.errorHandlers.forEach((h) => h(error)));
    socket.on('close', () => this.closeHandlers.forEach((h) => h()));
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (line.trim() === '') continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.errorHandlers.forEach((h) => h(new Error(`control channel: malformed line ${JSON.stringify(line.slice(0, 80))}`)));
        continue;
      }
      if (typeof message !== 'object' || message === null || typeof (message as { type?: unknown }).type !== 'string') {
        this.errorHandlers.forEach((h) => h(new Error('control channel: message without a type')));
        continue;
      }
      this.dispatch(message as In);
    }
  }

  private dispatch(message: In): void {
    for (const handler of [...this.handlers]) handler(message);
    const waiter = this.waiters.find((w) => w(message));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      return;
    }
    this.backlog.push(message);
    if (this.backlog.length > BACKLOG_LIMIT) this.backlog.shift();
  }

  send(message: Out): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify(message)}\n`);
  }

  onMessage(handler: (message: In) => void): void {
    this.handlers.push(handler);
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandlers.push(handler);
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  /**
   * Resolves with the first message of this type not yet taken by another next(), including one
   * that arrived before this call (or rejects on close / timeout).
   */
  next<T extends In['type']>(type: T, timeoutMs: number): Promise<Extract<In, { type: T }>> {
    const early = this.backlog.findIndex((m) => m.type === type);
    if (early >= 0) return Promise.resolve(this.backlog.splice(early, 1)[0] as Extract<In, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter = (message: In): boolean => {
        if (message.type !== type) return false;
        clearTimeout(timer);
        resolve(message as Extract<In, { type: T }>);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`control channel: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.onClose(() => {
        clearTimeout(timer);
        reject(new Error(`control channel closed while waiting for "${type}"`));
      });
    });
  }

  close(): void {
    this.socket.end();
  }
}

/** Connects a child process to the orchestrator's socket. */
export async function connectChannel<In extends { type: string }, Out extends { type: string }>(
  socketPath: string,
): Promise<JsonLineChannel<In, Out>> {
  const socket = net.createConnection(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return new JsonLineChannel<In, Out>(socket);
}
