/**
 * Send protection options for a real-time run, from the resolved scenario and the negotiated
 * media (the sans-I/O chain's numbers for `VideoSender`): FEC format and mask, the FEC
 * controller with the scenario's rate table and RTT thresholds, controller-driven or fixed rates.
 */
import type { ResolvedScenario } from '../../../lab/scenario/schema.ts';
import type { NegotiatedMedia } from '../../transport/webrtc-peer.ts';
import { protectionModeOf, protectionStreams, rttBoundMs } from '../../shared/protection-streams.ts';
import { createFecController, defaultFecRateTable, loadFecRateTableSync, type FecRateTable } from '../fec-controller/index.ts';
import type { SendProtectionOptions } from './options.ts';

/** Interval of the lab's sender and receiver reports, ms (the controller's loss and RTT arrive at this pace). */
export const REALTIME_REPORT_INTERVAL_MS = 500;

/** Tables read so far, by path: the sender reads its table once for the controller and once for the report's diff. */
const loadedTables = new Map<string, FecRateTable>();

/** The rate table a scenario names: "libwebrtc" (the shipped default) or an absolute JSON path, read once. Throws FecRateTableError. */
export function rateTableOf(rateTable: string): FecRateTable {
  if (rateTable === 'libwebrtc') return defaultFecRateTable();
  const cached = loadedTables.get(rateTable);
  if (cached) return cached;
  const result = loadFecRateTableSync(rateTable);
  if (!result.ok) throw result.error;
  loadedTables.set(rateTable, result.table);
  return result.table;
}

/**
 * How long the sender keeps answering NACKs after its last frame, ms: without it the losses of
 * the run's last round trip could never be repaired and would count as "never" recovered. Three
 * RTT bounds (first request and two retries) plus 100 ms, at most 2 s; 0 without NACK.
 */
export function nackTailMs(scenario: ResolvedScenario): number {
  const mode = protectionModeOf(scenario);
  if (mode !== 'nack' && mode !== 'hybrid') return 0;
  return Math.min(2000, 3 * rttBoundMs(scenario) + 100);
}

/** The chain's options; undefined when the scenario's protection mode is "none". */
export function realtimeSendProtectionOptions(scenario: ResolvedScenario, media: NegotiatedMedia): SendProtectionOptions | undefined {
  const mode = protectionModeOf(scenario);
  const p = scenario.protection;
  if (mode === 'none' || p === undefined) return undefined;
  const streams = protectionStreams(scenario.seed);
  const rtt = rttBoundMs(scenario);
  return {
    mode,
    fecScheme: p.fec,
    maskType: p.mask,
    mediaSsrc: media.ssrc,
    mediaPayloadType: media.payloadType,
    red: { ...streams.red },
    flexfec: { ssrc: streams.flexfec.ssrc, payloadType: streams.flexfec.payloadType, initialSequenceNumber: (scenario.seed * 31) & 0x7fff },
    rtx: { ssrc: streams.rtx.ssrc, payloadType: streams.rtx.payloadType, initialSequenceNumber: (scenario.seed * 17) & 0x7fff, history: { maxPackets: 4000, maxAgeMs: Math.max(1000, 10 * rtt) } },
    maxMediaPacketsPerBlock: 48,
    initialRttMs: rtt,
    fecController: createFecController({
      method: 'nack-fec',
      encoding: { width: scenario.width, height: scenario.height, maxPayloadBytes: scenario.transport.mtu },
      protection: { table: rateTableOf(p.rateTable), lowRttNackMs: p.lowRttNackMs, highRttNackMs: p.highRttNackMs, maskType: p.mask },
    }),
    targetBitrateBps: scenario.encoder.bitrateBps,
    frameRateFps: scenario.fps,
    // "controller": the factors follow the loss and RTT of each RR (0 until loss is reported, as in libwebrtc)
    fixedFecRate255: p.fecRates === 'controller' ? undefined : { ...p.fecRates },
    // SRs let the receiver's RRs carry the RTT (LSR/DLSR); the chain then retransmits by it
    senderReportIntervalMs: REALTIME_REPORT_INTERVAL_MS,
    rtpTimestampAtZero: 0,
  };
}
