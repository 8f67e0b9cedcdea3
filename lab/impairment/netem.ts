/**
 * The `netem` link backend: a veth pair between snd and rcv with a netem qdisc on each end's
 * egress (snd end = up, rcv end = down), driven through execa. Where the kernel lacks sch_netem
 * (this machine) the probe says so and the userspace backend is used instead.
 */
import { execa } from 'execa';
import type { DuplexLinkParams, LinkDirection, LinkModelParams } from '../../src/link/params.ts';
import { connectWithVeth } from '../topology/veth.ts';
import type { LabTopology } from '../topology/topology.ts';
import { NetemUnsupportedError, netemCommand, netemNeedsReplace } from './netem-args.ts';

export interface NetemProbe {
  available: boolean;
  /** why not, in tc's words */
  reason?: string;
}

let probed: Promise<NetemProbe> | undefined;

/** Asks the kernel, in a throwaway network namespace (`unshare -n`), whether it accepts netem. */
export function probeNetem(): Promise<NetemProbe> {
  probed ??= (async () => {
    const r = await execa('unshare', ['-n', 'sh', '-c', 'ip link set lo up && tc qdisc add dev lo root netem delay 1ms'], { reject: false });
    if (r.exitCode === 0) return { available: true };
    return { available: false, reason: (r.stderr || r.stdout || `exit ${r.exitCode}`).trim() };
  })();
  return probed;
}

export interface NetemLink {
  setParams(dir: LinkDirection, params: LinkModelParams): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the netem backend; refuses fields netem cannot express (and the fate log). */
export async function startNetemLink(topology: LabTopology, options: { params: DuplexLinkParams; fateLogPath?: string }): Promise<NetemLink> {
  if (options.fateLogPath) throw new NetemUnsupportedError('fateLog', 'the kernel qdisc keeps no per-packet fate log');
  const probe = await probeNetem();
  if (!probe.available) throw new Error(`netem is not available in this kernel: ${probe.reason}`);
  const veth = connectWithVeth(topology);
  const ends: Record<LinkDirection, [string, string]> = {
    up: [veth.sndDevice, topology.namespace('snd')],
    down: [veth.rcvDevice, topology.namespace('rcv')],
  };
  const current: Record<LinkDirection, LinkModelParams> = { up: options.params.up, down: options.params.down };
  for (const dir of ['up', 'down'] as const) {
    const [dev, ns] = ends[dir];
    await execa('tc', netemCommand('add', dev, options.params[dir], ns));
  }
  return {
    setParams: async (dir, params) => {
      const [dev, ns] = ends[dir];
      if (netemNeedsReplace(current[dir], params)) {
        // the only way back to table-less jitter; packets held by the old qdisc are dropped
        await execa('tc', netemCommand('del', dev, undefined, ns));
        await execa('tc', netemCommand('add', dev, params, ns));
      } else {
        await execa('tc', netemCommand('change', dev, params, ns));
      }
      current[dir] = params;
    },
    stop: async () => {
      for (const dir of ['up', 'down'] as const) {
        const [dev, ns] = ends[dir];
        await execa('tc', netemCommand('del', dev, undefined, ns), { reject: false });
      }
    },
  };
}
