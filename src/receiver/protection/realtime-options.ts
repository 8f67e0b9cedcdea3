/**
 * Receive recovery options for a real-time run: from the plan the orchestrator derives from the
 * scenario (lab/run/child-options.ts: mode, recovery streams, RTT bound) and the media stream as
 * first seen on the wire (the receiver learns the sender's SSRC and payload type from its first
 * media packet).
 */
import type { ProtectionStreams, RunProtectionMode } from '../../shared/protection-streams.ts';
import type { ReceiveRecoveryOptions } from './options.ts';
import { REALTIME_REPORT_INTERVAL_MS } from '../../sender/protection/realtime-options.ts';

/** What the receiver needs to build its recovery chain once the media stream is seen. */
export interface RealtimeRecoveryPlan {
  mode: Exclude<RunProtectionMode, 'none'>;
  /** FEC format the sender uses (when the mode has FEC) */
  fecScheme: 'flexfec' | 'ulpfec';
  streams: ProtectionStreams;
  /** NACK requests per missing packet before giving up */
  maxRetries: number;
  /** upper bound of the round-trip time, ms */
  rttBoundMs: number;
  /** how long a complete frame waits for earlier missing packets to be recovered, ms */
  assemblerMaxWaitMs: number;
  /** before the first NACK for a gap, wait for this many later packets or this long (FEC may repair it first); default: hybrid 4 packets / 10 ms, else none */
  nackReorderWait?: { packets: number; ms: number };
}

/** The chain's options for a media stream (uint32 SSRC, 7-bit payload type); `receiverSsrc` is ours. */
export function realtimeReceiveOptions(plan: RealtimeRecoveryPlan, media: { ssrc: number; payloadType: number }, receiverSsrc: number): ReceiveRecoveryOptions {
  const nack = plan.mode === 'nack' || plan.mode === 'hybrid';
  const fec = plan.mode === 'fec' || plan.mode === 'hybrid';
  return {
    mediaSsrc: media.ssrc,
    mediaPayloadType: media.payloadType,
    receiverSsrc,
    red: fec && plan.fecScheme === 'ulpfec' ? { ...plan.streams.red } : undefined,
    flexfec: fec && plan.fecScheme === 'flexfec' ? { ...plan.streams.flexfec } : undefined,
    rtx: nack ? { ...plan.streams.rtx } : undefined,
    nack: nack
      ? {
          initialRttMs: plan.rttBoundMs,
          minRetryIntervalMs: 5,
          maxRetries: plan.maxRetries,
          keyframeOnGiveUp: false,
          // hybrid: give FEC a few packets' time before asking
          reorderWaitPackets: plan.nackReorderWait?.packets ?? (plan.mode === 'hybrid' ? 4 : 0),
          reorderWaitMaxMs: plan.nackReorderWait?.ms ?? (plan.mode === 'hybrid' ? 10 : 0),
        }
      : undefined,
    fecWindowPackets: 1024,
    maxPendingFec: 256,
    usefulWithinMs: plan.assemblerMaxWaitMs,
    historyPackets: 4096,
    receiverReportIntervalMs: REALTIME_REPORT_INTERVAL_MS,
  };
}
