/**
 * Joins sender and receiver frame records and counts what happened to every frame.
 *
 * - A receiver frame is **displayed** when it has a display time (markerRead, else decodeDone)
 *   and no `notDisplayed` reason.
 * - Its marker is **readable** when it carries frameId and captureMs (and `marker` is absent or
 *   "ok"); glass-to-glass = markerReadMs − captureMs from the marker. Frames with an unreadable
 *   marker are displayed but have no latency; they are joined to the sender by RTP timestamp.
 * - A sender frame is **never displayed** when no displayed receiver frame carries its id; each
 *   is counted with a reason (sender drop reason, receiver `notDisplayed` reason, or
 *   "not-received"). A frame displayed with an unreadable marker (joined by RTP timestamp) was
 *   displayed: it counts under unreadableMarkers, not under neverDisplayed.
 */
import type { ReceiverFrameRecord, SenderFrameRecord } from '../../src/shared/records.ts';
import { frameStages, type StageDurations } from './stages.ts';

/** A displayed frame with a readable marker (times: CLOCK_MONOTONIC ms). */
export interface DisplayedFrame {
  frameId: number;
  /** capture time from the marker */
  captureMs: number;
  /** markerReadMs (display time) */
  displayMs: number;
  /** glass-to-glass latency, ms */
  g2gMs: number;
  stages: StageDurations;
}

/** Frame counts of a run. */
export interface FrameCounts {
  /** sender frame records (every frame the source produced) */
  captured: number;
  /** sender frames that went out (no `dropped` reason) */
  sent: number;
  /** sender frames dropped before sending */
  senderDropped: number;
  /** receiver frame records */
  received: number;
  /** receiver frames displayed (readable marker or not) */
  displayed: number;
  /** sender frames never displayed */
  neverDisplayed: number;
  /** never displayed frames by reason */
  neverDisplayedByReason: Record<string, number>;
  /** displayed frames whose marker could not be read (CRC failed or no marker found) */
  unreadableMarkers: number;
  /**
   * displayed frames with a readable marker: the frames glass-to-glass latency is computed over
   * (= displayed − unreadableMarkers)
   */
  g2gFrames: number;
  /** unreadableMarkers / displayed, 0..1; null when nothing was displayed */
  unreadableRatio: number | null;
  /** displayed frames with a lower frameId than one displayed before */
  outOfOrder: number;
  /** displays of a frameId already displayed */
  duplicates: number;
  /** readable markers naming a frameId with no sender record */
  unmatched: number;
  /** readable markers whose capture time differs from the sender record's by > 0.01 ms */
  captureMismatches: number;
}

/** Result of {@link analyzeFrames}. */
export interface FrameAnalysis {
  /** readable displayed frames, in display order */
  frames: DisplayedFrame[];
  /** display times of every displayed frame (readable or not), ascending, ms */
  displayTimesMs: number[];
  counts: FrameCounts;
}

const CAPTURE_MISMATCH_MS = 0.01;

function displayTime(frame: ReceiverFrameRecord): number | undefined {
  if (frame.notDisplayed !== undefined) return undefined;
  return frame.markerReadMs ?? frame.decodeDoneMs;
}

function isReadable(frame: ReceiverFrameRecord): boolean {
  return frame.frameId !== undefined && frame.captureMs !== undefined && (frame.marker === undefined || frame.marker === 'ok');
}

function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

/** Joins the run's frame records; pure. */
export function analyzeFrames(senderFrames: readonly SenderFrameRecord[], receiverFrames: readonly ReceiverFrameRecord[]): FrameAnalysis {
  const senderById = new Map<number, SenderFrameRecord>();
  const senderIdByRtp = new Map<number, number>();
  for (const frame of senderFrames) {
    senderById.set(frame.frameId, frame);
    if (frame.rtpTimestamp !== undefined) senderIdByRtp.set(frame.rtpTimestamp, frame.frameId);
  }

  const displayedIds = new Set<number>();
  const unreadableIds = new Set<number>();
  const receiverReasonById = new Map<number, string>();
  const frames: DisplayedFrame[] = [];
  const displayTimesMs: number[] = [];
  let unreadableMarkers = 0;
  let duplicates = 0;
  let unmatched = 0;
  let captureMismatches = 0;

  const byDisplay = receiverFrames
    .map((record) => ({ record, shownAt: displayTime(record) }))
    .sort((a, b) => (a.shownAt ?? Infinity) - (b.shownAt ?? Infinity));
  for (const { record, shownAt } of byDisplay) {
    const senderId = isReadable(record) ? record.frameId! : senderIdByRtp.get(record.rtpTimestamp);
    if (shownAt === undefined) {
      if (senderId !== undefined && !receiverReasonById.has(senderId)) {
        receiverReasonById.set(senderId, record.notDisplayed ?? 'not-decoded');
      }
      continue;
    }
    displayTimesMs.push(shownAt);
    if (!isReadable(record)) {
      unreadableMarkers += 1;
      if (senderId !== undefined) unreadableIds.add(senderId);
      continue;
    }
    const frameId = record.frameId!;
    const captureMs = record.captureMs!;
    if (displayedIds.has(frameId)) duplicates += 1;
    displayedIds.add(frameId);
    const sender = senderById.get(frameId);
    if (sender === undefined) unmatched += 1;
    else if (Math.abs(sender.captureMs - captureMs) > CAPTURE_MISMATCH_MS) captureMismatches += 1;
    frames.push({ frameId, captureMs, displayMs: shownAt, g2gMs: shownAt - captureMs, stages: frameStages(sender, record) });
  }

  let outOfOrder = 0;
  let highestId = -Infinity;
  for (const frame of frames) {
    if (frame.frameId < highestId) outOfOrder += 1;
    else highestId = frame.frameId;
  }

  const neverDisplayedByReason: Record<string, number> = {};
  let neverDisplayed = 0;
  let senderDropped = 0;
  for (const frame of senderFrames) {
    if (frame.dropped !== undefined) senderDropped += 1;
    if (displayedIds.has(frame.frameId) || unreadableIds.has(frame.frameId)) continue;
    neverDisplayed += 1;
    if (frame.dropped !== undefined) bump(neverDisplayedByReason, `sender:${frame.dropped}`);
    else if (receiverReasonById.has(frame.frameId)) bump(neverDisplayedByReason, `receiver:${receiverReasonById.get(frame.frameId)!}`);
    else bump(neverDisplayedByReason, 'not-received');
  }

  return {
    frames,
    displayTimesMs,
    counts: {
      captured: senderFrames.length,
      sent: senderFrames.length - senderDropped,
      senderDropped,
      received: receiverFrames.length,
      displayed: displayTimesMs.length,
      neverDisplayed,
      neverDisplayedByReason,
      unreadableMarkers,
      g2gFrames: frames.length,
      unreadableRatio: displayTimesMs.length === 0 ? null : unreadableMarkers / displayTimesMs.length,
      outOfOrder,
      duplicates,
      unmatched,
      captureMismatches,
    },
  };
}
