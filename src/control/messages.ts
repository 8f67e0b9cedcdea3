import type { ReceiverRunOptions } from '../receiver/run-options.ts';
import type { SenderRunOptions } from '../sender/run-options.ts';

/**
 * Messages between the orchestrator and its child processes (sender, receiver), one JSON object
 * per line over a Unix-domain socket (the socket path crosses network namespaces).
 */

/**
 * Where a child writes its records, which address it uses, and what it does (the orchestrator
 * derives the options from the scenario: lab/run/child-options.ts; children never see it).
 */
export type ChildConfig = ChildPlace & ({ role: 'sender'; sender: SenderRunOptions } | { role: 'receiver'; receiver: ReceiverRunOptions });

interface ChildPlace {
  runDir: string;
  /** the address ICE may use in this process's namespace */
  hostAddress: string;
  stunUrl: string;
}

/** Counters a child reports while running. */
export interface ChildProgress {
  framesSent?: number;
  framesReceived?: number;
  framesDisplayed?: number;
  /** latest glass-to-glass p50 over the last second, ms */
  g2gP50Ms?: number;
}

export type OrchestratorMessage =
  | { type: 'configure'; config: ChildConfig }
  | { type: 'offer'; sdp: string }
  | { type: 'answer'; sdp: string }
  | { type: 'start' }
  | { type: 'stop' };

export type ChildMessage =
  /** `token`: the run's control token, given at spawn (env GLASSLAB_CONTROL_TOKEN); a hello without it is refused */
  | { type: 'hello'; role: 'sender' | 'receiver'; pid: number; token: string }
  | { type: 'ready'; detail: Record<string, string | number | boolean> }
  | { type: 'offer'; sdp: string }
  | { type: 'answer'; sdp: string }
  | { type: 'connected' }
  | { type: 'progress'; progress: ChildProgress }
  | { type: 'stopped'; summary: Record<string, number> }
  /** `file`: for a write failure (code WRITE_FAILED), the file that could not be written */
  | { type: 'error'; message: string; code?: string; file?: string };
