/**
 * A frame trace from a file: the sender frame records of a real run (its `sender.ndjson`, or the
 * run folder holding it). Each frame that went out gives its encoded size, keyframe flag and
 * capture → encoded latency; frames dropped before the packetizer are skipped (they never
 * reached the wire). Errors name the file and what is wrong with it.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { senderFrameRecordSchema } from '../../src/shared/record-schemas.ts';
import type { TraceFrame } from '../../src/sim/frame-trace.ts';

export class TraceError extends Error {
  readonly code = 'TRACE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

/** The trace in `file` (a sender.ndjson or a run folder); throws TraceError. */
export async function loadFrameTrace(file: string): Promise<{ frames: TraceFrame[]; path: string }> {
  let target = path.resolve(file);
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    throw new TraceError(`--trace ${file}: ${error.code === 'ENOENT' ? 'no such file or folder' : error.message}`);
  });
  if (info.isDirectory()) target = path.join(target, 'sender.ndjson');
  const text = await readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new TraceError(`--trace ${target}: ${error.code === 'ENOENT' ? 'no sender.ndjson in that folder' : error.message}`);
  });
  const frames: (TraceFrame & { frameId: number; captureMs: number })[] = [];
  let badLines = 0;
  const lines = text.split('\n');
  for (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      badLines++;
      continue;
    }
    if ((value as { type?: unknown; side?: unknown } | null)?.type !== 'frame') continue;
    const parsed = senderFrameRecordSchema.safeParse(value);
    if (!parsed.success) {
      badLines++;
      continue;
    }
    const r = parsed.data;
    if (r.dropped !== undefined || r.bytes === undefined || r.bytes <= 0) continue;
    frames.push({ bytes: r.bytes, keyframe: r.keyframe === true, encodeLatencyMs: Math.max(0, (r.encodeDoneMs ?? r.captureMs) - r.captureMs), frameId: r.frameId, captureMs: r.captureMs });
  }
  if (frames.length === 0) {
    throw new TraceError(`--trace ${target}: no sender frame records with an encoded size${badLines > 0 ? ` (${badLines} lines unreadable)` : ''}; give a run's sender.ndjson or its folder`);
  }
  return { frames: sortByFrameId(frames), path: target };
}

/** Frame records are written when a frame's last packet leaves, so in frame order; sort anyway. */
function sortByFrameId(frames: (TraceFrame & { frameId: number; captureMs: number })[]): TraceFrame[] {
  const sorted = [...frames].sort((a, b) => a.frameId - b.frameId);
  const firstCaptureMs = sorted[0]?.captureMs ?? 0;
  return sorted.map((f) => ({ bytes: f.bytes, keyframe: f.keyframe, encodeLatencyMs: f.encodeLatencyMs, captureOffsetMs: f.captureMs - firstCaptureMs }));
}
