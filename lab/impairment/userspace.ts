/**
 * The `userspace` link backend: a TUN device in each endpoint namespace, joined by the native
 * data plane (one timed queue and thread per direction, the LinkModel deciding each packet's fate).
 * Writes the fate log (NDJSON) and link.pcap when paths are given.
 */
import { loadLinkNative, type LinkDirectionStats, type NativeLinkDataPlane } from '../../src/link/native.ts';
import type { DuplexLinkParams, LinkDirection, LinkModelParams } from '../../src/link/params.ts';
import { run } from '../topology/ip.ts';
import { LAB_ADDRESSES, linkName, type NamespaceRole } from '../topology/names.ts';
import type { LinkTopology } from '../topology/types.ts';

export interface UserspaceLinkOptions {
  params: DuplexLinkParams;
  /** seed of the up direction; down uses seed + 1 */
  seed: number;
  fateLogPath?: string;
  pcapPath?: string;
  /** MTU of the TUN devices, bytes; default 1500 */
  deviceMtu?: number;
  spinUs?: number;
  /** SCHED_FIFO priority of the data-plane threads (1..99); 0 = normal scheduling */
  realtimePriority?: number;
  /** CPU the data-plane threads are pinned to (see NativeLinkDataPlaneCtor); default 'none' */
  cpu?: number | 'auto' | 'none';
  /**
   * which namespaces it joins ('up' goes from `near` to `far`); default the run's own link,
   * snd → rcv on TUN devices s/r
   */
  between?: { near: LinkEnd; far: LinkEnd };
}

/** One end of a userspace link: its namespace, TUN device name and address (a /32 with the other end as peer). */
export interface LinkEnd {
  role: NamespaceRole;
  tun: string;
  address: string;
}

export interface UserspaceLink {
  /** Applies new parameters to a direction between two packets. */
  setParams(dir: LinkDirection, params: LinkModelParams): void;
  stats(): { up?: LinkDirectionStats; down?: LinkDirectionStats };
  /** Stops the threads (within a millisecond, whatever the link holds), flushes the logs, releases the TUN devices (gone 10-100 ms later); idempotent. */
  stop(): void;
}

/** Starts the userspace link between the topology's snd and rcv namespaces (or the two ends given). */
export function startUserspaceLink(topology: LinkTopology, options: UserspaceLinkOptions): UserspaceLink {
  const { LinkDataPlane } = loadLinkNative();
  const near = options.between?.near ?? { role: 'snd', tun: linkName(topology.runId, 's'), address: LAB_ADDRESSES.snd };
  const far = options.between?.far ?? { role: 'rcv', tun: linkName(topology.runId, 'r'), address: LAB_ADDRESSES.rcv };
  const tunSnd = near.tun;
  const tunRcv = far.tun;
  const planeOptions = {
    tunNames: [tunSnd, tunRcv] as [string, string],
    seeds: [options.seed, options.seed + 1] as [number, number],
    up: options.params.up,
    down: options.params.down,
    spinUs: options.spinUs ?? 50,
    realtimePriority: options.realtimePriority ?? 0,
    cpu: options.cpu ?? 'none',
    ...(options.fateLogPath ? { fateLogPath: options.fateLogPath } : {}),
    ...(options.pcapPath ? { pcapPath: options.pcapPath } : {}),
  };
  let plane: NativeLinkDataPlane | undefined = new LinkDataPlane(planeOptions);
  const stop = () => {
    plane?.stop();
    plane = undefined;
  };
  topology.onTeardown(stop);
  try {
    const mtu = String(options.deviceMtu ?? 1500);
    const ends = [
      [tunSnd, near.role, near.address, far.address],
      [tunRcv, far.role, far.address, near.address],
    ] as const;
    for (const [dev, role, local, peer] of ends) {
      // the fd stays valid when the device moves to another namespace
      run(['ip', 'link', 'set', 'dev', dev, 'netns', topology.netnsTarget(role)]);
      run(topology.ipIn(role, ['link', 'set', 'dev', dev, 'addrgenmode', 'none', 'mtu', mtu]));
      run(topology.ipIn(role, ['addr', 'add', `${local}/32`, 'peer', `${peer}/32`, 'dev', dev]));
      run(topology.ipIn(role, ['link', 'set', 'dev', dev, 'up']));
    }
    plane.start();
  } catch (error) {
    stop();
    throw error;
  }
  return {
    setParams: (dir, params) => plane?.setParams(dir, params),
    stats: () => plane?.stats() ?? {},
    stop,
  };
}
