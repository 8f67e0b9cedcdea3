/**
 * The virtual-time driver: one SendPipeline and one ReceivePipeline (the classes the sender and
 * receiver processes drive in real time) joined by two link directions, earliest wake-up first,
 * with no clock and no sleep. Frames come from a trace (sizes, keyframe flags, encode latency);
 * decoding takes a fixed time and reads the frame's "marker" by checking the access unit is byte
 * for byte the one sent. Records go to the same sinks a real run's processes write, the link's
 * fate log to its own, so a session's folder reads like a real run's.
 */
import type { LabRecord, RecordSink } from '../shared/records.ts';
import { SendPipeline, type SendPipelineOptions } from '../sender/send-pipeline.ts';
import { ReceivePipeline, type DecodeResult, type ReceivePipelineOptions } from '../receiver/receive-pipeline.ts';
import type { AssembledFrame } from '../receiver/frame-assembler-types.ts';
import { accessUnitOf, type FrameTraceSource, type TraceFrame } from './frame-trace.ts';
import type { SimLink } from './sim-link.ts';

export interface VirtualSessionOptions {
  /** virtual clock at the first capture, ms (records carry times on this clock) */
  startMs: number;
  /** frames are captured for this long, ms */
  durationMs: number;
  /** the session goes on this long after the last capture, so recoveries can land, ms */
  drainMs: number;
  fps: number;
  frames: FrameTraceSource;
  send: SendPipelineOptions;
  receive: ReceivePipelineOptions;
  /** sender → receiver (media, sender reports), as a run's link names it */
  up: SimLink;
  /** receiver → sender (feedback) */
  down: SimLink;
  /** link parameter changes (a scenario's timeline), at ms after `startMs` */
  linkChanges?: readonly { atMs: number; apply: () => void }[];
  /** time a decode takes, ms */
  decodeMs: number;
  sender: RecordSink;
  receiver: RecordSink;
  /** the link's fate log, NDJSON text as it is finished */
  linkFates: (ndjson: string) => void;
}

/** What a session did. */
export interface VirtualSessionResult {
  framesCaptured: number;
  sender: SendPipeline['counters'];
  receiver: ReceivePipeline['counters'];
  /** virtual ms from the first capture to the last event */
  virtualMs: number;
  /** wake-ups the driver stepped through */
  steps: number;
  /** the sender's RTT estimate at the end (from SR/RR), ms; undefined without protection */
  senderRttMs: number | undefined;
}

interface EncodeJob {
  frameId: number;
  captureMs: number;
  readyMs: number;
  frame: TraceFrame;
}

interface SentFrame {
  frameId: number;
  captureMs: number;
  accessUnit: Buffer;
}

const min = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** Runs one session to its end. */
export function runVirtualSession(o: VirtualSessionOptions): VirtualSessionResult {
  const send = new SendPipeline(o.send);
  const receive = new ReceivePipeline(o.receive);
  const frameIntervalMs = 1000 / o.fps;
  const endMs = o.startMs + o.durationMs + o.drainMs;
  const changes = [...(o.linkChanges ?? [])].sort((a, b) => a.atMs - b.atMs);
  let nextChange = 0;
  const encodes: EncodeJob[] = [];
  const decodes: { frame: AssembledFrame; doneMs: number; startMs: number }[] = [];
  /** access units in flight by frame id, until their frame record names the RTP timestamp */
  const unitsById = new Map<number, Buffer>();
  const sentByTimestamp = new Map<number, SentFrame>();
  let frameIndex = 0;
  let sourceDone = false;
  let keyframeRequested = false;
  let keyframeSent = false;
  let now = o.startMs;
  let steps = 0;

  const senderRecord = (record: LabRecord): void => {
    if (record.type === 'frame' && record.side === 'sender' && record.rtpTimestamp !== undefined) {
      const unit = unitsById.get(record.frameId);
      unitsById.delete(record.frameId);
      if (unit) sentByTimestamp.set(record.rtpTimestamp, { frameId: record.frameId, captureMs: record.captureMs, accessUnit: unit });
    }
    o.up.observe?.(record);
    o.sender.write(record);
  };
  const drainSend = (): void => {
    for (let e = send.pollOutput(); e !== undefined; e = send.pollOutput()) {
      switch (e.type) {
        case 'record': senderRecord(e.record); break;
        case 'rtp': o.up.offer(e.packet, now); break;
        case 'rtcp': o.up.offer(e.packet, now); break;
        case 'keyframe-request': keyframeRequested = true; break;
        case 'target-bitrate': o.frames.setBitrate?.(e.bps); break;
        case 'error': throw e.error;
      }
    }
  };
  const drainReceive = (): void => {
    for (let e = receive.pollOutput(); e !== undefined; e = receive.pollOutput()) {
      switch (e.type) {
        case 'record': o.receiver.write(e.record); break;
        case 'rtcp': o.down.offer(e.packet, now); break;
        case 'decode': {
          const startMs = Math.max(now, decodes.at(-1)?.doneMs ?? now);
          decodes.push({ frame: e.frame, startMs, doneMs: startMs + o.decodeMs });
          break;
        }
        case 'media': // only asked for by a relay, which the simulator has not
          break;
      }
    }
  };
  const decodeResult = (frame: AssembledFrame, startMs: number, doneMs: number): DecodeResult => {
    const sent = sentByTimestamp.get(frame.rtpTimestamp);
    if (sent) sentByTimestamp.delete(frame.rtpTimestamp);
    const intact = sent !== undefined && sent.accessUnit.equals(frame.accessUnit);
    return {
      kind: 'picture', decodeStartMs: startMs, decodeDoneMs: doneMs, markerReadMs: doneMs,
      marker: intact ? { ok: true, frameId: sent.frameId, captureMs: sent.captureMs } : { ok: false, reason: 'check-failed' },
    };
  };

  for (;;) {
    const captureOffset = sourceDone ? undefined : o.frames.captureOffsetMs(frameIndex, frameIntervalMs);
    const nextCaptureMs = captureOffset === undefined ? undefined : o.startMs + captureOffset;
    let due = min(nextCaptureMs !== undefined && nextCaptureMs < o.startMs + o.durationMs ? nextCaptureMs : undefined, encodes[0]?.readyMs);
    due = min(due, decodes[0]?.doneMs);
    due = min(due, changes[nextChange] !== undefined ? o.startMs + changes[nextChange]!.atMs : undefined);
    const sendDue = send.pollTimeout();
    const receiveDue = receive.pollTimeout();
    const upDue = o.up.pollTimeout();
    const downDue = o.down.pollTimeout();
    due = min(min(min(min(due, sendDue), receiveDue), downDue), upDue);
    if (due === undefined || due > endMs) break;
    now = Math.max(now, due);
    steps++;

    while (changes[nextChange] !== undefined && o.startMs + changes[nextChange]!.atMs <= now) changes[nextChange++]!.apply();
    if (nextCaptureMs !== undefined && nextCaptureMs <= now && nextCaptureMs < o.startMs + o.durationMs) {
      const frame = o.frames.next(frameIndex, keyframeRequested);
      if (!frame) sourceDone = true;
      else {
        if (frame.keyframe) keyframeRequested = false;
        // one encoder: a frame waits for the one before it
        const readyMs = Math.max(nextCaptureMs + frame.encodeLatencyMs, encodes.at(-1)?.readyMs ?? -Infinity);
        encodes.push({ frameId: frameIndex, captureMs: nextCaptureMs, readyMs, frame });
        frameIndex++;
      }
    }
    while (encodes[0] !== undefined && encodes[0].readyMs <= now) {
      const job = encodes.shift()!;
      const unit = accessUnitOf(job.frameId, job.frame.bytes, job.frame.keyframe, job.frame.keyframe && !keyframeSent);
      if (job.frame.keyframe) keyframeSent = true;
      unitsById.set(job.frameId, unit);
      const c = job.captureMs;
      send.handleFrame({
        frame: { frameId: job.frameId, captureMs: c, renderSubmitMs: c, renderDoneMs: c, copyDoneMs: c, convertDoneMs: c, deliveredMs: c },
        accessUnit: unit, keyframe: job.frame.keyframe, encodeStartMs: c, encodeDoneMs: job.readyMs,
      }, now);
      drainSend();
    }
    while (decodes[0] !== undefined && decodes[0].doneMs <= now) {
      const d = decodes.shift()!;
      receive.handleDecoded(d.frame, decodeResult(d.frame, d.startMs, d.doneMs), now);
      drainReceive();
    }
    // a link is polled only when something in it is due (a release adds nothing to the same direction)
    for (let u = upDue !== undefined && upDue <= now ? o.up.pollRelease(now) : undefined; u !== undefined; u = o.up.pollRelease(now)) {
      if (u.length >= 2 && u[1]! >= 192 && u[1]! <= 223) receive.handleRtcp(u, now);
      else receive.handleRtp(u, now);
      drainReceive();
    }
    for (let d = downDue !== undefined && downDue <= now ? o.down.pollRelease(now) : undefined; d !== undefined; d = o.down.pollRelease(now)) {
      send.handleRtcp(d, now);
      drainSend();
    }
    if (sendDue !== undefined && sendDue <= now) {
      send.handleTimeout(now);
      drainSend();
    }
    if (receiveDue !== undefined && receiveDue <= now) {
      receive.handleTimeout(now);
      drainReceive();
    }
    if ((steps & 1023) === 0) flushFates();
  }
  receive.finish(now);
  drainReceive();
  flushFates();
  return { framesCaptured: frameIndex, sender: { ...send.counters }, receiver: { ...receive.counters }, virtualMs: now - o.startMs, steps, senderRttMs: send.rttMs };

  function flushFates(): void {
    const text = o.down.fateText() + o.up.fateText();
    if (text.length > 0) o.linkFates(text);
  }
}
