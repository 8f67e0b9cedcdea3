/**
 * Synthetic run records for report tests: frames at a fixed rate with realistic stage times
 * (seeded noise), a few frames lost on the way, a few with unreadable markers, a sender drop, and
 * a burst of lost frames long enough to be a freeze; media/FEC/RTX packets and feedback to match.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EventRecord, FecBlockRecord, FeedbackRecord, LabRecord, LinkFateRecord, PacketRecord, ReceiverFrameRecord, SenderFrameRecord } from '../../src/shared/records.ts';

/** Options of {@link syntheticRun}. */
export interface SyntheticRunOptions {
  frameCount: number;
  fps: number;
  seed: number;
  /** frame ids lost on the network (no receiver record) */
  lostFrames: readonly number[];
  /** frame ids received but displayed with an unreadable marker */
  unreadableFrames: readonly number[];
  /** frame ids the receiver could not decode (notDisplayed: "incomplete") */
  incompleteFrames: readonly number[];
  /** frame ids the sender dropped ("encoder-dropped") */
  droppedFrames: readonly number[];
  /** mean one-way network delay, ms */
  networkMs: number;
  /** media packets per frame */
  packetsPerFrame: number;
  /** every n-th frame gets a FEC packet */
  fecEvery: number;
  /** CLOCK_MONOTONIC ms of the first render submit */
  startMs: number;
}

/** Default synthetic run: 300 frames at 30 fps (10 s) with a 10-frame loss burst (a freeze). */
export const DEFAULT_SYNTHETIC: SyntheticRunOptions = {
  frameCount: 300,
  fps: 30,
  seed: 7,
  lostFrames: [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 200],
  unreadableFrames: [100, 150],
  incompleteFrames: [250],
  droppedFrames: [275],
  networkMs: 20,
  packetsPerFrame: 5,
  fecEvery: 3,
  startMs: 5_000_000,
};

/** Records of a synthetic run, by file. */
export interface SyntheticRun {
  sender: LabRecord[];
  receiver: LabRecord[];
  run: LabRecord[];
}

/** Small seeded PRNG (mulberry32), values in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generates a synthetic run. */
export function syntheticRun(overrides: Partial<SyntheticRunOptions> = {}): SyntheticRun {
  const options = { ...DEFAULT_SYNTHETIC, ...overrides };
  const random = seededRandom(options.seed);
  const around = (mean: number, spread: number): number => mean + (random() - 0.5) * 2 * spread;
  const sender: LabRecord[] = [];
  const receiver: LabRecord[] = [];
  const ssrc = 0x1234;
  let seq = 65_500; // wraps during the run
  const wrap = (value: number): number => value & 0xffff;
  const intervalMs = 1000 / options.fps;
  const run: LabRecord[] = [
    { type: 'event', side: 'orchestrator', timeMs: options.startMs - 5, name: 'run-start', detail: { scenario: 'synthetic-30fps', runId: 'synthetic-run', wallClock: '2026-11-23T09:00:00.000Z' } },
  ];

  for (let frameId = 0; frameId < options.frameCount; frameId += 1) {
    const renderSubmitMs = options.startMs + frameId * intervalMs;
    const renderDoneMs = renderSubmitMs + around(2, 0.5);
    const copyDoneMs = renderDoneMs + around(1.5, 0.3);
    const convertDoneMs = copyDoneMs + around(2, 0.4);
    const frame: SenderFrameRecord = {
      type: 'frame', side: 'sender', frameId, captureMs: renderDoneMs, renderSubmitMs, renderDoneMs, copyDoneMs, convertDoneMs,
    };
    if (options.droppedFrames.includes(frameId)) {
      sender.push({ ...frame, dropped: 'encoder-dropped' });
      continue;
    }
    const keyframe = frameId % 60 === 0;
    const encodeStartMs = convertDoneMs + 0.1;
    const encodeDoneMs = encodeStartMs + around(keyframe ? 9 : 6, 1);
    const rtpTimestamp = (90_000 + frameId * 3000) >>> 0;
    const firstSeq = wrap(seq);
    const packetTimes: number[] = [];
    for (let index = 0; index < options.packetsPerFrame; index += 1) packetTimes.push(encodeDoneMs + 0.3 + index * 0.2);
    const lastPacketSentMs = packetTimes[packetTimes.length - 1]!;
    const lost = options.lostFrames.includes(frameId);
    const packetRecords: PacketRecord[] = [];
    for (const [index, timeMs] of packetTimes.entries()) {
      const size = index === packetTimes.length - 1 ? 700 : 1200;
      const base = { type: 'packet', ssrc, seq: wrap(seq), pt: 102, kind: 'media', size, rtpTimestamp } as const;
      packetRecords.push({ ...base, side: 'sender', dir: 'out', timeMs, queueMs: 0.1 });
      if (!lost) receiver.push({ ...base, side: 'receiver', dir: 'in', timeMs: timeMs + options.networkMs });
      seq += 1;
    }
    if (frameId % options.fecEvery === 0) {
      packetRecords.push({ type: 'packet', side: 'sender', dir: 'out', ssrc: 0x5678, seq: frameId, pt: 118, kind: 'fec', size: 1200, timeMs: lastPacketSentMs + 0.2, rtpTimestamp });
    }
    sender.push(...packetRecords);
    sender.push({
      ...frame, encodeStartMs, encodeDoneMs, keyframe, bytes: 5500, rtpTimestamp, packets: options.packetsPerFrame, firstSeq,
      lastSeq: wrap(seq - 1), firstPacketSentMs: packetTimes[0]!, lastPacketSentMs,
    });
    if (lost) continue;

    const firstPacketMs = packetTimes[0]! + options.networkMs;
    const lastPacketMs = lastPacketSentMs + options.networkMs + around(1, 1) + 1;
    const received: ReceiverFrameRecord = { type: 'frame', side: 'receiver', rtpTimestamp, firstPacketMs, lastPacketMs, packets: options.packetsPerFrame, keyframe };
    if (options.incompleteFrames.includes(frameId)) {
      receiver.push({ ...received, notDisplayed: 'incomplete' });
      continue;
    }
    const completeMs = lastPacketMs + around(0.2, 0.1);
    const decodeStartMs = completeMs + 0.05;
    const decodeDoneMs = decodeStartMs + around(3, 0.8);
    const markerReadMs = decodeDoneMs + around(0.3, 0.1);
    if (options.unreadableFrames.includes(frameId)) {
      receiver.push({ ...received, completeMs, decodeStartMs, decodeDoneMs, markerReadMs, marker: 'check-failed' });
    } else {
      receiver.push({ ...received, frameId, captureMs: renderDoneMs, completeMs, decodeStartMs, decodeDoneMs, markerReadMs, marker: 'ok' });
    }
  }

  const lastLost = options.lostFrames[options.lostFrames.length - 1];
  const feedbackAt = options.startMs + (options.lostFrames[0] ?? 0) * intervalMs + 60;
  const nack: FeedbackRecord = { type: 'feedback', side: 'receiver', dir: 'out', kind: 'nack', timeMs: feedbackAt, seqs: [1, 2, 3] };
  const pli: FeedbackRecord = { type: 'feedback', side: 'receiver', dir: 'out', kind: 'pli', timeMs: feedbackAt + 100 };
  if (lastLost !== undefined) {
    receiver.push(nack, pli);
    sender.push({ ...nack, side: 'sender', dir: 'in', timeMs: nack.timeMs + options.networkMs }, { ...pli, side: 'sender', dir: 'in', timeMs: pli.timeMs + options.networkMs });
  }
  const endMs = options.startMs + options.frameCount * intervalMs + 100;
  run.push({ type: 'event', side: 'orchestrator', timeMs: endMs, name: 'run-end', detail: { status: 'completed', wallClock: '2026-11-23T09:00:10.200Z' } });
  return { sender, receiver, run };
}

/** Writes a synthetic run as NDJSON files into a new temp folder; returns its path. */
export async function writeSyntheticRunDir(run: SyntheticRun, extraFiles: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'glasslab-run-'));
  const ndjson = (records: LabRecord[]): string => records.map((record) => JSON.stringify(record)).join('\n') + '\n';
  await writeFile(path.join(dir, 'sender.ndjson'), ndjson(run.sender));
  await writeFile(path.join(dir, 'receiver.ndjson'), ndjson(run.receiver));
  await writeFile(path.join(dir, 'run.ndjson'), ndjson(run.run));
  for (const [name, content] of Object.entries(extraFiles)) await writeFile(path.join(dir, name), content);
  return dir;
}

/**
 * A link for a synthetic run: the fate of each packet the sender sent (up; lost frames' packets
 * dropped for "loss", one FEC packet for "queue"), feedback packets down, a timeline change at
 * 5 s, and the scenario text naming the link (resolved form, as scenario.json holds it).
 * Wire times (the data plane's) only with `wireLateMs`.
 */
export function syntheticLink(
  run: SyntheticRun,
  options: { networkMs?: number; changeAtMs?: number; /** when given, released packets get wireMs = releaseMs + this */ wireLateMs?: (dir: 'up' | 'down', id: number) => number } = {},
): { fateLog: string; events: LabRecord[]; link: object } {
  const networkMs = options.networkMs ?? DEFAULT_SYNTHETIC.networkMs;
  const startMs = DEFAULT_SYNTHETIC.startMs;
  const changeAtMs = options.changeAtMs ?? 5000;
  // packets that came off the wire (a recovered packet's first transmission was lost)
  const received = new Set(run.receiver.filter((r): r is PacketRecord => r.type === 'packet' && r.recoveredBy === undefined).map((r) => `${r.ssrc}/${r.seq}`));
  const fates: LinkFateRecord[] = [];
  let up = 0;
  let queueDropped = false;
  for (const r of run.sender) {
    if (r.type !== 'packet' || r.dir !== 'out') continue;
    const base = { type: 'fate', side: 'link', dir: 'up', id: up++, size: r.size + 28, proto: 'udp', ssrc: r.ssrc, seq: r.seq, pt: r.pt, enqueueMs: r.timeMs } as const;
    if (r.kind === 'media' && !received.has(`${r.ssrc}/${r.seq}`)) fates.push({ ...base, drop: 'loss' });
    else if (r.kind === 'fec' && !queueDropped) {
      queueDropped = true;
      fates.push({ ...base, drop: 'queue' });
    } else fates.push({ ...base, releaseMs: r.timeMs + networkMs + (r.timeMs > startMs + changeAtMs ? 6 : 0) });
  }
  let down = 0;
  for (const r of run.receiver) {
    if (r.type !== 'feedback') continue;
    fates.push({ type: 'fate', side: 'link', dir: 'down', id: down++, size: 60, proto: 'udp', enqueueMs: r.timeMs, releaseMs: r.timeMs + networkMs });
  }
  const params = (rateBps: number) => ({
    up: { delayUs: networkMs * 1000, loss: { model: 'random', p: 0.03 }, rateBps, queue: { packets: 50 } },
    down: { delayUs: networkMs * 1000 },
  });
  const link = { backend: 'userspace', params: params(5_000_000), timeline: [{ atUs: changeAtMs * 1000, params: params(2_000_000) }] };
  const events: LabRecord[] = [
    { type: 'event', side: 'orchestrator', timeMs: startMs - 2, name: 'link-up', detail: { backend: 'userspace', reason: 'asked for userspace', topology: 'abc123' } },
    { type: 'event', side: 'orchestrator', timeMs: startMs, name: 'media-start' },
    { type: 'event', side: 'orchestrator', timeMs: startMs + changeAtMs + 0.4, name: 'link-change', detail: { index: 0, scheduledMs: startMs + changeAtMs, lateMs: 0.4 } },
  ];
  const wireLateMs = options.wireLateMs;
  const logged = wireLateMs === undefined ? fates : fates.map((f) => (f.releaseMs === undefined ? f : { ...f, wireMs: f.releaseMs + wireLateMs(f.dir, f.id) }));
  return { fateLog: logged.map((f) => JSON.stringify(f)).join('\n') + '\n', events, link };
}

/**
 * Turns some packets of a synthetic run into link losses that were recovered: in each of
 * `fecFrames` (frames that carry a FEC packet) the second packet is rebuilt by FEC 3 ms after it
 * would have arrived; in each of `rtxFrames` it is NACKed and rebuilt by an RTX ≈ 50 ms later (the
 * frame is displayed 60 ms later too). Adds the sender's fec-block records (one per FEC packet,
 * covering its frame) and a fec-rates event per second. Call before {@link syntheticLink}.
 */
export function withRecoveries(run: SyntheticRun, options: { fecFrames?: number[]; rtxFrames?: number[] } = {}): SyntheticRun {
  const fecFrames = options.fecFrames ?? [3, 63, 123, 183];
  const rtxFrames = options.rtxFrames ?? [20, 80, 140, 260];
  const ssrc = 0x1234;
  const rtxSsrc = 0x9abc;
  let rtxSeq = 0;
  const senderFrames = run.sender.filter((r): r is SenderFrameRecord => r.type === 'frame' && r.side === 'sender' && r.dropped === undefined);
  for (const frame of senderFrames) {
    const mediaSeqs = Array.from({ length: frame.packets ?? 0 }, (_, i) => ((frame.firstSeq ?? 0) + i) & 0xffff);
    const fec = run.sender.find((r): r is PacketRecord => r.type === 'packet' && r.kind === 'fec' && r.rtpTimestamp === frame.rtpTimestamp);
    if (fec !== undefined) {
      const block: FecBlockRecord = { type: 'fec-block', side: 'sender', timeMs: frame.firstPacketSentMs ?? frame.captureMs, ssrc, mediaSeqs, fecSsrc: fec.ssrc, fecSeqs: [fec.seq], covers: [mediaSeqs.map((_, i) => i)], keyframe: frame.keyframe === true, rate255: frame.keyframe ? 80 : 50 };
      run.sender.push(block);
    }
    const byFec = fecFrames.includes(frame.frameId);
    const byRtx = rtxFrames.includes(frame.frameId);
    if (!byFec && !byRtx) continue;
    const seq = mediaSeqs[1]!;
    const index = run.receiver.findIndex((r) => r.type === 'packet' && r.ssrc === ssrc && r.seq === seq && r.rtpTimestamp === frame.rtpTimestamp);
    if (index < 0) continue;
    const arrival = run.receiver[index] as PacketRecord;
    run.receiver.splice(index, 1);
    if (byFec) {
      run.receiver.push({ ...arrival, timeMs: arrival.timeMs + 3, recoveredBy: 'fec' });
      continue;
    }
    const nackMs = arrival.timeMs + 5 + (frame.frameId % 3);
    const nack: FeedbackRecord = { type: 'feedback', side: 'receiver', dir: 'out', kind: 'nack', timeMs: nackMs, by: 'lab', seqs: [seq] };
    run.receiver.push(nack);
    run.sender.push({ ...nack, side: 'sender', dir: 'in', timeMs: nackMs + 20 });
    const rtx: PacketRecord = { type: 'packet', side: 'sender', dir: 'out', ssrc: rtxSsrc, seq: rtxSeq++, pt: 103, kind: 'rtx', size: arrival.size + 2, timeMs: nackMs + 21 + (frame.frameId % 7), rtpTimestamp: arrival.rtpTimestamp!, originalSeq: seq, nackMs: nackMs + 20 };
    run.sender.push(rtx);
    run.receiver.push({ ...rtx, side: 'receiver', dir: 'in', timeMs: rtx.timeMs + 20 });
    run.receiver.push({ ...arrival, timeMs: rtx.timeMs + 20, recoveredBy: 'rtx' });
    const shown = run.receiver.find((r): r is ReceiverFrameRecord => r.type === 'frame' && r.side === 'receiver' && r.rtpTimestamp === frame.rtpTimestamp);
    if (shown?.markerReadMs !== undefined) {
      const later = rtx.timeMs + 20 - shown.lastPacketMs!;
      for (const key of ['lastPacketMs', 'completeMs', 'decodeStartMs', 'decodeDoneMs', 'markerReadMs'] as const) if (shown[key] !== undefined) shown[key] = shown[key] + later;
    }
  }
  const firstMs = senderFrames[0]?.captureMs ?? 0;
  const lastMs = senderFrames[senderFrames.length - 1]?.captureMs ?? 0;
  for (let t = firstMs + 500, i = 0; t < lastMs; t += 1000, i++) {
    const event: EventRecord = { type: 'event', side: 'sender', timeMs: t, name: 'fec-rates', detail: { key: 60 + 10 * (i % 3), delta: 30 + 5 * (i % 4), lossFraction255: 8 + 2 * i, rttMs: 45 } };
    run.sender.push(event);
  }
  return run;
}
