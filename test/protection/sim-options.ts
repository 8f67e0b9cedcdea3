/** Options of the send and receive protection chains for chain-level tests and bench/protection. */
import { createFecController } from '../../src/sender/fec-controller/index.ts';
import type { ProtectionMode, FecScheme } from '../../src/sender/protection/options.ts';
import type { SendProtectionOptions } from '../../src/sender/protection/options.ts';
import type { ReceiveRecoveryOptions } from '../../src/receiver/protection/options.ts';

export const MEDIA_SSRC = 0x1111;
export const RTX_SSRC = 0x2222;
export const FLEX_SSRC = 0x3333;

export interface SimCase {
  seed: number;
  mode: ProtectionMode;
  scheme?: FecScheme;
  oneWayDelayMs?: number;
  jitterMs?: number;
  fixedFecRate255?: { key: number; delta: number };
  maskType?: 'random' | 'bursty';
  /** NACK requester: wait this many later packets / ms before the first NACK (lets FEC act first) */
  nackReorderWait?: { packets: number; ms: number };
}

/** The two chains' options for one case. */
export interface ChainOptions {
  send: SendProtectionOptions;
  receive: ReceiveRecoveryOptions;
}

export function simOptions(c: SimCase): ChainOptions {
  const scheme = c.scheme ?? 'flexfec';
  const fec = c.mode === 'fec' || c.mode === 'hybrid';
  const nack = c.mode === 'nack' || c.mode === 'hybrid';
  const oneWay = c.oneWayDelayMs ?? 20;
  return {
    send: {
      mode: c.mode, fecScheme: scheme, maskType: c.maskType ?? 'random', mediaSsrc: MEDIA_SSRC, mediaPayloadType: 96,
      red: { payloadType: 116, ulpfecPayloadType: 117 },
      flexfec: { ssrc: FLEX_SSRC, payloadType: 118, initialSequenceNumber: 1000 },
      rtx: { ssrc: RTX_SSRC, payloadType: 97, initialSequenceNumber: 500, history: { maxPackets: 2000, maxAgeMs: 2000 } },
      maxMediaPacketsPerBlock: 48, initialRttMs: 2 * oneWay,
      fecController: createFecController({ method: 'nack-fec', encoding: { width: 1280, height: 720 } }),
      targetBitrateBps: 2_000_000, frameRateFps: 30, fixedFecRate255: c.fixedFecRate255,
      senderReportIntervalMs: 500, rtpTimestampAtZero: 0,
    },
    receive: {
      mediaSsrc: MEDIA_SSRC, mediaPayloadType: 96, receiverSsrc: 0x4444,
      red: fec && scheme === 'ulpfec' ? { payloadType: 116, ulpfecPayloadType: 117 } : undefined,
      flexfec: fec && scheme === 'flexfec' ? { ssrc: FLEX_SSRC, payloadType: 118 } : undefined,
      rtx: nack ? { ssrc: RTX_SSRC, payloadType: 97 } : undefined,
      nack: nack ? { initialRttMs: 2 * oneWay + 4 * (c.jitterMs ?? 0) + 10, minRetryIntervalMs: 5, maxRetries: 10, keyframeOnGiveUp: false, reorderWaitPackets: c.nackReorderWait?.packets ?? 0, reorderWaitMaxMs: c.nackReorderWait?.ms ?? 0 } : undefined,
      fecWindowPackets: 1024, maxPendingFec: 256, usefulWithinMs: 500, historyPackets: 4096, receiverReportIntervalMs: 250,
    },
  };
}
