/**
 * A loopback run (`link: none`) stays on loopback: while a real run goes on, every UDP socket of
 * the orchestrator and its children is bound to 127.0.0.1 (not 0.0.0.0, which the machine's real
 * interface reaches), and every address in the offer and answer the run folder keeps is
 * 127.0.0.1 (docs/werift.md).
 */
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdpAddresses } from '../../src/transport/lab-address.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'bin/glasslab.js');

const SCENARIO = `name: loopback-binding
duration: 2s
resolution: 320x180
fps: 30
encoder:
  codec: x264
  bitrate: 300kbps
link: none
`;

/** A UDP socket as /proc/<pid>/net/udp{,6} lists it. */
interface UdpSocket {
  pid: number;
  local: string;
}

/** The pid and all its descendants, read from /proc/<pid>/task/<pid>/children. */
async function processTree(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const direct = children.split(' ').filter((s) => s.trim() !== '').map(Number);
  return [pid, ...(await Promise.all(direct.map(processTree))).flat()];
}

/** "0100007F:1F90" (little-endian IPv4, hex port) → "127.0.0.1:8080"; IPv6 kept as hex. */
function decodeLocal(hex: string): string {
  const [addressHex, portHex] = hex.split(':') as [string, string];
  const port = parseInt(portHex, 16);
  if (addressHex.length !== 8) return `[${addressHex}]:${port}`;
  const octets = [3, 2, 1, 0].map((i) => parseInt(addressHex.slice(i * 2, i * 2 + 2), 16));
  return `${octets.join('.')}:${port}`;
}

/** The UDP sockets `pid` holds open: socket inodes from its fds, joined with its netns's UDP tables. */
async function udpSocketsOf(pid: number): Promise<UdpSocket[]> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const inodes = new Set<string>();
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match) inodes.add(match[1]!);
  }
  const sockets: UdpSocket[] = [];
  for (const table of ['udp', 'udp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const row of text.split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode ...
      if (fields.length > 9 && inodes.has(fields[9]!)) sockets.push({ pid, local: decodeLocal(fields[1]!) });
    }
  }
  return sockets;
}

describe('a loopback run binds and advertises 127.0.0.1 only', () => {
  let runsRoot: string;
  let runDir: string;
  let exitCode: number | undefined;
  let output: string;
  const seen = new Map<string, UdpSocket>();
  const pidsSeen = new Set<number>();

  beforeAll(async () => {
    runsRoot = await mkdtemp(path.join(os.tmpdir(), 'glasslab-loopback-'));
    const scenarioFile = path.join(runsRoot, 'loopback.yaml');
    await writeFile(scenarioFile, SCENARIO);
    const subprocess = execa(process.execPath, [cli, '--json', 'run', scenarioFile, '--runs', runsRoot], { reject: false, timeout: 90_000, all: true });
    let running = true;
    const watching = (async () => {
      while (running) {
        for (const pid of await processTree(subprocess.pid!)) {
          pidsSeen.add(pid);
          for (const socket of await udpSocketsOf(pid)) seen.set(`${pid} ${socket.local}`, socket);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const result = await subprocess;
    running = false;
    await watching;
    exitCode = result.exitCode;
    output = result.all ?? '';
    runDir = (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { runDir: string }).runDir;
  }, 120_000);

  afterAll(async () => {
    if (runsRoot) await rm(runsRoot, { recursive: true, force: true });
  });

  it('completes', () => {
    expect(exitCode, output).toBe(0);
  });

  it('every UDP socket of the run (orchestrator, sender, receiver) is bound to 127.0.0.1', () => {
    // the orchestrator's STUN server, and at least one ICE socket in each child
    expect(pidsSeen.size).toBeGreaterThanOrEqual(3);
    const sockets = [...seen.values()];
    expect(new Set(sockets.map((s) => s.pid)).size).toBeGreaterThanOrEqual(3);
    expect(sockets.filter((s) => !s.local.startsWith('127.0.0.1:'))).toEqual([]);
  });

  it('every address in the offer and answer is 127.0.0.1', async () => {
    for (const name of ['offer.sdp', 'answer.sdp']) {
      const addresses = sdpAddresses(await readFile(path.join(runDir, name), 'utf8'));
      expect(addresses.filter((a) => a.field === 'candidate').length).toBeGreaterThan(0);
      expect(addresses.filter((a) => a.address !== '127.0.0.1'), name).toEqual([]);
    }
  });
});
