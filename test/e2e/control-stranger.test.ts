/**
 * A real loopback run with strangers on its control socket: one connects and closes before any
 * hello, one says hello as "sender" with a wrong token. Neither takes over nor disturbs the run:
 * it completes and exits 0. (Before the token, the first stranger failed the run: "control
 * channel closed while waiting for hello".)
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

describe('strangers on a run\'s control socket', () => {
  let runsRoot: string | undefined;
  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('are refused, and the run completes', async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-e2e-stranger-'));
    const subprocess = execa(process.execPath, [cli, '--json', 'run', path.join(root, 'scenarios/ci-360p.yaml'), '--runs', runsRoot], { reject: false, timeout: 90_000 });
    const prefix = `glasslab-ctl-${subprocess.pid}-`;
    const strangers: net.Socket[] = [];
    const seen = { connected: 0, closedByRun: 0 };
    let socketPath: string | undefined;
    for (let i = 0; i < 3000 && socketPath === undefined; i += 1) {
      const dir = readdirSync(os.tmpdir()).find((name) => name.startsWith(prefix));
      const candidate = dir ? path.join(os.tmpdir(), dir, 'control.sock') : undefined;
      if (candidate && readdirSync(path.dirname(candidate)).includes('control.sock')) socketPath = candidate;
      else await new Promise((r) => setTimeout(r, 5));
    }
    expect(socketPath, 'the run made its control socket').toBeDefined();
    for (const hello of [undefined, { type: 'hello', role: 'sender', pid: process.pid, token: '0'.repeat(64) }]) {
      const socket = net.createConnection(socketPath!);
      strangers.push(socket);
      socket.on('error', () => undefined);
      // refused means closed by the run while it still goes, not at its exit
      socket.on('close', () => (seen.closedByRun += hello && subprocess.exitCode === null ? 1 : 0));
      socket.on('connect', () => {
        seen.connected += 1;
        if (hello) socket.write(`${JSON.stringify(hello)}\n`);
        else socket.destroy();
      });
    }
    const result = await subprocess;
    for (const socket of strangers) socket.destroy();
    expect(seen.connected).toBe(2);
    expect(seen.closedByRun).toBe(1);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    const summary = JSON.parse(String(result.stdout).trim().split('\n').at(-1)!) as { runDir: string; state: string; framesDisplayed: number };
    expect(summary.state).toBe('completed');
    expect(summary.framesDisplayed).toBeGreaterThan(100);
    const status = JSON.parse(await readFile(path.join(summary.runDir, 'status.json'), 'utf8')) as { state: string };
    expect(status.state).toBe('completed');
  }, 120_000);
});
