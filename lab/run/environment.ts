import os from 'node:os';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

type Detail = Record<string, string | number | boolean>;

/** env.json: versions, machine, and what each process chose (devices, encoder, backends, skips). */
export interface RunEnvironment {
  glasslab: string;
  node: string;
  werift: string;
  platform: string;
  kernel: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  sender: Detail;
  receiver: Detail;
  link: Detail;
  /** features that were not used and why */
  skipped: { feature: string; reason: string }[];
}

async function packageVersion(spec: string): Promise<string> {
  try {
    const require = createRequire(import.meta.url);
    const file = require.resolve(`${spec}/package.json`);
    return (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Collects the environment of this run; the processes' own details come from their "ready" messages. */
export async function collectEnvironment(parts: { sender: Detail; receiver: Detail; link: Detail; skipped?: RunEnvironment['skipped'] }): Promise<RunEnvironment> {
  const own = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return {
    glasslab: own.version,
    node: process.version,
    werift: await packageVersion('werift'),
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    sender: parts.sender,
    receiver: parts.receiver,
    link: parts.link,
    skipped: parts.skipped ?? [],
  };
}
