/**
 * What the receiver process is told to do, in its configure message (derived from the scenario
 * by lab/run/child-options.ts). Plain JSON.
 */
import type { RealtimeRecoveryPlan } from './protection/realtime-options.ts';

export interface ReceiverRunOptions {
  /** least interval between two PLIs, ms */
  pliIntervalMs: number;
  /** undefined: no loss recovery */
  recovery: RealtimeRecoveryPlan | undefined;
}
