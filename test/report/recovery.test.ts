import { describe, expect, it } from 'vitest';
import { computeRecovery, type RecoveryInput } from '../../lab/metrics/recovery.ts';
import { recoverySentence } from '../../lab/report/recovery-section.ts';
import { DELAY_MS, FLEX_SSRC, MEDIA_SSRC, RTX_SSRC, WireBuilder } from './recovery-fixtures.ts';

function analyze(wire: WireBuilder, extra: Partial<RecoveryInput> = {}) {
  const result = computeRecovery({ records: wire.records(), fates: wire.fates, originMs: 0, freezes: 0, ...extra });
  if (result === null) throw new Error('expected a recovery section');
  return result;
}

/** media seqs 1..n sent 1 ms apart from `t0`; `dropped` seqs lost on the link */
function frame(wire: WireBuilder, seqs: number[], t0: number, dropped: number[] = [], rtpTimestamp = 9000): WireBuilder {
  seqs.forEach((seq, i) => wire.send('media', MEDIA_SSRC, seq, t0 + i, dropped.includes(seq) ? 'drop' : 'ok', { rtpTimestamp }));
  return wire;
}

describe('recovery from wire truth', () => {
  it('is null without a fate log', () => {
    const wire = frame(new WireBuilder(), [1, 2], 0);
    expect(computeRecovery({ records: wire.records(), fates: null, originMs: 0, freezes: 0 })).toBeNull();
  });

  it('counts a FlexFEC recovery, and the masks agree (fecRecoverable)', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3, 4], 1000, [2]);
    wire.send('fec', FLEX_SSRC, 10, 1004).fecBlock([1, 2, 3, 4], FLEX_SSRC, [10], [[0, 1, 2, 3]], 1000).recover(2, 'fec', 1004 + DELAY_MS, 9000);
    const { summary, dropped } = analyze(wire, { protection: { mode: 'fec', fec: 'flexfec', mask: 'random' } });
    expect(summary.totals).toEqual({ dropped: 1, fec: 1, rtx: 0, tooLate: 0, never: 0 });
    expect(summary.fecRecoveryRatio).toBe(1);
    expect(summary.fecRecoverable).toBe(1);
    expect(summary.fecScheme).toBe('flexfec');
    expect(summary.maskType).toBe('random');
    expect(summary.fecOverhead).toBeCloseTo(1000 / 4000, 12);
    expect(summary.mediaPacketsSent).toBe(4);
    expect(dropped[0]!.packet.seq).toBe(2);
    expect(summary.residualLoss).toBe(0);
  });

  it('names the rate table the sender reported and how far it is from libwebrtc\'s; null without the event', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3, 4], 1000, [2]);
    expect(analyze(wire).summary.rateTable).toBeNull();
    const records = wire.records();
    const detail = { source: '/tmp/tuned.json', rows: 50, comparedCells: 6450, differingCells: 312, maxAbsDiff: 40, meanDiff: 3.1 };
    records.events.push({ type: 'event', side: 'sender', timeMs: 0, name: 'fec-rate-table', detail });
    const result = computeRecovery({ records, fates: wire.fates, originMs: 0, freezes: 0 });
    expect(result?.summary.rateTable).toEqual(detail);
    records.events[records.events.length - 1]!.detail = { ...detail, rows: 'fifty' };
    expect(computeRecovery({ records, fates: wire.fates, originMs: 0, freezes: 0 })?.summary.rateTable).toBeNull();
  });

  it('times an RTX recovery from the drop and from the first NACK', () => {
    const wire = frame(new WireBuilder(), [5, 6, 7], 100, [5]);
    // drop at 100.1 (enqueue); NACKs at 130 and 160; RTX sent at 150, arrives at 170
    wire.nack([5], 130).nack([5], 160).send('rtx', RTX_SSRC, 1, 150, 'ok', { originalSeq: 5 }).recover(5, 'rtx', 170, 9000);
    const { summary } = analyze(wire);
    expect(summary.mode).toBe('nack');
    expect(summary.totals).toEqual({ dropped: 1, fec: 0, rtx: 1, tooLate: 0, never: 0 });
    expect(summary.lossToRtxMs.p50).toBeCloseTo(170 - 100.1, 9);
    expect(summary.nackToRtxMs.p50).toBeCloseTo(40, 9);
    expect(summary.nacksSent).toBe(2);
    expect(summary.nackedSeqsSent).toBe(2);
    expect(summary.nacksReceived).toBe(2);
    expect(summary.rtxSent).toBe(1);
    expect(summary.rtxOverhead).toBeCloseTo(1000 / 3000, 12);
    expect(summary.spuriousRtx).toBe(0);
    expect(summary.fecScheme).toBeNull();
    expect(summary.fecRecoverable).toBeNull();
  });

  it('an RTX the link dropped is re-sent and recovers the packet', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3], 0, [2]);
    wire.nack([2], 30).send('rtx', RTX_SSRC, 1, 50, 'drop', { originalSeq: 2 });
    wire.nack([2], 100).send('rtx', RTX_SSRC, 2, 120, 'ok', { originalSeq: 2 }).recover(2, 'rtx', 140);
    const { summary } = analyze(wire);
    expect(summary.totals.rtx).toBe(1);
    expect(summary.rtxSent).toBe(2);
    expect(summary.rtxDropped).toBe(1);
    expect(summary.nackToRtxMs.p50).toBeCloseTo(110, 9);
    expect(summary.spuriousRtx).toBe(0);
  });

  it('too late: the receiver said so, the gap was skipped first, or the frame was given up without it', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3, 4, 5, 6], 0, [1, 3, 5]);
    wire.recover(1, 'rtx', 400).event('receiver', 'too-late', 400, { seq: 1, by: 'rtx', afterMs: 380 });
    wire.event('receiver', 'gap-skipped', 200, { fromSeq: 3, toSeq: 3, missingPackets: 1, reason: 'skipped' }).recover(3, 'rtx', 210);
    wire.frame({ rtpTimestamp: 9000, firstPacketMs: 21, lastPacketMs: 150, packets: 3, notDisplayed: 'incomplete:age' }).recover(5, 'fec', 300, 9000);
    const { summary, dropped } = analyze(wire);
    expect(summary.totals).toEqual({ dropped: 3, fec: 0, rtx: 0, tooLate: 3, never: 0 });
    expect(dropped.map((d) => d.lateBecause)).toEqual(['too-late-event', 'gap-skipped', 'frame-given-up']);
    expect(summary.residualLoss).toBeCloseTo(3 / 6, 12);
    // RTX recoveries that came too late still count in the loss → RTX distribution
    expect(summary.lossToRtxMs.count).toBe(2);
  });

  it('a recovery before the gap was skipped or inside the frame is in time', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3], 0, [2]);
    wire.recover(2, 'rtx', 100, 9000).event('receiver', 'gap-skipped', 150, { fromSeq: 2, toSeq: 2 });
    wire.frame({ rtpTimestamp: 9000, firstPacketMs: 20, lastPacketMs: 100, packets: 3, notDisplayed: 'incomplete:age' });
    expect(analyze(wire).summary.totals.rtx).toBe(1);
  });

  it('never: no recovery logged; NACKs given up and refusals are counted', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3], 0, [2]);
    wire.nack([2], 30).event('sender', 'rtx-refused', 50, { seq: 2, reason: 'not-in-history' }).event('sender', 'rtx-refused', 60, { seq: 2, reason: 'within-rtt' });
    wire.event('sender', 'rtx-refused', 70, { seq: 2 }).event('receiver', 'nack-given-up', 300, { seqs: [2], reason: 'max-retries' });
    const { summary } = analyze(wire);
    expect(summary.totals).toEqual({ dropped: 1, fec: 0, rtx: 0, tooLate: 0, never: 1 });
    expect(summary.neverRatio).toBe(1);
    expect(summary.rtxRefused).toEqual({ 'not-in-history': 1, 'within-rtt': 1, unknown: 1 });
    expect(summary.nackGivenUp).toBe(1);
    expect(recoverySentence(summary)).toContain('100 % never');
  });

  it('spurious RTX: for a packet that arrived, or a second one after the recovery', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3], 0, [3]);
    wire.send('rtx', RTX_SSRC, 1, 60, 'ok', { originalSeq: 2 }); // seq 2 arrived at 21
    wire.send('rtx', RTX_SSRC, 2, 70, 'ok', { originalSeq: 3 }).recover(3, 'rtx', 70 + DELAY_MS);
    wire.send('rtx', RTX_SSRC, 3, 90, 'ok', { originalSeq: 3 });
    const { summary } = analyze(wire);
    expect(summary.spuriousRtx).toBe(2);
    expect(summary.totals.rtx).toBe(1);
  });

  it("ULPFEC on the media SSRC is FEC (by the sender's kind), not media", () => {
    const wire = frame(new WireBuilder(), [1, 2, 3], 0, [2]);
    // the receiver cannot tell a ULPFEC packet from media by SSRC: it records it as media
    wire.send('fec', MEDIA_SSRC, 4, 3, 'ok', { receiverKind: 'media' }).send('fec', MEDIA_SSRC, 5, 4, 'drop');
    wire.fecBlock([1, 2, 3], MEDIA_SSRC, [4, 5], [[0, 1, 2], [1]], 0).recover(2, 'fec', 25).nack([5], 40);
    const { summary } = analyze(wire, { protection: { mode: 'hybrid', fec: 'ulpfec', mask: 'bursty' } });
    expect(summary.mediaPacketsSent).toBe(3);
    expect(summary.totals).toEqual({ dropped: 1, fec: 1, rtx: 0, tooLate: 0, never: 0 });
    expect(summary.fecPacketsSent).toBe(2);
    expect(summary.fecPacketsDropped).toBe(1);
    expect(summary.fecRecoverable).toBe(1);
    expect(summary.fecScheme).toBe('ulpfec');
  });

  it('infers ulpfec when FEC packets ride the media SSRC and no protection is given', () => {
    const wire = frame(new WireBuilder(), [1, 2], 0).send('fec', MEDIA_SSRC, 3, 2);
    expect(analyze(wire).summary.fecScheme).toBe('ulpfec');
  });

  it('duplicates: a delivered copy means the packet got through', () => {
    const wire = new WireBuilder();
    wire.send('media', MEDIA_SSRC, 1, 0, { original: 'drop', copy: 'ok' });
    wire.send('media', MEDIA_SSRC, 2, 1, { original: 'drop', copy: 'drop' });
    wire.send('media', MEDIA_SSRC, 3, 2, { original: 'ok', copy: 'drop' });
    const { summary, dropped } = analyze(wire);
    expect(summary.totals.dropped).toBe(1);
    expect(dropped[0]!.packet.seq).toBe(2);
  });

  it('sequence numbers that wrap are new packets', () => {
    const wire = new WireBuilder();
    wire.send('media', MEDIA_SSRC, 7, 0, 'drop').recover(7, 'rtx', 80);
    wire.send('media', MEDIA_SSRC, 7, 70_000, 'drop');
    const { summary } = analyze(wire);
    expect(summary.mediaPacketsSent).toBe(2);
    expect(summary.totals).toEqual({ dropped: 2, fec: 0, rtx: 1, tooLate: 0, never: 1 });
    expect(summary.overTime.bins[0]).toEqual({ dropped: 1, fec: 0, rtx: 1, tooLate: 0, never: 0 });
    expect(summary.overTime.bins[70]).toEqual({ dropped: 1, fec: 0, rtx: 0, tooLate: 0, never: 1 });
    expect(summary.overTime.startS[70]).toBe(70);
  });

  it('G2G by recovery path joins displayed frames to their recovered packets by RTP timestamp', () => {
    const wire = new WireBuilder();
    const shown = (frameId: number, rtpTimestamp: number, g2g: number) => {
      wire.sender.push({ type: 'frame', side: 'sender', frameId, captureMs: frameId * 33, renderSubmitMs: 0, renderDoneMs: 0, copyDoneMs: 0, convertDoneMs: 0, rtpTimestamp });
      wire.frame({ rtpTimestamp, frameId, captureMs: frameId * 33, firstPacketMs: 0, lastPacketMs: 0, packets: 1, markerReadMs: frameId * 33 + g2g, marker: 'ok' });
    };
    shown(1, 100, 40);
    shown(2, 200, 50);
    shown(3, 300, 120);
    shown(4, 400, 130);
    wire.send('media', MEDIA_SSRC, 1, 0).send('media', MEDIA_SSRC, 2, 30, 'drop').recover(2, 'fec', 50, 200);
    wire.send('media', MEDIA_SSRC, 3, 60, 'drop').recover(3, 'rtx', 150, 300).send('media', MEDIA_SSRC, 4, 100, 'drop').recover(4, 'fec', 120, 300);
    const { g2gByPath } = analyze(wire).summary;
    expect([g2gByPath.clean.count, g2gByPath.fec.count, g2gByPath.rtx.count]).toEqual([2, 1, 1]);
    expect(g2gByPath.fec.p50).toBe(50);
    expect(g2gByPath.rtx.p50).toBe(120);
  });

  it('FEC factors over time come from fec-rates events and fec-block records', () => {
    const wire = frame(new WireBuilder(), [1, 2], 1000).fecBlock([1, 2], FLEX_SSRC, [], [], 1500, 40);
    wire.event('sender', 'fec-rates', 2000, { key: 90, delta: 30, lossFraction255: 64, rttMs: 65 });
    const { series } = computeRecovery({ records: wire.records(), fates: wire.fates, originMs: 1000, freezes: 2 })!;
    expect(series.fecRates).toEqual([{ timeS: 1, key: 90, delta: 30, lossPercent: 25, rttMs: 65 }]);
    expect(series.blockRates).toEqual([{ timeS: 0.5, rate255: 40, keyframe: false }]);
  });

  it('the sentence reads the numbers', () => {
    const wire = frame(new WireBuilder(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0, [2, 3, 4, 5]);
    wire.send('fec', FLEX_SSRC, 1, 10).recover(2, 'fec', 30).recover(3, 'fec', 30).send('rtx', RTX_SSRC, 1, 40, 'ok', { originalSeq: 4 }).recover(4, 'rtx', 60);
    const { summary } = analyze(wire, { freezes: 2 });
    expect(recoverySentence(summary)).toBe('FEC recovered 50 % of the 4 media packets the link dropped; RTX recovered 25 %, median 56.9 ms after the loss; 25 % never; 2 freezes.');
    const clean = analyze(frame(new WireBuilder(), [1, 2], 0), { freezes: 1 }).summary;
    expect(recoverySentence(clean)).toBe('The link dropped none of the 2 media packets sent; 1 freeze.');
  });
});
