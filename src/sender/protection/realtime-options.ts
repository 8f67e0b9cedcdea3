/**
 * Send protection options for a real-time run, from the resolved scenario and the negotiated
 * media (the sans-I/O chain's numbers for `VideoSender`).
 */
import type { ResolvedScenario } from '../../../lab/scenario/schema.ts';
import type { NegotiatedMedia } from '../../transport/webrtc-peer.ts';
import { protectionModeOf, protectionStreams, rttBoundMs } from '../../shared/protection-streams.ts';
import { createFecController } from '../fec-controller/index.ts';
import type { SendProtectionOptions } from './options.ts';

/** Fixed FEC protection factors used while no receiver report feeds the controller, 1/255. */
export const REALTIME_FEC_RATE_255 = { key: 80, delta: 50 } as const;

/** Interval of the lab's sender and receiver reports, ms. */
export const REALTIME_REPORT_INTERVAL_MS = 500;

/** The chain's options; undefined when the scenario's protection mode is "none". */
export function realtimeSendProtectionOptions(scenario: ResolvedScenario, media: NegotiatedMedia): SendProtectionOptions | undefined {
  const mode = protectionModeOf(scenario);
  if (mode === 'none') return undefined;
  const streams = protectionStreams(scenario.seed);
  const rtt = rttBoundMs(scenario);
  return {
    mode,
    fecScheme: 'flexfec',
    maskType: 'random',
    mediaSsrc: media.ssrc,
    mediaPayloadType: media.payloadType,
    // RED is not used (FlexFEC only); its payload types only have to be valid numbers.
    red: { payloadType: 120, ulpfecPayloadType: 121 },
    flexfec: { ssrc: streams.flexfec.ssrc, payloadType: streams.flexfec.payloadType, initialSequenceNumber: (scenario.seed * 31) & 0x7fff },
    rtx: { ssrc: streams.rtx.ssrc, payloadType: streams.rtx.payloadType, initialSequenceNumber: (scenario.seed * 17) & 0x7fff, history: { maxPackets: 4000, maxAgeMs: Math.max(1000, 10 * rtt) } },
    maxMediaPacketsPerBlock: 48,
    initialRttMs: rtt,
    fecController: createFecController({ method: 'nack-fec', encoding: { width: scenario.width, height: scenario.height } }),
    targetBitrateBps: scenario.encoder.bitrateBps,
    frameRateFps: scenario.fps,
    fixedFecRate255: { ...REALTIME_FEC_RATE_255 },
    // SRs let the receiver's RRs carry the RTT (LSR/DLSR); the chain then retransmits by it
    senderReportIntervalMs: REALTIME_REPORT_INTERVAL_MS,
    rtpTimestampAtZero: 0,
  };
}
