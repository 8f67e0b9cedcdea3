/**
 * What the receiver process is told to do, in its configure message (derived from the scenario
 * by lab/run/child-options.ts). Plain JSON.
 */
import type { RealtimeRecoveryPlan } from './protection/realtime-options.ts';

/** The SSRC the lab's receiver sends its RTCP (RR, NACK, PLI, transport-wide or RFC 8888 feedback) from. */
export const RECEIVER_RTCP_SSRC = 1;

export interface ReceiverRunOptions {
  /** least interval between two PLIs, ms */
  pliIntervalMs: number;
  /** undefined: no loss recovery */
  recovery: RealtimeRecoveryPlan | undefined;
  /** send transport-wide congestion control feedback (the sender runs congestion control); absent = no */
  transportFeedback?: boolean;
  /** send RFC 8888 congestion control feedback instead (the sender's congestion control reads it); absent = no */
  ccfb?: boolean;
  /** the sender is Chromium: recovery streams come from its offer, the answer carries what libwebrtc needs (src/transport/chromium-answer.ts) */
  senderKind?: 'chromium';
  /** write the decrypted RTP received to receiver-rtp.pcap */
  captureRtp?: boolean;
  /** forward every rebuilt access unit to these relay targets (no re-encoding); absent = none */
  relay?: { targets: Array<{ url: string; reconnect?: { delayMs: number; maxTimeMs: number }; hopLoss?: { rate: number; seed: number } }>; localAddress?: string; width: number; height: number; fps: number };
}
