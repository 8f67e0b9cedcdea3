/**
 * Names and addresses of a lab topology. Everything a run creates carries its run id behind a
 * fixed prefix, so that cleanup can find leftovers by name and touch nothing else:
 *   namespaces  gl-<runid>-snd | gl-<runid>-rcv | gl-<runid>-fwd | gl-<runid>-tgt   (runid: 6 lowercase hex)
 *   links       gl<runid><role>  (≤ 15 characters: tun s/r, veth vs/vr, relay target hop tun ts/tt)
 * Addresses (private range 10.250.0.0/16, configured only inside the run's namespaces):
 *   link between snd and rcv: snd 10.250.0.1, rcv 10.250.0.2 (fwd, later: 10.250.0.3);
 *   the relay's target hop (relay.link) between rcv (the forwarding receiver, 10.250.0.2 on its
 *   own device) and tgt (the targets' endpoints): tgt 10.250.0.4.
 */
import { randomBytes } from 'node:crypto';

/** Fixed prefix of every namespace the lab creates. */
export const LAB_PREFIX = 'gl-';

export type NamespaceRole = 'snd' | 'rcv' | 'fwd' | 'tgt';

/** Namespace names of the lab: prefix, run id, role. */
export const LAB_NAMESPACE_PATTERN = /^gl-([0-9a-f]{6})-(snd|rcv|fwd|tgt)$/;
/** Link names of the lab in any namespace. */
export const LAB_LINK_PATTERN = /^gl([0-9a-f]{6})(s|r|vs|vr|fs|fr|ts|tt)$/;

/** Addresses inside the namespaces. */
export const LAB_ADDRESSES = { snd: '10.250.0.1', rcv: '10.250.0.2', fwd: '10.250.0.3', tgt: '10.250.0.4' } as const;

/** A fresh 6-hex-digit run id. */
export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

/** Namespace name for a run and role. */
export function namespaceName(runId: string, role: NamespaceRole): string {
  return `${LAB_PREFIX}${runId}-${role}`;
}

/** Link name for a run and link role ("s", "r", "vs", "vr"; "ts", "tt" for the relay's target hop). */
export function linkName(runId: string, role: 's' | 'r' | 'vs' | 'vr' | 'fs' | 'fr' | 'ts' | 'tt'): string {
  return `gl${runId}${role}`;
}

/** /run/netns path of a named namespace (what setns() opens). */
export function netnsPath(name: string): string {
  return `/run/netns/${name}`;
}

/** Where live runs record their owner, so cleanup leaves them alone. */
export function stateDir(): string {
  return process.env.GLASSLAB_STATE_DIR ?? '/run/glasslab';
}
