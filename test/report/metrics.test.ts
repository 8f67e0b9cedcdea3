import { describe, expect, it } from 'vitest';
import { computeRunMetrics } from '../../lab/metrics/compute.ts';
import { analyzeFrames } from '../../lab/metrics/frames.ts';
import { detectFreezes } from '../../lab/metrics/freezes.ts';
import { bitrateSeries, summarizeFeedback, summarizePackets } from '../../lab/metrics/packets.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import { STAGE_NAMES } from '../../lab/metrics/stages.ts';
import type { PacketRecord, ReceiverFrameRecord, SenderFrameRecord } from '../../src/shared/records.ts';
import { syntheticRun } from './fixtures.ts';

/** Sender frame with captureMs = t + 2 and every stage 1–6 ms long, rtpTimestamp = 1000 + id. */
function senderFrame(frameId: number, t: number, extra: Partial<SenderFrameRecord> = {}): SenderFrameRecord {
  return {
    type: 'frame', side: 'sender', frameId, rtpTimestamp: 1000 + frameId,
    renderSubmitMs: t, renderDoneMs: t + 2, captureMs: t + 2, copyDoneMs: t + 3, convertDoneMs: t + 5,
    encodeStartMs: t + 5, encodeDoneMs: t + 11, lastPacketSentMs: t + 12, ...extra,
  };
}

/** Receiver frame of a sender frame at t, displayed at t + 2 + g2g. */
function receiverFrame(frameId: number, t: number, g2g: number, extra: Partial<ReceiverFrameRecord> = {}): ReceiverFrameRecord {
  const markerReadMs = t + 2 + g2g;
  return {
    type: 'frame', side: 'receiver', rtpTimestamp: 1000 + frameId, frameId, captureMs: t + 2, marker: 'ok', packets: 3,
    firstPacketMs: markerReadMs - 6, lastPacketMs: markerReadMs - 5, completeMs: markerReadMs - 4.5, decodeStartMs: markerReadMs - 4,
    decodeDoneMs: markerReadMs - 1, markerReadMs, ...extra,
  };
}

describe('glass-to-glass and stages', () => {
  it('computes g2g = markerRead − marker capture time and nearest-rank percentiles', () => {
    const g2gs = [50, 15, 40, 20, 35];
    const senders = g2gs.map((_, id) => senderFrame(id, 1000 + id * 33));
    const receivers = g2gs.map((g2g, id) => receiverFrame(id, 1000 + id * 33, g2g));
    const metrics = computeRunMetrics(sortRecords([...senders, ...receivers]));
    expect(metrics.summary.g2g).toEqual({ count: 5, min: 15, mean: 32, p50: 35, p95: 50, p99: 50, max: 50 });
    expect(metrics.series.g2g.g2gMs).toEqual(g2gs);
    expect(metrics.series.g2g.captureS[1]).toBeCloseTo(0.033, 9);
  });

  it('breaks a frame into contiguous stages (hand-computed)', () => {
    // frame: submit 1000, done 1002, copy 1003, convert 1005, encode done 1011, last packet 1012;
    // g2g 40 → marker read 1042, last packet in 1037, complete 1037.5, decode 1038..1041.
    const { frames } = analyzeFrames([senderFrame(0, 1000)], [receiverFrame(0, 1000, 40)]);
    expect(frames[0]!.stages).toEqual({
      render: 2, capture: 1, convert: 2, encode: 6, pacing: 1, network: 25, assembly: 0.5, jitterBuffer: 0.5, decode: 3, marker: 1,
    });
    const sum = STAGE_NAMES.reduce((total, name) => total + frames[0]!.stages[name]!, 0);
    expect(sum).toBeCloseTo(1042 - 1000, 9);
  });

  it('leaves a stage out (not 0) when a time is missing', () => {
    const sender = senderFrame(0, 1000);
    delete sender.encodeDoneMs;
    const { frames } = analyzeFrames([sender], [receiverFrame(0, 1000, 40)]);
    expect(frames[0]!.stages.encode).toBeUndefined();
    expect(frames[0]!.stages.pacing).toBeUndefined();
    expect(frames[0]!.stages.network).toBe(25);
  });
});

describe('frame counts', () => {
  it('counts never displayed frames with reasons, unreadable markers separately', () => {
    const senders = [0, 1, 2, 3, 4, 5].map((id) => senderFrame(id, 1000 + id * 33, id === 1 ? { dropped: 'encoder-dropped' } : {}));
    const receivers: ReceiverFrameRecord[] = [
      receiverFrame(0, 1000, 30),
      // frame 2: never arrived; frame 3: incomplete (no marker: joined by RTP timestamp)
      { ...receiverFrame(3, 1099, 30), frameId: undefined, captureMs: undefined, marker: undefined, notDisplayed: 'incomplete', decodeDoneMs: undefined, markerReadMs: undefined },
      // frame 4: displayed, marker unreadable
      { ...receiverFrame(4, 1132, 30), frameId: undefined, captureMs: undefined, marker: 'check-failed' },
      receiverFrame(5, 1165, 30),
    ];
    const { counts, frames, displayTimesMs } = analyzeFrames(senders, receivers);
    expect(counts).toEqual({
      captured: 6, sent: 5, senderDropped: 1, received: 4, displayed: 3,
      neverDisplayed: 3, neverDisplayedByReason: { 'sender:encoder-dropped': 1, 'not-received': 1, 'receiver:incomplete': 1 },
      unreadableMarkers: 1, g2gFrames: 2, unreadableRatio: 1 / 3, outOfOrder: 0, duplicates: 0, unmatched: 0, captureMismatches: 0,
    });
    expect(frames.map((frame) => frame.frameId)).toEqual([0, 5]);
    expect(displayTimesMs).toEqual([1032, 1164, 1197]);
  });

  it('counts out-of-order and duplicate displays, unmatched markers and capture mismatches', () => {
    const senders = [0, 1, 2, 3].map((id) => senderFrame(id, 1000 + id * 33));
    const receivers = [
      receiverFrame(0, 1000, 30),
      receiverFrame(1, 1033, 30),
      receiverFrame(3, 1099, 10), // shown at 1111, before frame 2
      receiverFrame(2, 1066, 50), // shown at 1118: out of order
      { ...receiverFrame(3, 1099, 30), captureMs: 1101.5 }, // duplicate, and capture differs from sender's 1101
      receiverFrame(9, 1300, 30), // no sender record
    ];
    const { counts } = analyzeFrames(senders, receivers);
    expect(counts.outOfOrder).toBe(1);
    expect(counts.duplicates).toBe(1);
    expect(counts.unmatched).toBe(1);
    expect(counts.captureMismatches).toBe(1);
    expect(counts.neverDisplayed).toBe(0);
  });
});

describe('freezes (WebRTC definition)', () => {
  const steady = [0, 33, 66, 100, 133, 166]; // 5 gaps, mean 33.2 ms

  it('counts a gap >= max(3 × avg, avg + 150 ms) and its whole duration', () => {
    // 166 → 366: gap 200 >= max(99.6, 183.2) → freeze; then 366 → 516: gap 150, avg now 61 → not.
    const freezes = detectFreezes([...steady, 366, 516]);
    expect(freezes).toHaveLength(1);
    expect(freezes[0]!.startMs).toBe(166);
    expect(freezes[0]!.durationMs).toBe(200);
    expect(freezes[0]!.thresholdMs).toBeCloseTo(183.2, 9);
  });

  it('does not count a 170 ms gap at 30 fps (below avg + 150 ms, though above 3 × avg and 150 ms)', () => {
    expect(detectFreezes([...steady, 336])).toHaveLength(0);
    expect(detectFreezes([...steady, 166 + 183.2])).toHaveLength(1); // exactly at the threshold counts
  });

  it('needs 5 gaps before detecting', () => {
    expect(detectFreezes([0, 33, 66, 1000, 1033, 1066])).toHaveLength(0);
  });

  it('averages over the last 30 gaps only', () => {
    // 31 gaps of 100 ms then 30 gaps of 10 ms: avg of the window is 10 → threshold 160.
    const times = [0];
    for (let i = 0; i < 31; i += 1) times.push(times[times.length - 1]! + 100);
    for (let i = 0; i < 30; i += 1) times.push(times[times.length - 1]! + 10);
    expect(detectFreezes([...times, times[times.length - 1]! + 165])).toHaveLength(1);
    expect(detectFreezes([...times, times[times.length - 1]! + 155])).toHaveLength(0);
  });
});

describe('packets and feedback', () => {
  const packet = (side: 'sender' | 'receiver', dir: 'in' | 'out', seq: number, timeMs: number, extra: Partial<PacketRecord> = {}): PacketRecord => ({
    type: 'packet', side, dir, ssrc: 1, seq, pt: 96, kind: 'media', size: 1000, timeMs, ...extra,
  });

  it('counts per kind, recovered packets, and residual loss across a sequence wrap', () => {
    const packets: PacketRecord[] = [
      packet('sender', 'out', 65534, 0),
      packet('sender', 'out', 65535, 1),
      packet('sender', 'out', 0, 2),
      packet('sender', 'out', 1, 3),
      packet('sender', 'out', 7, 4, { kind: 'fec', ssrc: 2, size: 500 }),
      packet('sender', 'out', 3, 30, { kind: 'rtx', ssrc: 3, size: 1002, originalSeq: 65535 }),
      packet('receiver', 'in', 65534, 20),
      packet('receiver', 'in', 0, 22),
      packet('receiver', 'in', 7, 24, { kind: 'fec', ssrc: 2, size: 500 }),
      packet('receiver', 'in', 1, 25, { recoveredBy: 'fec' }),
    ];
    const summary = summarizePackets(packets);
    expect(summary.sent.media).toEqual({ count: 4, bytes: 4000 });
    expect(summary.sent.fec).toEqual({ count: 1, bytes: 500 });
    expect(summary.sent.rtx).toEqual({ count: 1, bytes: 1002 });
    expect(summary.received.media).toEqual({ count: 2, bytes: 2000 });
    expect(summary.recovered).toEqual({ fec: 1, rtx: 0 });
    expect(summary.residualLoss).toBe(0.25); // 65535 neither arrived nor was recovered
  });

  it('residual loss is unknown without receiver packet records', () => {
    expect(summarizePackets([packet('sender', 'out', 1, 0)]).residualLoss).toBeNull();
  });

  it('bins bitrate per kind in bits per second', () => {
    const series = bitrateSeries(
      [packet('sender', 'out', 1, 100), packet('sender', 'out', 2, 900, { size: 500, kind: 'fec' }), packet('sender', 'out', 3, 1500, { size: 250 })],
      0,
      1000,
    );
    expect(series.binStartS).toEqual([0, 1]);
    expect(series.totalBps).toEqual([12_000, 2_000]);
    expect(series.byKind.media).toEqual([8_000, 2_000]);
    expect(series.byKind.fec).toEqual([4_000, 0]);
  });

  it('counts feedback by kind and direction, keyframe requests and NACKed seqs', () => {
    const summary = summarizeFeedback([
      { type: 'feedback', side: 'receiver', dir: 'out', kind: 'nack', timeMs: 1, seqs: [4, 5] },
      { type: 'feedback', side: 'receiver', dir: 'out', kind: 'nack', timeMs: 2, seqs: [9] },
      { type: 'feedback', side: 'receiver', dir: 'out', kind: 'pli', timeMs: 3 },
      { type: 'feedback', side: 'receiver', dir: 'out', kind: 'fir', timeMs: 4 },
      { type: 'feedback', side: 'sender', dir: 'in', kind: 'pli', timeMs: 5 },
    ]);
    expect(summary).toEqual({
      byKind: { nack: { sent: 2, received: 0 }, pli: { sent: 1, received: 1 }, fir: { sent: 1, received: 0 } },
      nackedSeqs: 3,
      keyframeRequests: 2,
      keyframeRequestsReceived: 1,
    });
  });
});

describe('synthetic 30 fps run', () => {
  const run = syntheticRun();
  const records = sortRecords([...run.sender, ...run.receiver, ...run.run]);
  const metrics = computeRunMetrics(records);

  it('counts frames as constructed: 11 lost, 1 incomplete, 1 dropped, 2 unreadable', () => {
    const frames = metrics.summary.frames;
    expect(frames).toMatchObject({ captured: 300, sent: 299, senderDropped: 1, received: 288, displayed: 287, unreadableMarkers: 2 });
    expect(frames.neverDisplayed).toBe(13);
    expect(frames.neverDisplayedByReason).toEqual({ 'not-received': 11, 'receiver:incomplete': 1, 'sender:encoder-dropped': 1 });
    expect(metrics.summary.g2g.count).toBe(285);
    expect(records.invalid).toBe(0);
  });

  it('finds the one freeze: 10 lost frames = a gap of about 11 frame intervals', () => {
    expect(metrics.summary.freezes.count).toBe(1);
    expect(metrics.summary.freezes.totalDurationMs).toBeGreaterThan(11 * 33.3 - 4);
    expect(metrics.summary.freezes.totalDurationMs).toBeLessThan(11 * 33.4 + 4);
    expect(metrics.series.freezes[0]!.startS).toBeCloseTo(39 / 30, 1);
  });

  it('has residual loss = lost media packets / media packets sent and the feedback sent', () => {
    expect(metrics.summary.residualLoss).toBeCloseTo(55 / 1495, 12);
    expect(metrics.summary.packets.sent.media.count).toBe(1495);
    expect(metrics.summary.feedback.keyframeRequests).toBe(1);
    expect(metrics.summary.feedback.keyframeRequestsReceived).toBe(1);
  });

  it('has stage sums equal to markerRead − renderSubmit and a displayed fps near 30', () => {
    expect(metrics.summary.fps).toBeGreaterThan(28);
    expect(metrics.summary.fps).toBeLessThan(29.5); // 287 displays over ~9.97 s
    for (const name of STAGE_NAMES) expect(metrics.summary.stages[name].count).toBe(285);
    expect(metrics.series.stagesOverTime.binStartS.length).toBe(10);
  });
});
