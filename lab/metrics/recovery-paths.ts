/**
 * Glass-to-glass by recovery path: each displayed frame with a readable marker (`frames.ts`) is
 * joined by RTP timestamp to the receiver's packet records of that frame. Path `rtx` when at least
 * one of its packets was recovered by RTX, `fec` when at least one by FEC and none by RTX, `clean`
 * otherwise. A frame record's own `recoveredFec` / `recoveredRtx` counts are used when present.
 * Pure; ms.
 */
import type { RecoverySummary } from '../results/schema.ts';
import { analyzeFrames } from './frames.ts';
import type { RunRecords } from './run-records.ts';
import { summarize } from './stats.ts';

/** Recovery path of a frame. */
export type FramePath = 'clean' | 'fec' | 'rtx';

/** G2G distributions (ms) of the displayed frames per recovery path. */
export function g2gByPath(records: RunRecords): RecoverySummary['g2gByPath'] {
  const recoveredAt = new Map<number, { fec: number; rtx: number }>();
  const bump = (rtpTimestamp: number, by: 'fec' | 'rtx', n: number): void => {
    const entry = recoveredAt.get(rtpTimestamp) ?? { fec: 0, rtx: 0 };
    entry[by] += n;
    recoveredAt.set(rtpTimestamp, entry);
  };
  for (const p of records.packets) {
    if (p.side !== 'receiver' || p.dir !== 'in' || typeof p.rtpTimestamp !== 'number') continue;
    if (p.recoveredBy === 'fec' || p.recoveredBy === 'rtx') bump(p.rtpTimestamp, p.recoveredBy, 1);
  }
  const frameCounts = new Map<number, { fec: number; rtx: number }>();
  const rtpByFrameId = new Map<number, number>();
  for (const frame of records.receiverFrames) {
    if (typeof frame.frameId === 'number' && frame.notDisplayed === undefined && !rtpByFrameId.has(frame.frameId)) rtpByFrameId.set(frame.frameId, frame.rtpTimestamp);
    if (typeof frame.recoveredFec === 'number' || typeof frame.recoveredRtx === 'number') {
      frameCounts.set(frame.rtpTimestamp, { fec: frame.recoveredFec ?? 0, rtx: frame.recoveredRtx ?? 0 });
    }
  }
  for (const frame of records.senderFrames) {
    if (typeof frame.rtpTimestamp === 'number' && !rtpByFrameId.has(frame.frameId)) rtpByFrameId.set(frame.frameId, frame.rtpTimestamp);
  }
  const byPath: Record<FramePath, number[]> = { clean: [], fec: [], rtx: [] };
  for (const frame of analyzeFrames(records.senderFrames, records.receiverFrames).frames) {
    const rtpTimestamp = rtpByFrameId.get(frame.frameId);
    const counts = rtpTimestamp === undefined ? undefined : (frameCounts.get(rtpTimestamp) ?? recoveredAt.get(rtpTimestamp));
    const path: FramePath = counts === undefined ? 'clean' : counts.rtx > 0 ? 'rtx' : counts.fec > 0 ? 'fec' : 'clean';
    byPath[path].push(frame.g2gMs);
  }
  return { clean: summarize(byPath.clean), fec: summarize(byPath.fec), rtx: summarize(byPath.rtx) };
}
