/**
 * The orchestrator's end of the control channel: a Unix socket in a private folder
 * (control-dir.ts), a random token per run that each child must present in its hello, and the
 * acceptance of exactly one sender and one receiver. A connection whose hello lacks the token or
 * names a role already taken (or no role) is closed and not counted, so another local process
 * cannot take over, or disturb, a run's channel.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { JsonLineChannel } from '../../src/control/channel.ts';
import type { ChildMessage, OrchestratorMessage } from '../../src/control/messages.ts';
import type { ChildRole } from './children.ts';
import { createControlDir, type ControlDir } from './control-dir.ts';

/** The orchestrator's channel to one child. */
export type ChildChannel = JsonLineChannel<ChildMessage, OrchestratorMessage>;

/** A control channel's failure; `phase` names who or what failed (a child's role, "start"). */
export class ControlError extends Error {
  readonly code = 'CONTROL_FAILED';
  constructor(readonly phase: string, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

/** A listening control server. */
export interface ControlServer {
  socketPath: string;
  /** give this to each child at spawn (env GLASSLAB_CONTROL_TOKEN); 256 random bits, hex */
  token: string;
  /** connections closed for a wrong hello so far */
  readonly refused: number;
  /** Resolves once a sender and a receiver presented the token; rejects after `timeoutMs`. */
  acceptChildren(timeoutMs: number): Promise<Record<ChildRole, ChildChannel>>;
  /** stops listening and removes the socket folder; idempotent */
  close(): Promise<void>;
}

function tokenMatches(expected: Buffer, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const bytes = Buffer.from(given, 'utf8');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** Creates the private folder, listens on its socket and waits for connections. */
export async function startControlServer(tmpDir?: string): Promise<ControlServer> {
  const controlDir: ControlDir = await createControlDir(tmpDir);
  const token = randomBytes(32).toString('hex');
  const expected = Buffer.from(token, 'utf8');
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => server.listen(controlDir.socketPath, resolve).once('error', reject));
    controlDir.restrictSocket();
  } catch (error) {
    server.close();
    await controlDir.remove();
    throw error;
  }
  let refused = 0;
  const acceptChildren = (timeoutMs: number): Promise<Record<ChildRole, ChildChannel>> => {
    const channels: Partial<Record<ChildRole, ChildChannel>> = {};
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const missing = (['sender', 'receiver'] as const).filter((role) => !channels[role]);
        reject(new ControlError('start', `${missing.join(' and ')} did not connect within ${timeoutMs} ms (see ${missing.map((r) => `${r}.log`).join(', ')})`));
      }, timeoutMs);
      server.on('connection', (socket) => {
        const refuse = (): void => {
          refused += 1;
          socket.destroy();
        };
        if (channels.sender && channels.receiver) return refuse();
        const channel: ChildChannel = new JsonLineChannel<ChildMessage, OrchestratorMessage>(socket);
        channel.onError(() => socket.destroy());
        // a stranger's silence, garbage or early close concerns its own connection only
        channel.next('hello', timeoutMs).then((hello) => {
          const role = hello.role;
          if (!tokenMatches(expected, hello.token) || (role !== 'sender' && role !== 'receiver') || channels[role]) return refuse();
          channels[role] = channel;
          if (channels.sender && channels.receiver) {
            clearTimeout(timer);
            resolve({ sender: channels.sender, receiver: channels.receiver });
          }
        }, refuse);
      });
    });
  };
  return {
    socketPath: controlDir.socketPath,
    token,
    get refused() {
      return refused;
    },
    acceptChildren,
    close: async () => {
      server.close();
      await controlDir.remove();
    },
  };
}

/**
 * Waits for a child's message of `type`; a timeout or a closed channel becomes a ControlError that
 * names the child, e.g. "receiver did not report stopped within 30000 ms".
 */
export function expectFromChild<T extends ChildMessage['type']>(channel: ChildChannel, role: ChildRole, type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
  return channel.next(type, timeoutMs).catch((error: unknown) => {
    const closed = error instanceof Error && error.message.includes('closed');
    throw new ControlError(role, closed ? `${role} closed its control channel before it reported ${type}` : `${role} did not report ${type} within ${timeoutMs} ms`);
  });
}
