/**
 * The environment summary of results.json: what the run recorded in environment.json (versions,
 * devices, encoders, backends, what was skipped and why), completed with facts about this host
 * where the run folder has none. Lenient: unknown fields are ignored, scalar values stringified.
 */
import os from 'node:os';
import type { Environment } from './schema.ts';

type Obj = Record<string, unknown>;

const asObject = (value: unknown): Obj => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});
const asString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(asObject(value))) {
    const text = asString(item);
    if (text !== undefined) out[key] = text;
  }
  return out;
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const text = asString(item);
    if (text !== undefined) return [text];
    const obj = asObject(item);
    const name = asString(obj.name) ?? asString(obj.id);
    return name === undefined ? [] : [name];
  });
}

function skippedList(value: unknown): Environment['skipped'] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item) => {
    const obj = asObject(item);
    const what = asString(obj.what) ?? asString(obj.name);
    const why = asString(obj.why) ?? asString(obj.reason);
    return what === undefined ? [] : [{ what, why: why ?? 'no reason recorded' }];
  });
}

/** Facts about the machine this code runs on. */
export function hostEnvironment(): Environment {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    kernel: os.release(),
    hostname: os.hostname(),
    ...(cpus.length > 0 ? { cpus: `${cpus.length} × ${cpus[0]!.model.trim()}` } : {}),
    versions: {},
    devices: [],
    encoders: [],
    backends: {},
    skipped: [],
  };
}

/**
 * Builds the environment summary from a run's environment.json (parsed, any shape) or, when the
 * folder has none, from this host, saying so under `skipped`.
 */
export function environmentSummary(recorded: unknown, host: Environment = hostEnvironment()): Environment {
  if (recorded === undefined) {
    return { ...host, skipped: [{ what: 'env.json', why: 'not in the run folder: host facts are those of the machine that built the report' }] };
  }
  const env = asObject(recorded);
  const kernel = asString(env.kernel) ?? host.kernel;
  const hostname = asString(env.hostname) ?? host.hostname;
  const cpus = asString(env.cpus) ?? host.cpus;
  return {
    node: asString(env.node) ?? host.node,
    platform: asString(env.platform) ?? host.platform,
    arch: asString(env.arch) ?? host.arch,
    ...(kernel !== undefined ? { kernel } : {}),
    ...(hostname !== undefined ? { hostname } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    versions: stringMap(env.versions),
    devices: stringList(env.devices),
    encoders: stringList(env.encoders),
    backends: stringMap(env.backends),
    skipped: skippedList(env.skipped),
  };
}
