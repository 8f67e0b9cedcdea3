/**
 * Chooses and starts the link backend for a run: `userspace` (always available with root and
 * /dev/net/tun; the only one with a fate log and pcap), `netem` (when the kernel accepts it and
 * the scenario fits), `auto` = netem only when it is available, can express the scenario and no
 * fate log is wanted, otherwise userspace. The choice and its reason go into the run's environment.
 */
import type { LinkDirection, LinkModelParams } from '../../src/link/params.ts';
import type { LinkDirectionStats } from '../../src/link/native.ts';
import type { ResolvedLink } from '../scenario/link-resolve.ts';
import { LabTopology } from '../topology/topology.ts';
import type { LinkTopology } from '../topology/types.ts';
import { netemOptions } from './netem-args.ts';
import { probeNetem, startNetemLink } from './netem.ts';
import { startUserspaceLink } from './userspace.ts';

export interface StartedLink {
  backend: 'userspace' | 'netem';
  /** why this backend */
  reason: string;
  setParams(dir: LinkDirection, params: LinkModelParams): void | Promise<void>;
  stop(): void | Promise<void>;
  /** userspace: the scheduling its data-plane threads got (SCHED_FIFO keeps the timing under load) */
  scheduling?: DataPlaneScheduling;
}

/** What the userspace data plane's threads were given. */
export interface DataPlaneScheduling {
  /** SCHED_FIFO priority asked for; 0 = none */
  requested: number;
  /** every direction thread runs at it */
  granted: boolean;
  /** e.g. "SCHED_FIFO 50", "normal (SCHED_FIFO 50 refused by the kernel)" */
  text: string;
}

/** What the data plane's direction threads report they got (set before the link's start returns). */
function dataPlaneScheduling(requested: number, stats: { up?: LinkDirectionStats; down?: LinkDirectionStats }): DataPlaneScheduling {
  if (requested <= 0) return { requested, granted: false, text: 'normal (no SCHED_FIFO asked for)' };
  const got = [stats.up?.scheduling, stats.down?.scheduling];
  const granted = got.every((g) => g?.policy === 'fifo' && g.priority === requested);
  if (granted) return { requested, granted, text: `SCHED_FIFO ${requested}` };
  const why = got.map((g) => g?.realtimeError).find((e) => e !== undefined) ?? (got.some((g) => g === undefined) ? 'not reported' : `got ${got.map((g) => `${String(g?.policy)} ${g?.priority ?? '?'}`).join(', ')}`);
  return { requested, granted, text: `normal (SCHED_FIFO ${requested} refused: ${why})` };
}

/** Starts the scenario's link between snd and rcv. */
export async function startLinkBackend(
  topology: LabTopology | LinkTopology,
  link: ResolvedLink,
  options: { seed: number; fateLogPath?: string; pcapPath?: string; realtimePriority?: number },
): Promise<StartedLink> {
  let backend = link.backend;
  let reason = `asked for ${backend}`;
  if (backend === 'auto') {
    const probe = await probeNetem();
    const wantsLog = options.fateLogPath !== undefined || options.pcapPath !== undefined;
    let expressible = true;
    try {
      for (const p of [link.params, ...link.timeline.map((t) => t.params)]) {
        netemOptions(p.up);
        netemOptions(p.down);
      }
    } catch (error) {
      expressible = false;
      reason = `auto: userspace (${(error as Error).message})`;
    }
    if (!probe.available) reason = `auto: userspace (kernel refuses netem: ${probe.reason})`;
    else if (wantsLog) reason = 'auto: userspace (the fate log and pcap need it)';
    else if (expressible) reason = 'auto: netem (available and expresses the scenario)';
    const rooted = topology instanceof LabTopology;
    if (!rooted) reason = 'auto: userspace (rootless topology)';
    backend = rooted && probe.available && !wantsLog && expressible ? 'netem' : 'userspace';
  }
  const seed = link.seed ?? options.seed;
  if (backend === 'netem') {
    if (!(topology instanceof LabTopology)) throw new Error('the netem backend needs a rooted topology (ip netns names); rootless runs use userspace');
    const n = await startNetemLink(topology, { params: link.params });
    return { backend, reason, setParams: (...args) => n.setParams(...args), stop: () => n.stop() };
  }
  const u = startUserspaceLink(topology, {
    params: link.params,
    seed,
    ...(options.fateLogPath ? { fateLogPath: options.fateLogPath } : {}),
    ...(options.pcapPath ? { pcapPath: options.pcapPath } : {}),
    ...(options.realtimePriority ? { realtimePriority: options.realtimePriority } : {}),
  });
  const scheduling = dataPlaneScheduling(options.realtimePriority ?? 0, u.stats());
  return { backend: 'userspace', reason, scheduling, setParams: (...args) => u.setParams(...args), stop: () => u.stop() };
}
