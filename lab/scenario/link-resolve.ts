/**
 * Turns validated `link:` / `timeline:` fields into the model's parameters per direction
 * (src/link/params.ts), reading trace files relative to the scenario's folder. Returns errors
 * naming the field (path inside the scenario), never throws.
 */
import path from 'node:path';
import type { z } from 'zod';
import type { DuplexLinkParams, LinkModelParams } from '../../src/link/params.ts';
import { linkSchema, linkTimelineSchema, type LinkDirectionFields } from './link-schema.ts';
import { parseLossTrace, parseMahimahiTrace, readTraceFile } from './traces.ts';
import type { ScenarioFileAccess } from './scenario-files.ts';

/** A scenario's link section is invalid; `issues` are "path: message" lines. */
export class LinkScenarioError extends Error {
  readonly code = 'LINK_SCENARIO_INVALID';
  constructor(readonly issues: string[]) {
    super(`invalid link scenario:\n  ${issues.join('\n  ')}`);
    this.name = 'LinkScenarioError';
  }
}

export interface ResolvedLink {
  backend: 'userspace' | 'netem' | 'auto';
  seed?: number;
  /** userspace data-plane threads: SCHED_FIFO (realtime, when root) or the default scheduler; absent = realtime */
  scheduling?: 'realtime' | 'normal';
  params: DuplexLinkParams;
  /** full parameter sets from each change on, in time order */
  timeline: Array<{ atUs: number; params: DuplexLinkParams }>;
}

const pairs: Array<[keyof LinkDirectionFields, keyof LinkDirectionFields]> = [
  ['delay', 'queue_delay_ms'],
  ['jitter', 'delay_standard_deviation_ms'],
  ['rate', 'link_capacity_kbps'],
  ['loss', 'loss_percent'],
  ['overhead', 'packet_overhead'],
  ['keep_order', 'allow_reordering'],
];

function issuesOf(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((i) => `${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`);
}

function toParams(f: LinkDirectionFields, where: string, baseDir: string, issues: string[], access: ScenarioFileAccess | undefined): LinkModelParams {
  for (const [a, b] of pairs) if (f[a] !== undefined && f[b] !== undefined) issues.push(`${where}: both ${a} and ${b} set (same knob in netem's and libwebrtc's names)`);
  if (f.queue?.packets !== undefined && f.queue_length_packets !== undefined) issues.push(`${where}: both queue.packets and queue_length_packets set`);
  if (f.rate !== undefined && f.rate_trace !== undefined) issues.push(`${where}: both rate and rate_trace set`);
  const p: LinkModelParams = {};
  const delayUs = f.delay ?? (f.queue_delay_ms !== undefined ? f.queue_delay_ms * 1000 : undefined);
  if (delayUs !== undefined) p.delayUs = delayUs;
  if (f.jitter !== undefined) p.jitterUs = f.jitter;
  if (f.delay_standard_deviation_ms !== undefined) {
    p.jitterUs = f.delay_standard_deviation_ms * 1000;
    p.distribution = 'normal';
    p.keepOrder = !(f.allow_reordering ?? false); // libwebrtc keeps order unless allowed
  }
  if (f.delay_correlation !== undefined) p.delayCorrelation = f.delay_correlation;
  if (f.distribution !== undefined) p.distribution = f.distribution;
  if (f.keep_order !== undefined) p.keepOrder = f.keep_order;
  if (f.allow_reordering !== undefined) p.keepOrder = !f.allow_reordering;
  const l = f.loss;
  if (l?.model === 'random') p.loss = { model: 'random', p: l.p, ...(l.correlation !== undefined ? { correlation: l.correlation } : {}) };
  else if (l?.model === 'gemodel') p.loss = { model: 'gemodel', p: l.p, r: l.r ?? 1 - l.p, oneMinusH: l['1-h'] ?? 1, oneMinusK: l['1-k'] ?? 0 };
  else if (l?.model === 'state' || l?.model === '4state')
    p.loss = { model: '4state', p13: l.p13, p31: l.p31 ?? 1 - l.p13, p32: l.p32 ?? 0, p23: l.p23 ?? 1, p14: l.p14 ?? 0 };
  else if (l?.model === 'trace') {
    const file = l.file !== undefined ? path.resolve(baseDir, l.file) : undefined;
    const text = file !== undefined ? readTraceFile(file, access) : (l.pattern ?? '');
    if (typeof text !== 'string') issues.push(`${where}.loss.file: ${text.error}`);
    else {
      const pattern = parseLossTrace(text);
      if (typeof pattern === 'string') issues.push(file !== undefined ? `${where}.loss.file: ${file}: ${pattern}` : `${where}.loss.pattern: ${pattern}`);
      else p.loss = { model: 'trace', pattern };
    }
  }
  if (f.loss_percent !== undefined) {
    const lossP = f.loss_percent / 100;
    const burst = f.avg_burst_loss_length;
    if (burst === undefined || burst === -1) p.loss = { model: 'random', p: lossP };
    else if (burst < 1) issues.push(`${where}.avg_burst_loss_length: must be ≥ 1 (or -1 for random loss)`);
    else {
      const start = lossP >= 1 ? 1 : lossP / (1 - lossP) / burst;
      if (start > 1) issues.push(`${where}.avg_burst_loss_length: too short for loss_percent ${f.loss_percent} (needs ≥ ${(lossP / (1 - lossP)).toFixed(3)})`);
      p.loss = { model: 'gemodel', p: Math.min(1, start), r: 1 / burst, oneMinusH: 1, oneMinusK: 0 };
    }
  } else if (f.avg_burst_loss_length !== undefined) issues.push(`${where}.avg_burst_loss_length: needs loss_percent`);
  if (f.duplicate) p.duplicate = f.duplicate;
  if (f.corrupt) p.corrupt = f.corrupt;
  if (f.reorder) p.reorder = f.reorder;
  if (f.slot) p.slot = { minUs: f.slot.min, maxUs: f.slot.max ?? f.slot.min, ...(f.slot.packets ? { packets: f.slot.packets } : {}), ...(f.slot.bytes ? { bytes: f.slot.bytes } : {}) };
  if (f.slot && f.slot.max !== undefined && f.slot.max < f.slot.min) issues.push(`${where}.slot.max: must be ≥ slot.min`);
  if (f.rate !== undefined) p.rateBps = f.rate;
  if (f.link_capacity_kbps) p.rateBps = f.link_capacity_kbps * 1000; // 0 = unlimited in libwebrtc
  const overhead = f.overhead ?? f.packet_overhead;
  if (overhead !== undefined) p.overheadBytes = overhead;
  if (f.rate_trace !== undefined) {
    const file = path.resolve(baseDir, f.rate_trace);
    const text = readTraceFile(file, access);
    if (typeof text !== 'string') issues.push(`${where}.rate_trace: ${text.error}`);
    else {
      const trace = parseMahimahiTrace(text);
      if (typeof trace === 'string') issues.push(`${where}.rate_trace: ${file}: ${trace}`);
      else p.rateTraceMs = trace;
    }
  }
  const queue = { ...(f.queue?.packets ? { packets: f.queue.packets } : {}), ...(f.queue_length_packets ? { packets: f.queue_length_packets } : {}), ...(f.queue?.bytes ? { bytes: f.queue.bytes } : {}), ...(f.queue?.delay ? { delayUs: f.queue.delay } : {}) };
  if (Object.keys(queue).length > 0) p.queue = queue;
  if (f.mtu !== undefined) p.mtu = f.mtu;
  return p;
}

/** Applies a patch of fields; a knob given in one vocabulary replaces its twin in the other. */
function mergeFields(state: LinkDirectionFields, ...patches: LinkDirectionFields[]): LinkDirectionFields {
  const out: Record<string, unknown> = { ...state };
  for (const patch of patches) {
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      for (const [a, b] of pairs) {
        if (key === a) delete out[b];
        if (key === b) delete out[a];
      }
      if (key === 'queue_length_packets' && out.queue) out.queue = { ...out.queue, packets: undefined };
      if (key === 'rate') delete out.rate_trace;
      if (key === 'rate_trace') delete out.rate;
      out[key] = value;
    }
  }
  return out;
}

type Split = { shared: LinkDirectionFields; up: LinkDirectionFields; down: LinkDirectionFields };

function split(fields: LinkDirectionFields & { up?: LinkDirectionFields; down?: LinkDirectionFields }): Split {
  const { up, down, ...shared } = fields as LinkDirectionFields & { up?: LinkDirectionFields; down?: LinkDirectionFields; backend?: unknown; seed?: unknown; scheduling?: unknown };
  delete (shared as Record<string, unknown>).backend;
  delete (shared as Record<string, unknown>).seed;
  delete (shared as Record<string, unknown>).scheduling;
  return { shared, up: up ?? {}, down: down ?? {} };
}

/**
 * Validates and resolves `link:` (and `timeline:`); `baseDir` anchors trace file paths, and
 * `access` (when given) confines them to the scenario's allowed folders (scenario-files.ts).
 */
export function resolveLink(link: unknown, timeline: unknown, baseDir: string, where = 'link', access?: ScenarioFileAccess): { link: ResolvedLink } | { error: LinkScenarioError } {
  const parsedLink = linkSchema.safeParse(link ?? {});
  const parsedTimeline = linkTimelineSchema.safeParse(timeline ?? []);
  const issues: string[] = [];
  if (!parsedLink.success) issues.push(...issuesOf(parsedLink.error, where));
  if (!parsedTimeline.success) issues.push(...issuesOf(parsedTimeline.error, 'timeline'));
  if (!parsedLink.success || !parsedTimeline.success) return { error: new LinkScenarioError(issues) };
  const base = split(parsedLink.data);
  const state = { up: { ...base.shared, ...base.up }, down: { ...base.shared, ...base.down } };
  const params: DuplexLinkParams = { up: toParams(state.up, `${where}.up`, baseDir, issues, access), down: toParams(state.down, `${where}.down`, baseDir, issues, access) };
  const changes: ResolvedLink['timeline'] = [];
  const entries = [...parsedTimeline.data].map((e, i) => ({ ...e, i })).sort((a, b) => a.at - b.at);
  for (const entry of entries) {
    const s = split(entry.set);
    state.up = mergeFields(state.up, s.shared, s.up);
    state.down = mergeFields(state.down, s.shared, s.down);
    const at = `timeline.${entry.i}.set`;
    changes.push({ atUs: entry.at, params: { up: toParams(state.up, `${at}.up`, baseDir, issues, access), down: toParams(state.down, `${at}.down`, baseDir, issues, access) } });
  }
  if (issues.length > 0) return { error: new LinkScenarioError(issues) };
  return {
    link: {
      backend: parsedLink.data.backend ?? 'auto',
      ...(parsedLink.data.seed !== undefined ? { seed: parsedLink.data.seed } : {}),
      ...(parsedLink.data.scheduling !== undefined ? { scheduling: parsedLink.data.scheduling } : {}),
      params,
      timeline: changes,
    },
  };
}
