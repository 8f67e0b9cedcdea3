/**
 * One link backend between fresh snd/rcv namespaces (the lab's own LabTopology), measured with
 * the lab's own UDP probe: what the netem backend tests and `glasslab doctor --link-selftest`
 * drive. `netem` = veth + a netem qdisc per direction; `userspace` = TUN devices + the native
 * data plane. Both give snd 10.250.0.1 and rcv 10.250.0.2.
 */
import { loadLinkNative, type UdpProbeOptions, type UdpProbeResult } from '../../src/link/native.ts';
import type { DuplexLinkParams, LinkDirection, LinkModelParams } from '../../src/link/params.ts';
import { startNetemLink } from '../impairment/netem.ts';
import { startUserspaceLink } from '../impairment/userspace.ts';
import { listLinks, listNamespaces, run } from '../topology/ip.ts';
import { LAB_ADDRESSES } from '../topology/names.ts';
import { LabTopology } from '../topology/topology.ts';

export type LinkBackendName = 'netem' | 'userspace';

export interface LinkUnderTest {
  backend: LinkBackendName;
  topology: LabTopology;
  setParams(dir: LinkDirection, params: LinkModelParams): Promise<void>;
  /** probe across the link: up = snd → rcv (default), down = rcv → snd */
  probe(options: Omit<UdpProbeOptions, 'senderNetns' | 'receiverNetns' | 'dst'>, dir?: LinkDirection): Promise<UdpProbeResult>;
  /** qdiscs of the namespaces' devices, `tc qdisc show` lines */
  qdiscs(): string[];
  /** stops the link only (netem: deletes the qdiscs; userspace: stops the data plane), idempotent */
  stop(): Promise<void>;
  /** stops the link, then removes the namespaces (idempotent) */
  close(): Promise<void>;
}

/** Starts `backend` with `params` on a new topology; tears it down again if starting fails. */
export async function startLinkUnderTest(backend: LinkBackendName, params: DuplexLinkParams, seed = 1): Promise<LinkUnderTest> {
  const topology = LabTopology.create({ handleSignals: true });
  let stopLink: () => void | Promise<void> = () => {};
  let setParams: (dir: LinkDirection, p: LinkModelParams) => void | Promise<void>;
  try {
    if (backend === 'netem') {
      const link = await startNetemLink(topology, { params });
      stopLink = () => link.stop();
      setParams = (dir, p) => link.setParams(dir, p);
    } else {
      const link = startUserspaceLink(topology, { params, seed });
      stopLink = () => link.stop();
      setParams = (dir, p) => link.setParams(dir, p);
    }
  } catch (error) {
    topology.teardown();
    throw error;
  }
  let closed = false;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopLink();
  };
  return {
    backend,
    topology,
    setParams: async (dir, p) => {
      await setParams(dir, p);
    },
    probe: (options, dir = 'up') => {
      const [from, to] = dir === 'up' ? (['snd', 'rcv'] as const) : (['rcv', 'snd'] as const);
      return loadLinkNative().udpProbe({ senderNetns: topology.netnsPath(from), receiverNetns: topology.netnsPath(to), dst: LAB_ADDRESSES[to], ...options });
    },
    qdiscs: () =>
      (['snd', 'rcv'] as const).flatMap((role) =>
        run(['tc', '-n', topology.namespace(role), 'qdisc', 'show']).split('\n').filter((l) => l.trim() !== ''),
      ),
    stop,
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await stop();
      } finally {
        topology.teardown();
      }
    },
  };
}

/** What of a run id is still on the machine: its namespaces and root-namespace links. */
export function leftoversOf(runId: string): { namespaces: string[]; links: string[] } {
  return {
    namespaces: listNamespaces().filter((ns) => ns.includes(runId)),
    links: listLinks().filter((l) => l.includes(runId)),
  };
}
