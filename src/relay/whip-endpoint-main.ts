/**
 * The WHIP endpoint as its own process (started by lab/relay/whip-endpoint-process.ts, in the
 * receiver's network namespace when the run has a link):
 *   whip-endpoint-main --host H --port N --path P --width W --height H [--token T] [--receiver lab|chromium]
 * It runs its own STUN server on the host (werift never gets a public one), then the endpoint,
 * and writes every WhipEndpointLine as JSON on stdout, `listening` first. SIGTERM/SIGINT stop it
 * (exit 0); bad arguments exit 2, any other failure 1, with the reason on stderr.
 */
import { integerFlag, strictFlags, UsageError } from '../shared/process-args.ts';
import { startLocalStunServer } from '../transport/stun-server.ts';
import { WhipEndpointServer } from './whip-endpoint.ts';
import type { WhipEndpointLine } from './whip-hop.ts';

interface MainArgs {
  host: string;
  port: number;
  path: string;
  width: number;
  height: number;
  token?: string;
  /** who receives: the lab's pipeline (default) or Chromium (src/relay/chromium-whip-session.ts) */
  receiver: 'lab' | 'chromium';
}

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  path: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  token: { type: 'string' },
  receiver: { type: 'string' },
} as const;

function parseMainArgs(argv: string[]): MainArgs {
  const values = strictFlags(argv, OPTIONS);
  if (values.host === undefined || values.host === '') throw new UsageError('--host is required');
  if (values.path === undefined || !values.path.startsWith('/') || values.path.endsWith('/')) {
    throw new UsageError(`--path must start with / and not end with one, got ${JSON.stringify(values.path ?? '')}`);
  }
  if (values.token === '') throw new UsageError('--token must not be empty');
  const receiver = values.receiver ?? 'lab';
  if (receiver !== 'lab' && receiver !== 'chromium') throw new UsageError(`--receiver must be lab or chromium, got ${JSON.stringify(receiver)}`);
  return {
    host: values.host,
    port: integerFlag('port', values.port, 0, 65535),
    path: values.path,
    width: integerFlag('width', values.width, 1, 16384),
    height: integerFlag('height', values.height, 1, 16384),
    ...(values.token !== undefined ? { token: values.token } : {}),
    receiver,
  };
}

let args: MainArgs;
try {
  args = parseMainArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`whip-endpoint: ${(error as Error).message}\n`);
  process.exit(2);
}

try {
  const stun = await startLocalStunServer(args.host);
  const onLine = (line: WhipEndpointLine): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  // Chromium (and puppeteer) only load for a Chromium endpoint
  const chromium = args.receiver === 'chromium' ? await (await import('./chromium-whip-session.ts')).chromiumSessions({ host: args.host, stunUrl: stun.url, onLine, log }) : undefined;
  const { receiver: _receiver, ...endpointArgs } = args;
  const endpoint = await WhipEndpointServer.start({ ...endpointArgs, stunUrl: stun.url, onLine, log, ...(chromium ? { sessions: chromium.sessions } : {}) });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    endpoint
      .stop()
      .then(() => chromium?.close())
      .then(() => stun.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        process.stderr.write(`whip-endpoint: stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  process.stderr.write(`whip-endpoint: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
