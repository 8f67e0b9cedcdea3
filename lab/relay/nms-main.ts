/**
 * node-media-server as a real RTMP server at the far side of an RTMP relay target, in its own
 * process (started by lab/relay/nms-endpoint.ts, in the receiver's network namespace when the run
 * has a link):
 *   nms-main --host H --port N [--data-dir D]
 * Only its RTMP listener runs (no HTTP/HTTPS-FLV, RTMPS, admin API, recording, notify, auth).
 * It writes one line on stdout, `{"type":"listening","port":N}`, once the RTMP socket listens (the
 * listener's own `listening` event); node-media-server's log goes to stderr, warnings and errors
 * only. SIGTERM/SIGINT stop it (exit 0); bad arguments exit 2, a failure to start 1 (a port in
 * use: node-media-server itself exits 1 after logging it).
 *
 * node-media-server always opens its JSON store (a directory it locks with a pid file); it gets
 * `--data-dir` (the endpoint's own temporary directory, removed by the endpoint), or else a fresh
 * temporary one that this process removes when it stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { integerFlag, strictFlags, UsageError } from '../../src/shared/process-args.ts';
import NodeMediaServer from 'node-media-server';
import nmsLogger, { type NmsLogLevel } from 'node-media-server/src/core/logger.js';

interface MainArgs {
  host: string;
  port: number;
  dataDir?: string;
}

/** The line written once the RTMP socket listens. */
export interface NmsListeningLine {
  type: 'listening';
  port: number;
}

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

function parseMainArgs(argv: string[]): MainArgs {
  const values = strictFlags(argv, OPTIONS);
  if (values.host === undefined || values.host === '') throw new UsageError('--host is required');
  // node-media-server treats port 0 as "no listener", so a kernel-chosen port is not possible
  const port = integerFlag('port', values.port, 1, 65535);
  if (values['data-dir'] === '') throw new UsageError('--data-dir must not be empty');
  return { host: values.host, port, ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}) };
}

/** node-media-server log levels that reach stderr. */
const LOGGED_LEVELS: ReadonlySet<string> = new Set<NmsLogLevel>(['warn', 'error']);

let args: MainArgs;
try {
  args = parseMainArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`nms-main: ${(error as Error).message}\n`);
  process.exit(2);
}

// The logger is one shared object; its own level is reset to "debug" by the server's
// constructor, so the filter lives here, not in `level`. Replaced before the constructor logs.
nmsLogger.log = (message: string, logLevel: NmsLogLevel = 'info'): void => {
  if (LOGGED_LEVELS.has(logLevel)) process.stderr.write(`nms ${logLevel}: ${message}\n`);
};

const ownDataDir = args.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'glasslab-nms-')) : undefined;
const removeOwnDataDir = (): void => {
  if (ownDataDir !== undefined) rmSync(ownDataDir, { recursive: true, force: true });
};

try {
  const server = new NodeMediaServer({
    // node-media-server binds every listener to `bind`, so the RTMP socket is on this host only
    bind: args.host,
    rtmp: { port: args.port },
    store: { path: args.dataDir ?? ownDataDir },
    record: { auto: false },
    webadmin: { enable: false },
  });
  const listener = server.rtmpServer.tcpServer;
  if (listener === undefined) throw new Error('node-media-server created no RTMP listener');
  let stopping = false;
  const stop = (): void => {
    // the store's own SIGTERM hook flushes and raises the signal again: this runs once
    if (stopping) return;
    stopping = true;
    server
      .stop()
      .then(() => {
        removeOwnDataDir();
        process.exit(0);
      })
      .catch((error: unknown) => {
        process.stderr.write(`nms-main: stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        removeOwnDataDir();
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  listener.once('listening', () => {
    const line: NmsListeningLine = { type: 'listening', port: args.port };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  });
  await server.run();
} catch (error) {
  process.stderr.write(`nms-main: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  removeOwnDataDir();
  process.exit(1);
}
