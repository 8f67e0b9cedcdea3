/**
 * The part of node-media-server (npm, 4.x; plain CommonJS without type declarations) that
 * lab/relay/nms-main.ts uses: the server class with its configuration, the RTMP listener it
 * creates (to wait for its `listening` event), and the shared logger (to send its lines to
 * stderr: it writes them to stdout, which is the lab's line protocol).
 */
declare module 'node-media-server' {
  import type { Server } from 'node:net';

  /** The configuration sections nms-main sets; a section whose port is unset starts no listener. */
  export interface NmsConfig {
    /** address every listener binds */
    bind?: string;
    rtmp?: { port?: number };
    /** the JSON store (relay tasks, stream history); it takes a pid lock on the directory */
    store?: { path?: string; maxHistory?: number };
    record?: { auto?: boolean; path?: string };
    webadmin?: { enable?: boolean };
    notify?: { url?: string };
  }

  export default class NodeMediaServer {
    constructor(config: NmsConfig, configPath?: string);
    /** created by the constructor; `tcpServer` exists when `rtmp.port` is set */
    readonly rtmpServer: { readonly tcpServer?: Server };
    /** starts the listeners (asynchronously) and opens the store */
    run(): Promise<void>;
    /** closes the listeners, destroys the connections and closes the store; idempotent */
    stop(): Promise<void>;
  }
}

declare module 'node-media-server/src/core/logger.js' {
  export type NmsLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

  /** The one logger every node-media-server module shares (CommonJS singleton). */
  interface NmsLogger {
    level: string;
    log(message: string, logLevel?: NmsLogLevel): void;
  }

  const logger: NmsLogger;
  export default logger;
}
