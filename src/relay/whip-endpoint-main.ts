/**
 * The WHIP endpoint as its own process (started by lab/relay/whip-endpoint-process.ts, in the
 * receiver's network namespace when the run has a link):
 *   whip-endpoint-main --host H --port N --path P --width W --height H [--token T]
 * It runs its own STUN server on the host (werift never gets a public one), then the endpoint,
 * and writes every WhipEndpointLine as JSON on stdout, `listening` first. SIGTERM/SIGINT stop it
 * (exit 0); bad arguments exit 2, any other failure 1, with the reason on stderr.
 */
import { parseArgs } from 'node:util';
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
}

class UsageError extends Error {}

function integer(flag: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined) throw new UsageError(`--${flag} is required`);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`--${flag} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`);
  return value;
}

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  path: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  token: { type: 'string' },
} as const;

function parseMainArgs(argv: string[]): MainArgs {
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: false }>>['values'];
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.host === undefined || values.host === '') throw new UsageError('--host is required');
  if (values.path === undefined || !values.path.startsWith('/') || values.path.endsWith('/')) {
    throw new UsageError(`--path must start with / and not end with one, got ${JSON.stringify(values.path ?? '')}`);
  }
  if (values.token === '') throw new UsageError('--token must not be empty');
  return {
    host: values.host,
    port: integer('port', values.port, 0, 65535),
    path: values.path,
    width: integer('width', values.width, 1, 16384),
    height: integer('height', values.height, 1, 16384),
    ...(values.token !== undefined ? { token: values.token } : {}),
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
  const endpoint = await WhipEndpointServer.start({
    ...args,
    stunUrl: stun.url,
    onLine: (line: WhipEndpointLine) => process.stdout.write(`${JSON.stringify(line)}\n`),
    log: (message) => process.stderr.write(`${message}\n`),
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    endpoint
      .stop()
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
