import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostEnvironment } from '../results/environment.ts';
import type { Environment } from '../results/schema.ts';
import { fromRepositoryRoot } from '../../src/shared/repository-root.ts';
import { childCode } from './child-entry.ts';

/** What a child process reports about itself in its "ready" message. */
type Detail = Record<string, string | number | boolean>;

async function packageVersion(name: string): Promise<string> {
  const require = createRequire(import.meta.url);
  let dir = '';
  try {
    // werift's exports do not include package.json: find it from the resolved entry.
    dir = require.resolve(name);
  } catch {
    return 'unknown';
  }
  for (let at = dir.lastIndexOf(`/node_modules/${name}/`); at >= 0; ) {
    const file = `${dir.slice(0, at)}/node_modules/${name}/package.json`;
    try {
      return (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version;
    } catch {
      break;
    }
  }
  return 'unknown';
}

/**
 * env.json of a run: this host's facts, the versions in play, and what each process chose
 * (Vulkan device and why, capture path, encoder implementation, link backend), plus every
 * feature that was skipped and why.
 */
export async function collectEnvironment(parts: {
  sender: Detail;
  receiver: Detail;
  link: Detail;
  skipped?: Environment['skipped'];
}): Promise<Environment> {
  const own = JSON.parse(await readFile(fromRepositoryRoot('package.json'), 'utf8')) as { version: string };
  const host = hostEnvironment();
  const text = (value: string | number | boolean | undefined): string => (value === undefined ? 'unknown' : String(value));
  return {
    ...host,
    versions: { glasslab: own.version, node: process.version, werift: await packageVersion('werift') },
    devices: [`${text(parts.sender.vulkanDevice)} (${text(parts.sender.vulkanDriver)}; ${text(parts.sender.deviceChoice)})`],
    // with the options it was opened with (src/sender/encoder-options.ts), when the sender says them
    encoders: [`${text(parts.sender.encoder)}: ${text(parts.sender.encoderImplementation)}${parts.sender.encoderOptions !== undefined ? `; ${text(parts.sender.encoderOptions)}` : ''}`],
    backends: {
      capture: text(parts.sender.capturePath),
      decoder: text(parts.receiver.decoder),
      markerReader: text(parts.receiver.markerReader),
      transport: 'werift (DTLS-SRTP, raw RTP at the DTLS transport)',
      // what the sender and receiver ran (lab/run/child-entry.ts)
      code: childCode() === 'compiled' ? 'compiled JavaScript (dist/)' : 'TypeScript sources through tsx',
      ...Object.fromEntries(Object.entries(parts.link).map(([key, value]) => [`link.${key}`, String(value)])),
    },
    skipped: [...captureRefusals(parts.sender), ...(parts.skipped ?? [])],
  };
}

/**
 * The capture paths the sender passed over (capture.fallback), from its ready detail's
 * `captureRefused` (JSON [{path, reason}]), as skipped entries naming the path it ran instead.
 */
export function captureRefusals(sender: Detail): Environment['skipped'] {
  const text = sender.captureRefused;
  if (typeof text !== 'string') return [];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [{ what: 'capture path', why: `the sender's captureRefused is not JSON: ${text.slice(0, 200)}` }];
  }
  if (!Array.isArray(list)) return [];
  const ran = typeof sender.capturePath === 'string' ? sender.capturePath : 'unknown';
  return list.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { path: refusedPath, reason } = item as { path?: unknown; reason?: unknown };
    if (typeof refusedPath !== 'string' || typeof reason !== 'string') return [];
    return [{ what: `capture path ${refusedPath}`, why: `${reason}; ran ${ran} instead (capture.fallback)` }];
  });
}
