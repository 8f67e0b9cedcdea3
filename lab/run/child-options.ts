/**
 * The scenario → child mapping: what the sender and the receiver are told to do, in their
 * configure messages. Everything scenario-shaped happens here (SSRCs and payload types of the
 * recovery streams from the seed, RTT bounds from the link, the rate table file read once), so
 * src/ never sees a scenario and reads none of the files it names.
 */
import { protectionStreams, type RunProtectionMode } from '../../src/shared/protection-streams.ts';
import type { EncoderOptions } from '../../src/native/types.ts';
import { defaultFecRateTable, loadFecRateTableSync, type FecRateTable } from '../../src/sender/fec-controller/index.ts';
import { rateTableData, REALTIME_REPORT_INTERVAL_MS, type SendProtectionPlan } from '../../src/sender/protection/realtime-options.ts';
import type { RealtimeRecoveryPlan } from '../../src/receiver/protection/realtime-options.ts';
import type { SenderRunOptions } from '../../src/sender/run-options.ts';
import { RECEIVER_RTCP_SSRC, type ReceiverRunOptions } from '../../src/receiver/run-options.ts';
import type { ResolvedScenario } from '../scenario/schema.ts';

/** The scenario's protection mode ("none" for runs recorded before the field existed). */
export function protectionModeOf(scenario: Pick<ResolvedScenario, 'protection'>): RunProtectionMode {
  return scenario.protection?.mode ?? 'none';
}

/**
 * An upper bound of the run's round-trip time, ms: both directions' configured delay plus two
 * jitter deviations each, and 10 ms for the hosts (loopback alone: 10 ms).
 */
export function rttBoundMs(scenario: Pick<ResolvedScenario, 'link'>): number {
  if (scenario.link === 'none') return 10;
  let us = 0;
  for (const d of [scenario.link.params.up, scenario.link.params.down]) us += (d.delayUs ?? 0) + 2 * (d.jitterUs ?? 0);
  return us / 1000 + 10;
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

/** The rate table a scenario names: "libwebrtc" (the shipped default) or an absolute JSON path. Throws FecRateTableError. */
export function rateTableOf(rateTable: string): FecRateTable {
  if (rateTable === 'libwebrtc') return defaultFecRateTable();
  const result = loadFecRateTableSync(rateTable);
  if (!result.ok) throw result.error;
  return result.table;
}

/**
 * The native encoder's options: every option the addon's Encoder accepts (native/src/enc_input.cc
 * ParseConfig) that a scenario can set, passed through as the scenario says (its schema has
 * already checked each range).
 */
export function encoderOptionsOf(scenario: ResolvedScenario): EncoderOptions {
  const { encoder } = scenario;
  return {
    codec: encoder.codec,
    width: scenario.width,
    height: scenario.height,
    fps: scenario.fps,
    bitrateBps: encoder.bitrateBps,
    gop: encoder.gop,
    vbvFrames: encoder.vbvFrames,
    threads: encoder.threads,
    ...(encoder.qpMax !== undefined ? { qpMax: encoder.qpMax } : {}),
    // the capture path's frames go in as they come: NV12 (gpu-convert) needs no conversion for x264 or NVENC
    ...(scenario.capture.format === 'nv12' ? { inputFormat: 'nv12' as const } : {}),
  };
}

/** The send chain's plan; undefined when the scenario's protection mode is "none". */
export function sendProtectionPlan(scenario: ResolvedScenario): SendProtectionPlan | undefined {
  const mode = protectionModeOf(scenario);
  const p = scenario.protection;
  if (mode === 'none' || p === undefined) return undefined;
  const streams = protectionStreams(scenario.seed);
  const rtt = rttBoundMs(scenario);
  return {
    mode,
    fecScheme: p.fec,
    maskType: p.mask,
    red: { ...streams.red },
    flexfec: { ssrc: streams.flexfec.ssrc, payloadType: streams.flexfec.payloadType, initialSequenceNumber: (scenario.seed * 31) & 0x7fff },
    rtx: { ssrc: streams.rtx.ssrc, payloadType: streams.rtx.payloadType, initialSequenceNumber: (scenario.seed * 17) & 0x7fff, history: { maxPackets: 4000, maxAgeMs: Math.max(1000, 10 * rtt) } },
    maxMediaPacketsPerBlock: 48,
    initialRttMs: rtt,
    controller: {
      encoding: { width: scenario.width, height: scenario.height, maxPayloadBytes: scenario.transport.mtu },
      table: rateTableData(rateTableOf(p.rateTable)),
      lowRttNackMs: p.lowRttNackMs,
      highRttNackMs: p.highRttNackMs,
    },
    rateTableName: p.fecRates === 'controller' ? p.rateTable : undefined,
    targetBitrateBps: scenario.encoder.bitrateBps,
    frameRateFps: scenario.fps,
    // "controller": the factors follow the loss and RTT of each RR (0 until loss is reported, as in libwebrtc)
    fixedFecRate255: p.fecRates === 'controller' ? undefined : { ...p.fecRates },
    senderReportIntervalMs: REALTIME_REPORT_INTERVAL_MS,
  };
}

/** The receiver's recovery plan; undefined when the scenario's protection mode is "none". */
export function realtimeRecoveryPlan(scenario: ResolvedScenario): RealtimeRecoveryPlan | undefined {
  const mode = protectionModeOf(scenario);
  if (mode === 'none') return undefined;
  const rtt = rttBoundMs(scenario);
  // NACK: room for the first request and two retries; FEC alone waits for the frame's FEC packets.
  const assemblerMaxWaitMs = mode === 'fec' ? Math.max(20, rtt / 2) : 3 * rtt;
  const p = scenario.protection;
  return { mode, fecScheme: p?.fec ?? 'flexfec', streams: protectionStreams(scenario.seed), maxRetries: p?.maxRetries ?? 10, rttBoundMs: rtt, assemblerMaxWaitMs };
}

/** The sender's configure options. Throws FecRateTableError when the scenario's rate table cannot be read. */
export function senderRunOptions(scenario: ResolvedScenario): SenderRunOptions {
  // libwebrtc picks its own RTCP SSRC: the sender takes feedback from whoever the receiver is
  const chromium = scenario.receiver?.kind === 'chromium';
  return {
    frameSource: {
      width: scenario.width,
      height: scenario.height,
      fps: scenario.fps,
      capturePath: scenario.capture.path,
      pixelFormat: scenario.capture.format,
      ...(scenario.capture.device !== undefined ? { device: scenario.capture.device } : {}),
    },
    encoder: encoderOptionsOf(scenario),
    ...(scenario.capture.fallback ? { captureFallback: true } : {}),
    ...(scenario.sender?.scene !== undefined ? { chromiumScene: scenario.sender.scene } : {}),
    mtu: scenario.transport.mtu,
    seed: scenario.seed,
    // runs recorded before the pacer section existed sent back to back
    pacing: { ...(scenario.pacer ?? { mode: 'none', factor: 1, burstMs: 0, queueLimitMs: null }), targetBitrateBps: scenario.encoder.bitrateBps },
    protection: sendProtectionPlan(scenario),
    nackTailMs: nackTailMs(scenario),
    ...(scenario.congestion?.mode === 'googcc'
      ? {
          congestion: {
            startBps: scenario.congestion.startBps, minBps: scenario.congestion.minBps, maxBps: scenario.congestion.maxBps,
            feedback: scenario.congestion.feedback ?? 'twcc',
            ...(scenario.congestion.probing === false ? { probing: false } : {}),
            ...(chromium ? {} : { feedbackSenderSsrc: RECEIVER_RTCP_SSRC }),
          },
        }
      : {}),
    ...(chromium ? { receiverKind: 'chromium' as const } : {}),
  };
}

/** The receiver's configure options. */
export function receiverRunOptions(scenario: ResolvedScenario): ReceiverRunOptions {
  // libwebrtc's sender always estimates bandwidth: it gets transport-wide feedback whatever congestion says
  const chromiumSender = scenario.sender?.kind === 'chromium';
  // the lab's sender reads the format the scenario names (the scenario refuses ccfb with a Chromium peer)
  const ccfb = scenario.congestion?.mode === 'googcc' && scenario.congestion.feedback === 'ccfb' && !chromiumSender;
  return {
    pliIntervalMs: scenario.transport.pliIntervalMs,
    recovery: realtimeRecoveryPlan(scenario),
    ...(ccfb ? { ccfb: true } : scenario.congestion?.mode === 'googcc' || chromiumSender ? { transportFeedback: true } : {}),
    ...(chromiumSender ? { senderKind: 'chromium' as const } : {}),
    ...(scenario.relay ? { relay: { targets: scenario.relay.targets.map((t) => ({ url: t.url, ...(t.reconnect ? { reconnect: t.reconnect } : {}), ...(t.hopLoss ? { hopLoss: { rate: t.hopLoss, seed: scenario.seed } } : {}) })), width: scenario.width, height: scenario.height, fps: scenario.fps } } : {}),
    ...(scenario.receiver?.captureRtp ? { captureRtp: true } : {}),
  };
}
