/**
 * Send protection of a real-time run: the plan the orchestrator derives from the scenario
 * (lab/run/child-options.ts; plain JSON, sent in the sender's configure message) and the chain
 * options built from it once the media stream is negotiated. Files the plan needs (a rate
 * table) are read by the orchestrator and arrive as data: the sender reads no scenario input.
 */
import type { NegotiatedMedia } from '../../transport/webrtc-peer.ts';
import { createFecController, type FecRateTable } from '../fec-controller/index.ts';
import type { ProtectionMode, SendProtectionOptions } from './options.ts';

/** Interval of the lab's sender and receiver reports, ms (the controller's loss and RTT arrive at this pace). */
export const REALTIME_REPORT_INTERVAL_MS = 500;

/** An FEC rate table as JSON carries it (values 0..255, row-major). */
export interface RateTableData {
  rows: number;
  columns: number;
  values: number[];
  source: string;
}

/** The table as data for a control message. */
export function rateTableData(table: FecRateTable): RateTableData {
  return { rows: table.rows, columns: table.columns, values: [...table.values], source: table.source };
}

/** The table again; throws when the data does not have the shape it claims (never from the lab's own plan). */
export function rateTableFromData(data: RateTableData): FecRateTable {
  if (data.values.length !== data.rows * data.columns) throw new Error(`rate table ${data.source}: ${data.values.length} values for ${data.rows}×${data.columns}`);
  return { rows: data.rows, columns: data.columns, values: Uint8Array.from(data.values), source: data.source };
}

/**
 * Everything the send chain needs that does not depend on the negotiated media: its options
 * without the media stream and the controller object, plus the controller's inputs as data.
 */
export type SendProtectionPlan = Pick<SendProtectionOptions, 'fecScheme' | 'maskType' | 'red' | 'flexfec' | 'rtx' | 'maxMediaPacketsPerBlock' | 'initialRttMs' | 'targetBitrateBps' | 'frameRateFps' | 'fixedFecRate255'> & {
  mode: Exclude<ProtectionMode, 'none'>;
  /** the FEC controller's inputs: frame size and payload size, its rate table and RTT thresholds */
  controller: {
    encoding: { width: number; height: number; maxPayloadBytes: number };
    table: RateTableData;
    /** RTT below which hybrid needs no FEC, and above which no NACK, ms; null = off */
    lowRttNackMs: number | null;
    highRttNackMs: number | null;
  };
  /** the rate table as the scenario named it ("libwebrtc" or a path), when the controller sets the factors */
  rateTableName: string | undefined;
  senderReportIntervalMs: number;
};

/** The chain's options for the negotiated media stream. */
export function sendProtectionOptions(plan: SendProtectionPlan, media: Pick<NegotiatedMedia, 'ssrc' | 'payloadType'>): SendProtectionOptions {
  return {
    mode: plan.mode,
    fecScheme: plan.fecScheme,
    maskType: plan.maskType,
    mediaSsrc: media.ssrc,
    mediaPayloadType: media.payloadType,
    red: { ...plan.red },
    flexfec: { ...plan.flexfec },
    rtx: { ...plan.rtx, history: { ...plan.rtx.history } },
    maxMediaPacketsPerBlock: plan.maxMediaPacketsPerBlock,
    initialRttMs: plan.initialRttMs,
    fecController: createFecController({
      method: 'nack-fec',
      encoding: { ...plan.controller.encoding },
      protection: { table: rateTableFromData(plan.controller.table), lowRttNackMs: plan.controller.lowRttNackMs, highRttNackMs: plan.controller.highRttNackMs, maskType: plan.maskType },
    }),
    targetBitrateBps: plan.targetBitrateBps,
    frameRateFps: plan.frameRateFps,
    fixedFecRate255: plan.fixedFecRate255 ? { ...plan.fixedFecRate255 } : undefined,
    // SRs let the receiver's RRs carry the RTT (LSR/DLSR); the chain then retransmits by it
    senderReportIntervalMs: plan.senderReportIntervalMs,
    rtpTimestampAtZero: 0,
  };
}
