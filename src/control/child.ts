import { connectChannel, type JsonLineChannel } from './channel.ts';
import type { ChildConfig, ChildMessage, OrchestratorMessage } from './messages.ts';

/** The control side of a child process: connect, say hello, wait for the configuration. */
export interface ChildControl<Config extends ChildConfig = ChildConfig> {
  channel: JsonLineChannel<OrchestratorMessage, ChildMessage>;
  config: Config;
  /** reports a fatal error to the orchestrator, then exits with code 3 */
  fail(error: unknown): never;
  /** the same, for callbacks whose caller must not see a throw (a record writer's flush timer) */
  reportFailure(error: unknown): void;
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

/** Environment variable that carries the run's control token to a child (env, not argv: argv is world-readable in /proc). */
export const CONTROL_TOKEN_ENV = 'GLASSLAB_CONTROL_TOKEN';

function tokenFromEnv(): string {
  const token = process.env[CONTROL_TOKEN_ENV];
  if (!token) {
    process.stderr.write(`${CONTROL_TOKEN_ENV} is not set (this process is started by "glasslab run")\n`);
    process.exit(2);
  }
  delete process.env[CONTROL_TOKEN_ENV];
  return token;
}

/** What a child sends the orchestrator about a fatal error; a write failure also names its file. */
function errorMessageOf(err: Error): Extract<ChildMessage, { type: 'error' }> {
  const { code, filePath } = err as Error & { code?: unknown; filePath?: unknown };
  return {
    type: 'error',
    message: err.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(code === 'WRITE_FAILED' && typeof filePath === 'string' ? { file: filePath } : {}),
  };
}

/** Connects to the orchestrator named on the command line and waits for "configure". */
export async function startChild<Role extends ChildConfig['role']>(role: Role, argv: string[]): Promise<ChildControl<Extract<ChildConfig, { role: Role }>>> {
  const token = tokenFromEnv();
  const channel = await connectChannel<OrchestratorMessage, ChildMessage>(socketPathFromArgs(argv));
  const fail = (error: unknown): never => {
    const err = error instanceof Error ? error : new Error(String(error));
    // the orchestrator first: on a full disk the write to the log may fail too
    channel.send(errorMessageOf(err));
    process.stderr.write(`${role}: ${err.stack ?? err.message}\n`);
    setTimeout(() => process.exit(3), 100);
    throw err;
  };
  // The orchestrator going away ends the child: never outlive the run.
  channel.onClose(() => process.exit(0));
  channel.onError((error) => process.stderr.write(`${role}: control: ${error.message}\n`));
  const configured = channel.next('configure', 30_000);
  channel.send({ type: 'hello', role, pid: process.pid, token });
  const { config } = await configured;
  if (config.role !== role) fail(new Error(`configured as ${config.role}, started as ${role}`));
  const reportFailure = (error: unknown): void => {
    try {
      fail(error);
    } catch {
      // fail() throws to stop its caller; here the caller is a timer, and the exit is scheduled
    }
  };
  return { channel, config: config as Extract<ChildConfig, { role: Role }>, fail, reportFailure };
}
