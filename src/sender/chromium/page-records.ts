/**
 * What the Chromium sender's page hands over at each drain (src/browser/sender-page.ts), checked
 * at the boundary, and the lab records made from it: one sender frame record per drawn frame
 * (`peer: "chromium"`; the page's draw start, draw end and requestFrame() stand in the render and
 * capture stages; encode and packetization happen inside libwebrtc and have no times) and the
 * getStats samples (outbound-rtp and what libwebrtc knows of the far end).
 */
import { z } from 'zod';
import type { PeerStatsRecord, SenderFrameRecord } from '../../shared/records.ts';

const time = z.number().finite();
const pageSenderFrameSchema = z.object({
  frameId: z.number().int().nonnegative(),
  drawStartMs: time,
  drawDoneMs: time,
  requestedMs: time,
  captureTimeNs: z.string().regex(/^\d+$/),
});
export type PageSenderFrame = z.infer<typeof pageSenderFrameSchema>;

export const pageSenderDrainSchema = z.object({
  frames: z.array(pageSenderFrameSchema),
  stats: z.array(z.object({ timeMs: time, reports: z.array(z.object({ type: z.string(), id: z.string(), values: z.record(z.string(), z.union([z.number(), z.string()])) })) })),
  problems: z.array(z.string()),
});
export type PageSenderDrain = z.infer<typeof pageSenderDrainSchema>;

export function senderFrameRecordOf(frame: PageSenderFrame, offsetMs: number): SenderFrameRecord {
  return {
    type: 'frame',
    side: 'sender',
    peer: 'chromium',
    frameId: frame.frameId,
    // the marker's time: the draw start on CLOCK_MONOTONIC, as the page wrote it
    captureMs: Number(BigInt(frame.captureTimeNs)) / 1e6,
    renderSubmitMs: frame.drawStartMs + offsetMs,
    renderDoneMs: frame.drawDoneMs + offsetMs,
    copyDoneMs: frame.requestedMs + offsetMs,
    convertDoneMs: frame.requestedMs + offsetMs,
  };
}

export function senderStatsRecordOf(sample: PageSenderDrain['stats'][number], offsetMs: number): PeerStatsRecord {
  return { type: 'peer-stats', side: 'sender', peer: 'chromium', timeMs: sample.timeMs + offsetMs, reports: sample.reports };
}
