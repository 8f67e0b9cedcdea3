/**
 * Joins snd and rcv with a plain veth pair (the netem backend's carrier and the benchmark's
 * baseline): snd 10.250.0.1/24, rcv 10.250.0.2/24.
 */
import { run } from './ip.ts';
import { LAB_ADDRESSES, linkName } from './names.ts';
import type { LinkTopology } from './types.ts';

/** Device names of the veth ends inside snd and rcv. */
export interface VethLink {
  sndDevice: string;
  rcvDevice: string;
}

/** Creates the veth pair directly inside the two namespaces (nothing in the root namespace). */
export function connectWithVeth(topology: LinkTopology): VethLink {
  const sndDevice = linkName(topology.runId, 'vs');
  const rcvDevice = linkName(topology.runId, 'vr');
  run(topology.ipIn('snd', ['link', 'add', sndDevice, 'type', 'veth', 'peer', 'name', rcvDevice, 'netns', topology.netnsTarget('rcv')]));
  for (const [role, dev, addr] of [
    ['snd', sndDevice, LAB_ADDRESSES.snd],
    ['rcv', rcvDevice, LAB_ADDRESSES.rcv],
  ] as const) {
    run(topology.ipIn(role, ['link', 'set', 'dev', dev, 'addrgenmode', 'none']));
    run(topology.ipIn(role, ['addr', 'add', `${addr}/24`, 'dev', dev]));
    run(topology.ipIn(role, ['link', 'set', 'dev', dev, 'up']));
  }
  return { sndDevice, rcvDevice };
}
