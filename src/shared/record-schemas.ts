/**
 * One zod schema per record kind (src/shared/records.ts), the contract both ways: writers are
 * typed by the interfaces these schemas are checked against at compile time (RecordSink takes a
 * LabRecord), and readers (lab/metrics/run-records.ts) take an object as a record only when its
 * kind's schema accepts it. Unknown extra fields are kept (a newer writer may add some).
 * The fate record's schema lives with its reader in src/link/fate.ts.
 */
import { z } from 'zod';
import type { EventRecord, FecBlockRecord, FeedbackRecord, PacketRecord, PeerStatsRecord, ReceiverFrameRecord, SenderFrameRecord } from './records.ts';

const time = z.number().finite();
const count = z.number().int().nonnegative();
const uint16 = z.number().int().min(0).max(0xffff);
const uint32 = z.number().int().min(0).max(0xffffffff);
const side = z.enum(['sender', 'receiver', 'relay', 'link', 'orchestrator']);

export const senderFrameRecordSchema = z.looseObject({
  type: z.literal('frame'),
  side: z.literal('sender'),
  frameId: count,
  captureMs: time,
  renderSubmitMs: time,
  renderDoneMs: time,
  copyDoneMs: time,
  convertDoneMs: time,
  deliveredMs: time.optional(),
  encodeStartMs: time.optional(),
  importDoneMs: time.optional(),
  encodeDoneMs: time.optional(),
  keyframe: z.boolean().optional(),
  bytes: count.optional(),
  rtpTimestamp: uint32.optional(),
  packets: count.optional(),
  firstSeq: uint16.optional(),
  lastSeq: uint16.optional(),
  firstPacketSentMs: time.optional(),
  lastPacketSentMs: time.optional(),
  dropped: z.string().optional(),
  peer: z.literal('chromium').optional(),
});

export const receiverFrameRecordSchema = z.looseObject({
  type: z.literal('frame'),
  side: z.literal('receiver'),
  rtpTimestamp: uint32,
  frameId: count.optional(),
  captureMs: time.optional(),
  firstPacketMs: time.optional(),
  lastPacketMs: time.optional(),
  completeMs: time.optional(),
  decodeStartMs: time.optional(),
  decodeDoneMs: time.optional(),
  markerReadMs: time.optional(),
  marker: z.enum(['ok', 'check-failed', 'too-small']).optional(),
  keyframe: z.boolean().optional(),
  packets: count.optional(),
  recoveredFec: count.optional(),
  recoveredRtx: count.optional(),
  notDisplayed: z.string().optional(),
  peer: z.literal('chromium').optional(),
  rvfc: z
    .object({
      callbackMs: time,
      presentationMs: time,
      expectedDisplayMs: time,
      remoteCaptureMs: time.optional(),
      processingDurationMs: time.optional(),
      presentedFrames: count,
      width: count,
      height: count,
    })
    .optional(),
});

export const peerStatsRecordSchema = z.looseObject({
  type: z.literal('peer-stats'),
  side,
  peer: z.literal('chromium'),
  timeMs: time,
  reports: z.array(z.object({ type: z.string(), id: z.string(), values: z.record(z.string(), z.union([z.number(), z.string()])) })),
});

export const packetRecordSchema = z.looseObject({
  type: z.literal('packet'),
  side,
  dir: z.enum(['out', 'in']),
  ssrc: uint32,
  seq: uint16,
  pt: z.number().int().min(0).max(127),
  kind: z.enum(['media', 'rtx', 'fec', 'padding']),
  size: count,
  timeMs: time,
  rtpTimestamp: uint32.optional(),
  originalSeq: uint16.optional(),
  recoveredBy: z.enum(['fec', 'rtx']).optional(),
  queueMs: time.optional(),
  nackMs: time.optional(),
});

export const fecBlockRecordSchema = z
  .looseObject({
    type: z.literal('fec-block'),
    side: z.literal('sender'),
    timeMs: time,
    ssrc: uint32,
    mediaSeqs: z.array(uint16),
    fecSsrc: uint32,
    fecSeqs: z.array(uint16),
    covers: z.array(z.array(count)),
    keyframe: z.boolean(),
    rate255: z.number().min(0).max(255),
  })
  // one cover list per FEC packet, each index inside the block
  .refine((r) => r.covers.length === r.fecSeqs.length && r.covers.every((c) => c.every((i) => i < r.mediaSeqs.length)), { message: 'covers do not match fecSeqs and mediaSeqs' });

export const feedbackRecordSchema = z.looseObject({
  type: z.literal('feedback'),
  side,
  dir: z.enum(['out', 'in']),
  kind: z.enum(['nack', 'pli', 'fir', 'rr', 'sr', 'twcc', 'ccfb', 'remb']),
  timeMs: time,
  seqs: z.array(uint16).optional(),
  fractionLost: z.number().min(0).max(1).optional(),
  cumulativeLost: z.number().int().optional(),
  jitterMs: time.optional(),
  rttMs: time.optional(),
  bitrateBps: z.number().min(0).optional(),
  by: z.enum(['lab', 'werift']).optional(),
  reason: z.string().optional(),
  weriftKind: z.string().optional(),
});

export const eventRecordSchema = z.looseObject({
  type: z.literal('event'),
  side,
  timeMs: time,
  name: z.string(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.number())])).optional(),
});

// Compile-time: each schema's output and its interface are the same shape (extra fields aside).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
const checks: [
  Same<Known<z.infer<typeof senderFrameRecordSchema>>, SenderFrameRecord>,
  Same<Known<z.infer<typeof receiverFrameRecordSchema>>, ReceiverFrameRecord>,
  Same<Known<z.infer<typeof packetRecordSchema>>, PacketRecord>,
  Same<Known<z.infer<typeof fecBlockRecordSchema>>, FecBlockRecord>,
  Same<Known<z.infer<typeof feedbackRecordSchema>>, FeedbackRecord>,
  Same<Known<z.infer<typeof eventRecordSchema>>, EventRecord>,
  Same<Known<z.infer<typeof peerStatsRecordSchema>>, PeerStatsRecord>,
] = [true, true, true, true, true, true, true];
void checks;
