import { connectChannel, type JsonLineChannel } from './channel.ts';
import type { ChildConfig, ChildMessage, OrchestratorMessage } from './messages.ts';

/** The control side of a child process: connect, say hello, wait for the configuration. */
export interface ChildControl {
  channel: JsonLineChannel<OrchestratorMessage, ChildMessage>;
  config: ChildConfig;
  /** reports a fatal error to the orchestrator, then exits with code 3 */
  fail(error: unknown): never;
}

function socketPathFromArgs(argv: string[]): string {
  const index = argv.indexOf('--control');
  const socketPath = index >= 0 ? argv[index + 1] : undefined;
  if (!socketPath) {
    process.stderr.write('usage: --control <unix socket path> (this process is started by "glasslab run")\n');
    process.exit(2);
  }
  return socketPath;
}

/** Connects to the orchestrator named on the command line and waits for "configure". */
export async function startChild(role: 'sender' | 'receiver', argv: string[]): Promise<ChildControl> {
  const channel = await connectChannel<OrchestratorMessage, ChildMessage>(socketPathFromArgs(argv));
  const fail = (error: unknown): never => {
    const err = error instanceof Error ? error : new Error(String(error));
    process.stderr.write(`${role}: ${err.stack ?? err.message}\n`);
    channel.send({ type: 'error', message: err.message, ...(typeof (err as Error & { code?: unknown }).code === 'string' ? { code: String((err as Error & { code?: unknown }).code) } : {}) });
    setTimeout(() => process.exit(3), 100);
    throw err;
  };
  // The orchestrator going away ends the child: never outlive the run.
  channel.onClose(() => process.exit(0));
  channel.onError((error) => process.stderr.write(`${role}: control: ${error.message}\n`));
  const configured = channel.next('configure', 30_000);
  channel.send({ type: 'hello', role, pid: process.pid });
  const { config } = await configured;
  return { channel, config, fail };
}
