/**
 * The records of one run, sorted into the kinds the analysis uses. Input objects come from NDJSON
 * files and are checked here against their kind's schema (src/shared/record-schemas.ts, the one
 * the writers are typed by); anything else is counted as invalid, never trusted.
 */
import type {
  EventRecord,
  FecBlockRecord,
  FeedbackRecord,
  PacketRecord,
  PeerStatsRecord,
  ReceiverFrameRecord,
  SenderFrameRecord,
} from '../../src/shared/records.ts';
import type { z } from 'zod';
import {
  eventRecordSchema,
  fecBlockRecordSchema,
  feedbackRecordSchema,
  packetRecordSchema,
  peerStatsRecordSchema,
  receiverFrameRecordSchema,
  senderFrameRecordSchema,
} from '../../src/shared/record-schemas.ts';

/** Records of one run by kind (times: CLOCK_MONOTONIC ms). */
export interface RunRecords {
  senderFrames: SenderFrameRecord[];
  receiverFrames: ReceiverFrameRecord[];
  packets: PacketRecord[];
  feedback: FeedbackRecord[];
  events: EventRecord[];
  /** the sender's FEC blocks (what each FEC packet protects) */
  fecBlocks: FecBlockRecord[];
  /** getStats samples of a Chromium peer */
  peerStats: PeerStatsRecord[];
  /** objects that matched no record kind */
  invalid: number;
}

/** Pushes `value` onto `list` when `schema` accepts it; says whether it did. */
function take<T>(schema: z.ZodType<T>, list: T[], value: unknown): boolean {
  const parsed = schema.safeParse(value);
  if (parsed.success) list.push(parsed.data);
  return parsed.success;
}

/** Sorts parsed NDJSON objects (from any of the run's files) into {@link RunRecords}. */
export function sortRecords(objects: readonly unknown[]): RunRecords {
  const run: RunRecords = { senderFrames: [], receiverFrames: [], packets: [], feedback: [], events: [], fecBlocks: [], peerStats: [], invalid: 0 };
  for (const value of objects) {
    const { type, side } = (value !== null && typeof value === 'object' ? value : {}) as { type?: unknown; side?: unknown };
    let taken = false;
    if (type === 'frame') taken = side === 'sender' ? take(senderFrameRecordSchema, run.senderFrames, value) : take(receiverFrameRecordSchema, run.receiverFrames, value);
    else if (type === 'packet') taken = take(packetRecordSchema, run.packets, value);
    else if (type === 'feedback') taken = take(feedbackRecordSchema, run.feedback, value);
    else if (type === 'fec-block') taken = take(fecBlockRecordSchema, run.fecBlocks, value);
    else if (type === 'event') taken = take(eventRecordSchema, run.events, value);
    else if (type === 'peer-stats') taken = take(peerStatsRecordSchema, run.peerStats, value);
    if (!taken) run.invalid += 1;
  }
  return run;
}
