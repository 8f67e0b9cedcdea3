/**
 * What the link backends need from a topology, rooted (`ip netns` names, LabTopology) or
 * rootless (namespaces held by fd inside a user namespace, RootlessTopology).
 */
import type { NamespaceRole } from './names.ts';

export interface LinkTopology {
  readonly runId: string;
  /** display name of a role's namespace */
  namespace(role: NamespaceRole): string;
  /** path that setns()/nsenter open for a role's namespace */
  netnsPath(role: NamespaceRole): string;
  /** what `ip link set dev X netns <target>` takes for a role */
  netnsTarget(role: NamespaceRole): string;
  /** argv that runs `ip <args>` inside a role's namespace */
  ipIn(role: NamespaceRole, args: string[]): string[];
  /** registers an undo step run (in reverse order) before the namespaces go */
  onTeardown(step: () => void): void;
  /** removes everything the run created; idempotent */
  teardown(): void;
}
