import net from 'node:net';

/**
 * A JSON-lines message channel over a socket. Malformed lines are reported through `onError`,
 * never thrown into the event loop.
 */
export class JsonLineChannel<In extends { type: string }, Out extends { type: string }> {
  private buffered = '';
  private readonly handlers: ((message: In) => void)[] = [];
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
      this.handlers.forEach((h) => h(message as In));
    }
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

  /** Resolves with the first message of this type (or rejects on close / timeout). */
  next<T extends In['type']>(type: T, timeoutMs: number): Promise<Extract<In, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`control channel: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const handler = (message: In): void => {
        if (message.type !== type) return;
        clearTimeout(timer);
        this.handlers.splice(this.handlers.indexOf(handler), 1);
        resolve(message as Extract<In, { type: T }>);
      };
      this.handlers.push(handler);
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
