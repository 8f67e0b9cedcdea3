/** results.chromium: rvfc coverage and libwebrtc's counters beside the lab's wire truth (lab/metrics/chromium.ts). */
import { describe, expect, it } from 'vitest';
import { computeChromium } from '../../lab/metrics/chromium.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import type { RecoverySummary } from '../../lab/results/schema.ts';
import type { LinkFateRecord } from '../../src/link/fate.ts';

const inbound = (values: Record<string, number | string>) => ({ type: 'peer-stats', side: 'receiver', peer: 'chromium', timeMs: 5000, reports: [{ type: 'inbound-rtp', id: 'IT01', values: { kind: 'video', ...values } }] });
const chromeFrame = (presentedFrames: number, marker = 'ok') => ({
  type: 'frame', side: 'receiver', peer: 'chromium', rtpTimestamp: presentedFrames * 3000, frameId: presentedFrames, captureMs: 1000 + 33 * presentedFrames, decodeDoneMs: 1040 + 33 * presentedFrames, markerReadMs: 1050 + 33 * presentedFrames, marker,
  rvfc: { callbackMs: 1045 + 33 * presentedFrames, presentationMs: 1040 + 33 * presentedFrames, expectedDisplayMs: 1060 + 33 * presentedFrames, presentedFrames, width: 640, height: 360 },
});
const senderFrame = (frameId: number) => ({ type: 'frame', side: 'sender', frameId, captureMs: 0, renderSubmitMs: 0, renderDoneMs: 0, copyDoneMs: 0, convertDoneMs: 0, packets: 1, firstSeq: frameId, lastSeq: frameId, firstPacketSentMs: 10 * frameId, keyframe: frameId === 1 });
// one media packet per frame (seq = frame id), on SSRC 1; the fate log delivers all but `dropped`
const wire = (frames: number[], dropped: number[] = []) => ({
  packets: frames.map((seq) => ({ type: 'packet', side: 'sender', dir: 'out', ssrc: 1, seq, pt: 102, kind: 'media', size: 1000, timeMs: 10 * seq })),
  fates: frames.map((seq) => ({ type: 'fate', side: 'link', dir: 'up', id: seq, size: 1040, readMs: 10 * seq, enqueueMs: 10 * seq, ssrc: 1, seq, ...(dropped.includes(seq) ? { drop: 'loss' } : { releaseMs: 10 * seq + 30 }) }) as unknown as LinkFateRecord),
});
const feedbackIn = (kind: string) => ({ type: 'feedback', side: 'sender', dir: 'in', kind, timeMs: 100 });
const recovery = { totals: { dropped: 4 }, fecScheme: 'flexfec', rtxSent: 6, rtxDropped: 1, fecPacketsSent: 30, fecPacketsDropped: 2 } as unknown as RecoverySummary;
const downDrop = { type: 'fate', side: 'link', dir: 'down', id: 1, size: 80, readMs: 1, enqueueMs: 1, drop: 'loss' } as unknown as LinkFateRecord;

describe('computeChromium', () => {
  it('is null when Chromium did not receive', () => {
    expect(computeChromium({ records: sortRecords([senderFrame(1)]), fates: null, recovery: null })).toBeNull();
  });

  it('counts rvfc coverage: callbacks, markers read, frames presented between callbacks and never presented', () => {
    const records = sortRecords([chromeFrame(1), chromeFrame(2), chromeFrame(5, 'check-failed'), chromeFrame(6), inbound({ framesDecoded: 9 }), ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map(senderFrame)]);
    const c = computeChromium({ records, fates: null, recovery: null })!;
    expect(c.rvfc).toMatchObject({ calledBack: 4, markersRead: 3, markerReadRatio: 0.75, presentedNotCalledBack: 2, decodedNotPresented: 3 });
    expect(c.rvfc.g2gToExpectedDisplayMs.p50).toBe(60);
    expect(c.crossChecks.find((x) => x.counter === 'frames decoded')).toMatchObject({ chromium: 9, lab: 9, agree: true });
  });

  it('holds each counter against the wire truth within its tolerance and names the ones that disagree', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const { packets, fates } = wire(ids);
    const records = sortRecords([
      chromeFrame(1), ...ids.map(senderFrame), ...packets, feedbackIn('nack'), feedbackIn('nack'), feedbackIn('pli'),
      inbound({ framesDecoded: 10, nackCount: 3, pliCount: 1, retransmittedPacketsReceived: 5, packetsLost: 4, fecPacketsReceived: 27 }),
    ]);
    const c = computeChromium({ records, fates: [...fates, downDrop], recovery })!;
    const verdicts = Object.fromEntries(c.crossChecks.map((x) => [x.counter, [x.chromium, x.lab, x.agree]]));
    expect(verdicts).toEqual({
      'frames decoded': [10, 10, true],
      // one more NACK than arrived: the link dropped one packet on the way back
      'NACK packets': [3, 2, true],
      'PLI packets': [1, 1, true],
      'retransmitted packets received': [5, 5, true],
      'media packets lost': [4, 4, true],
      // 28 FEC packets delivered, libwebrtc saw 27
      'FEC packets received': [27, 28, false],
    });
    expect(c.disagreements).toEqual(['FEC packets received']);
    // with no packet lost on the way back, a NACK the sender never got is a disagreement
    const strict = computeChromium({ records, fates, recovery })!;
    expect(strict.disagreements).toEqual(['NACK packets', 'FEC packets received']);
  });

  it('allows the NACKs Chromium sent after the sender stopped listening', () => {
    const at = (timeMs: number, nackCount: number) => ({ ...inbound({ nackCount }), timeMs });
    const stopped = { type: 'event', side: 'orchestrator', timeMs: 2000, name: 'child-stopped', detail: { role: 'sender' } };
    const base = [chromeFrame(1), at(1000, 2), at(5000, 4), feedbackIn('nack'), feedbackIn('nack')];
    const nackRow = (objects: unknown[]) => computeChromium({ records: sortRecords(objects), fates: [], recovery: null })!.crossChecks.find((x) => x.counter === 'NACK packets');
    expect(nackRow([...base, stopped])).toMatchObject({ chromium: 4, lab: 2, agree: true, tolerance: { below: 0, above: 2 } });
    expect(nackRow(base)).toMatchObject({ chromium: 4, lab: 2, agree: false });
  });

  it('expects no frame decoded from an unrepaired loss to the next keyframe', () => {
    const ids = [1, 2, 3, 4, 5, 6];
    // frame 3 loses its only packet, nothing repairs it: 3 and the delta frames after it cannot decode
    const { packets, fates } = wire(ids, [3]);
    const records = sortRecords([chromeFrame(1), ...ids.map(senderFrame), ...packets, inbound({ framesDecoded: 2 })]);
    const c = computeChromium({ records, fates, recovery: null })!;
    expect(c.crossChecks.find((x) => x.counter === 'frames decoded')).toMatchObject({ chromium: 2, lab: 2, agree: true });
    // an RTX copy the link delivered repairs it
    const rtx = { type: 'packet', side: 'sender', dir: 'out', ssrc: 9, seq: 500, pt: 103, kind: 'rtx', size: 1002, timeMs: 45, originalSeq: 3 };
    const rtxFate = { type: 'fate', side: 'link', dir: 'up', id: 99, size: 1042, readMs: 45, enqueueMs: 45, releaseMs: 75, ssrc: 9, seq: 500 } as unknown as LinkFateRecord;
    const repaired = computeChromium({ records: sortRecords([chromeFrame(1), ...ids.map(senderFrame), ...packets, rtx, inbound({ framesDecoded: 6 })]), fates: [...fates, rtxFate], recovery: null })!;
    expect(repaired.crossChecks.find((x) => x.counter === 'frames decoded')).toMatchObject({ chromium: 6, lab: 6, agree: true });
  });

  it("applies libwebrtc's sequence rule: a lost ULPFEC packet in RED is a gap the following delta frames wait on", () => {
    // frames on even seqs, each followed by its ULPFEC packet (in RED on the media SSRC) on the odd seq
    const ids = [2, 4, 6, 8, 10];
    const frames = ids.map((seq) => ({ ...senderFrame(seq), keyframe: seq === 2 }));
    const { packets, fates } = wire([...ids, 3, 5, 7, 9, 11], [5]);
    const withFec = packets.map((p) => (p.seq % 2 === 1 ? { ...p, kind: 'fec' } : p));
    const records = sortRecords([chromeFrame(1), ...frames, ...withFec, inbound({ framesDecoded: 2 })]);
    const c = computeChromium({ records, fates, recovery: null })!;
    const rows = Object.fromEntries(c.crossChecks.map((x) => [x.counter, [x.chromium, x.lab, x.agree]]));
    // every media packet arrived: the wire allowed all five; across the gap at 5, libwebrtc decodes 2 and 4
    expect(rows['frames decoded']).toEqual([2, 5, false]);
    expect(rows['frames decoded (sequence rule)']).toEqual([2, 2, true]);
  });
});
