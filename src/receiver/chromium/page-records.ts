/**
 * What the Chromium receiver's page hands over at each drain (src/browser/receiver-page.ts),
 * checked at the boundary, and the lab records made from it: per-frame records of the same
 * schema as the lab's receiver writes (ReceiverFrameRecord, `peer: "chromium"`, times on
 * CLOCK_MONOTONIC) and getStats samples (PeerStatsRecord).
 */
import { z } from 'zod';
import type { PeerStatsRecord, ReceiverFrameRecord } from '../../shared/records.ts';

const time = z.number().finite();
const pageFrameSchema = z.object({
  callbackMs: time,
  readDoneMs: time,
  rtpTimestamp: z.number().int().min(0).max(0xffffffff).nullable(),
  presentationMs: time,
  expectedDisplayMs: time,
  receiveMs: time.nullable(),
  captureMs: time.nullable(),
  processingDurationMs: time.nullable(),
  presentedFrames: z.number().int().nonnegative(),
  width: z.number().int().nonnegative(),
  height: z.number().int().nonnegative(),
  marker: z.enum(['ok', 'check-failed', 'too-small']),
  frameId: z.number().int().nonnegative().nullable(),
  captureTimeNs: z.string().regex(/^\d+$/).nullable(),
});
export type PageFrame = z.infer<typeof pageFrameSchema>;

const pageStatsSchema = z.object({
  timeMs: time,
  reports: z.array(z.object({ type: z.string(), id: z.string(), values: z.record(z.string(), z.union([z.number(), z.string()])) })),
});

export const pageDrainSchema = z.object({ frames: z.array(pageFrameSchema), stats: z.array(pageStatsSchema), problems: z.array(z.string()) });
export type PageDrain = z.infer<typeof pageDrainSchema>;

/**
 * The lab's frame record of one page frame; undefined when libwebrtc gave no RTP timestamp (the
 * key every frame record has). `offsetMs` maps page time onto CLOCK_MONOTONIC.
 */
export function frameRecordOf(frame: PageFrame, offsetMs: number): ReceiverFrameRecord | undefined {
  if (frame.rtpTimestamp === null) return undefined;
  const at = (pageMs: number): number => pageMs + offsetMs;
  return {
    type: 'frame',
    side: 'receiver',
    peer: 'chromium',
    rtpTimestamp: frame.rtpTimestamp,
    ...(frame.frameId !== null ? { frameId: frame.frameId } : {}),
    ...(frame.captureTimeNs !== null ? { captureMs: Number(BigInt(frame.captureTimeNs)) / 1e6 } : {}),
    ...(frame.receiveMs !== null ? { lastPacketMs: at(frame.receiveMs) } : {}),
    decodeDoneMs: at(frame.presentationMs),
    markerReadMs: at(frame.readDoneMs),
    marker: frame.marker,
    rvfc: {
      callbackMs: at(frame.callbackMs),
      presentationMs: at(frame.presentationMs),
      expectedDisplayMs: at(frame.expectedDisplayMs),
      ...(frame.captureMs !== null ? { remoteCaptureMs: at(frame.captureMs) } : {}),
      ...(frame.processingDurationMs !== null ? { processingDurationMs: frame.processingDurationMs } : {}),
      presentedFrames: frame.presentedFrames,
      width: frame.width,
      height: frame.height,
    },
  };
}

export function statsRecordOf(sample: PageDrain['stats'][number], offsetMs: number): PeerStatsRecord {
  return { type: 'peer-stats', side: 'receiver', peer: 'chromium', timeMs: sample.timeMs + offsetMs, reports: sample.reports };
}
