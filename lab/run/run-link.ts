/**
 * The network of a run whose scenario has a link: a fresh topology (namespaces gl-<id>-snd/rcv),
 * the chosen link backend between them (userspace: fate log link.ndjson and link.pcap in the run
 * folder; netem where the kernel has it), one STUN server per namespace on that namespace's
 * address, and the argv prefix that runs a child inside its namespace. `stop()` undoes it all
 * (also on process exit); `glasslab doctor --cleanup` finds what a killed run left.
 */
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { LinkDirection } from '../../src/link/params.ts';
import { startLinkBackend, type StartedLink } from '../impairment/backend.ts';
import { probeNetem } from '../impairment/netem.ts';
import { runLinkTimeline, type TimelineHandle } from '../impairment/timeline.ts';
import type { ResolvedScenarioLink } from '../scenario/schema.ts';
import { LabTopology } from '../topology/topology.ts';
import { LAB_ADDRESSES, linkName } from '../topology/names.ts';
import { startUserspaceLink } from '../impairment/userspace.ts';
import type { DuplexLinkParams } from '../../src/link/params.ts';
import type { LinkDirectionStats } from '../../src/link/native.ts';
import type { ChildRole } from './children.ts';
import { childEntry } from './child-entry.ts';

const STUN_ENTRY = childEntry('src/transport/stun-main.ts');
const STUN_START_TIMEOUT_MS = 15_000;
/**
 * SCHED_FIFO priority of the userspace link's data-plane threads in a run: under the run's own
 * load (render, encoder, two Node processes on few cores) normal scheduling released packets
 * milliseconds late. The threads sleep until just before each release, so they take little CPU.
 */
export const LINK_REALTIME_PRIORITY = 50;

/** Link backend a run may be told to use (overrides the scenario's `link.backend`). */
export type LinkBackendChoice = 'userspace' | 'netem' | 'auto';

/** Files the userspace link writes into the run folder (relay*: the relay's target hop). */
export const LINK_FILES = { fates: 'link.ndjson', pcap: 'link.pcap', relayFates: 'relay-link.ndjson', relayPcap: 'relay-link.pcap' } as const;

/** The relay's target hop: the targets' endpoints in their own namespace (tgt) behind a userspace link from the receiver's. */
export interface RelayHop {
  /** the endpoints' address (what the forwarder's target URLs name) */
  endpointAddress: string;
  /** the forwarder's address on the hop (its WHIP targets' ICE address) */
  forwarderAddress: string;
  /** argv prefix that runs an endpoint in the tgt namespace */
  wrapper: string[];
  /** packets offered, delivered and dropped per direction so far */
  stats(): { up?: LinkDirectionStats; down?: LinkDirectionStats };
}

/** The live network of a run. */
export interface RunLink {
  runId: string;
  backend: StartedLink['backend'];
  /** why this backend */
  reason: string;
  /** userspace backend: the data plane threads' scheduling (e.g. "SCHED_FIFO 50") */
  scheduling?: string;
  /** features not available in this run, and why */
  skipped: Array<{ what: string; why: string }>;
  /** address of a child's namespace (its ICE host address) */
  hostAddress(role: ChildRole): string;
  /** the STUN server reachable in a child's namespace */
  stunUrl(role: ChildRole): string;
  /** argv prefix that runs a command in a child's namespace */
  wrapper(role: ChildRole): string[];
  /** present when the scenario gave the relay's target hop a link (relay.link) */
  relayHop?: RelayHop;
  /** Applies the timeline from `startMs` (CLOCK_MONOTONIC ms); `onApplied` gets each change's real time. */
  startTimeline(startMs: number, onApplied: (index: number, atMs: number, appliedMs: number) => void): TimelineHandle;
  /** Stops the link (flushing its logs), the STUN servers and removes the namespaces; idempotent. */
  stop(): void;
}

const NAMESPACE_OF: Record<ChildRole, 'snd' | 'rcv'> = { sender: 'snd', receiver: 'rcv' };

async function startStun(topology: LabTopology, role: 'snd' | 'rcv'): Promise<{ url: string; process: ResultPromise }> {
  const child = execa('ip', ['netns', 'exec', topology.namespace(role), process.execPath, ...STUN_ENTRY.execArgv, STUN_ENTRY.entry, LAB_ADDRESSES[role], '--run', topology.runId], {
    stdin: 'ignore',
    reject: false,
    cleanup: true,
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`STUN server in ${topology.namespace(role)} did not start within ${STUN_START_TIMEOUT_MS} ms`)), STUN_START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n')[0]!;
      if (text.includes('\n') && line.startsWith('stun:')) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    void child.then((r) => {
      clearTimeout(timer);
      reject(new Error(`STUN server in ${topology.namespace(role)} exited (code ${r.exitCode ?? '-'}): ${String(r.stderr).slice(0, 500)}`));
    });
  });
  return { url, process: child };
}

/** Sets up the run's network; on failure removes what it made and rethrows. */
export async function startRunLink(link: ResolvedScenarioLink, options: { runDir: string; seed: number; backend?: LinkBackendChoice; relayLink?: DuplexLinkParams }): Promise<RunLink> {
  const topology = LabTopology.create({ handleSignals: false, withTargets: options.relayLink !== undefined });
  const onExit = (): void => topology.teardown();
  process.once('exit', onExit);
  const stuns: Array<{ process: ResultPromise }> = [];
  topology.onTeardown(() => {
    for (const s of stuns) s.process.kill('SIGKILL');
  });
  try {
    const backendChoice = options.backend ?? link.backend;
    const skipped: RunLink['skipped'] = [];
    const probe = await probeNetem();
    if (!probe.available) skipped.push({ what: 'link backend netem', why: `the kernel refuses netem: ${probe.reason ?? 'unknown'}` });
    // netem keeps no fate log: ask for the logs only when the userspace backend can run
    const wantsLogs = backendChoice !== 'netem';
    const started = await startLinkBackend(topology, { ...link, backend: backendChoice }, {
      seed: options.seed,
      // the scenario may ask for the default scheduler (e.g. to measure what SCHED_FIFO buys)
      realtimePriority: link.scheduling === 'normal' ? 0 : LINK_REALTIME_PRIORITY,
      ...(wantsLogs ? { fateLogPath: path.join(options.runDir, LINK_FILES.fates), pcapPath: path.join(options.runDir, LINK_FILES.pcap) } : {}),
    });
    topology.onTeardown(() => void started.stop());
    // ICE and DTLS connect over an unimpaired link: werift's DTLS handshake can stall for good
    // when a flight is lost (seen at 5 % loss under load). The scenario's link applies from media
    // start, the timeline's time zero (startTimeline below).
    await Promise.all([started.setParams('up', {}), started.setParams('down', {})]);
    if (started.backend === 'netem') skipped.push({ what: 'link fate log and pcap', why: 'the netem backend keeps no per-packet record' });
    if (started.scheduling && !started.scheduling.granted) skipped.push({ what: 'real-time scheduling of the link data plane', why: `${started.scheduling.text}: its releases may run late under load (see the report's link timing)` });
    // the relay's target hop: the forwarding receiver (rcv, the same address on its own device) to
    // the endpoints (tgt), seeded apart from the first hop; unimpaired until media start, as above
    const relayLink = options.relayLink;
    const relayPlane = relayLink
      ? startUserspaceLink(topology, {
          params: { up: {}, down: {} },
          seed: options.seed + 2,
          realtimePriority: link.scheduling === 'normal' ? 0 : LINK_REALTIME_PRIORITY,
          fateLogPath: path.join(options.runDir, LINK_FILES.relayFates),
          pcapPath: path.join(options.runDir, LINK_FILES.relayPcap),
          between: {
            near: { role: 'rcv', tun: linkName(topology.runId, 'ts'), address: LAB_ADDRESSES.rcv },
            far: { role: 'tgt', tun: linkName(topology.runId, 'tt'), address: LAB_ADDRESSES.tgt },
          },
        })
      : undefined;
    const [snd, rcv] = await Promise.all([startStun(topology, 'snd'), startStun(topology, 'rcv')]);
    stuns.push(snd, rcv);
    const urls: Record<'snd' | 'rcv', string> = { snd: snd.url, rcv: rcv.url };
    return {
      runId: topology.runId,
      backend: started.backend,
      reason: started.reason,
      ...(started.scheduling ? { scheduling: started.scheduling.text } : {}),
      skipped,
      hostAddress: (role) => LAB_ADDRESSES[NAMESPACE_OF[role]],
      stunUrl: (role) => urls[NAMESPACE_OF[role]],
      wrapper: (role) => ['ip', 'netns', 'exec', topology.namespace(NAMESPACE_OF[role])],
      ...(relayPlane
        ? {
            relayHop: {
              endpointAddress: LAB_ADDRESSES.tgt,
              forwarderAddress: LAB_ADDRESSES.rcv,
              wrapper: ['ip', 'netns', 'exec', topology.namespace('tgt')],
              stats: () => relayPlane.stats(),
            },
          }
        : {}),
      startTimeline: (startMs, onApplied) => {
        // the target hop's link has no timeline: its parameters apply from media start
        if (relayPlane && relayLink) {
          relayPlane.setParams('up', relayLink.up);
          relayPlane.setParams('down', relayLink.down);
        }
        return runLinkTimeline(
          { setParams: (dir: LinkDirection, params) => started.setParams(dir, params) },
          // entry 0: the scenario's own link, at media start; then the scenario's timeline
          [{ atUs: 0, params: link.params }, ...link.timeline],
          startMs,
          (index, appliedMs) => {
            if (index > 0) onApplied(index - 1, startMs + link.timeline[index - 1]!.atUs / 1000, appliedMs);
          },
        );
      },
      stop: () => {
        process.off('exit', onExit);
        topology.teardown();
      },
    };
  } catch (error) {
    process.off('exit', onExit);
    topology.teardown();
    throw error;
  }
}
