import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeRecovery } from '../../lab/metrics/recovery.ts';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import { FLEX_SSRC, MEDIA_SSRC, RTX_SSRC, WireBuilder } from './recovery-fixtures.ts';

/** Largest stopping set inside the missing packets: every arrived FEC covers 0 or ≥ 2 of it. Brute force over subsets. */
function bruteForceRecoverable(missing: number[], fec: { arrived: boolean; covers: number[] }[]): number {
  let largestStopping = 0;
  for (let mask = 0; mask < 1 << missing.length; mask++) {
    const set = new Set(missing.filter((_, i) => (mask >> i) & 1));
    const stopping = fec.every((f) => !f.arrived || new Set(f.covers.filter((c) => set.has(c))).size !== 1);
    if (stopping) largestStopping = Math.max(largestStopping, set.size);
  }
  return missing.length - largestStopping;
}

const packetPlan = fc.record({
  fate: fc.constantFrom('ok', 'drop', 'dup-ok', 'dup-drop', 'drop-copy-ok'),
  recovery: fc.constantFrom('none', 'fec', 'rtx', 'rtx-late-event', 'fec-frame-late'),
  delayMs: fc.integer({ min: 1, max: 400 }),
  nack: fc.boolean(),
  rtxCopies: fc.integer({ min: 0, max: 2 }),
});

describe('recovery properties', () => {
  it('every dropped media packet is classified exactly once and the totals add up', () => {
    fc.assert(
      fc.property(fc.array(packetPlan, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 65535 }), (plans, firstSeq) => {
        const wire = new WireBuilder();
        let expectedDropped = 0;
        let rtxSeq = 0;
        plans.forEach((plan, i) => {
          const seq = (firstSeq + i) & 0xffff;
          const t = i * 5;
          const fate = plan.fate === 'ok' ? 'ok' : plan.fate === 'drop' ? 'drop' : plan.fate === 'dup-ok' ? { original: 'ok' as const, copy: 'drop' as const } : plan.fate === 'dup-drop' ? { original: 'drop' as const, copy: 'drop' as const } : { original: 'drop' as const, copy: 'ok' as const };
          const isDropped = plan.fate === 'drop' || plan.fate === 'dup-drop';
          if (isDropped) expectedDropped += 1;
          wire.send('media', MEDIA_SSRC, seq, t, fate, { rtpTimestamp: 1000 + i, arrive: !isDropped });
          if (plan.nack) wire.nack([seq], t + 30);
          for (let k = 0; k < plan.rtxCopies; k++) wire.send('rtx', RTX_SSRC, rtxSeq++, t + 40 + k * 10, k === 0 ? 'drop' : 'ok', { originalSeq: seq });
          if (!isDropped || plan.recovery === 'none') return;
          const at = t + plan.delayMs;
          if (plan.recovery === 'fec' || plan.recovery === 'fec-frame-late') wire.recover(seq, 'fec', at, 1000 + i);
          else wire.recover(seq, 'rtx', at, 1000 + i);
          if (plan.recovery === 'rtx-late-event') wire.event('receiver', 'too-late', at, { seq, by: 'rtx', afterMs: plan.delayMs });
          if (plan.recovery === 'fec-frame-late') wire.frame({ rtpTimestamp: 1000 + i, firstPacketMs: t, lastPacketMs: at - 0.5, packets: 1, notDisplayed: 'incomplete:age' });
        });
        const result = computeRecovery({ records: wire.records(), fates: wire.fates, originMs: 0, freezes: 0 })!;
        const { totals, overTime } = result.summary;
        expect(totals.dropped).toBe(expectedDropped);
        expect(totals.fec + totals.rtx + totals.tooLate + totals.never).toBe(totals.dropped);
        expect(result.dropped).toHaveLength(totals.dropped);
        expect(new Set(result.dropped.map((d) => d.packet)).size).toBe(totals.dropped);
        const binSum = overTime.bins.reduce((sum, b) => sum + b.dropped, 0);
        expect(binSum).toBe(totals.dropped);
        for (const b of overTime.bins) expect(b.fec + b.rtx + b.tooLate + b.never).toBe(b.dropped);
        expect(result.summary.mediaPacketsSent).toBe(plans.length);
      }),
      { numRuns: 200 },
    );
  });

  it('fecRecoverable equals a brute-force count and never exceeds the drops', () => {
    const block = fc
      .integer({ min: 1, max: 8 })
      .chain((k) =>
        fc.record({
          k: fc.constant(k),
          mediaLost: fc.array(fc.boolean(), { minLength: k, maxLength: k }),
          fec: fc.array(fc.record({ lost: fc.boolean(), covers: fc.uniqueArray(fc.integer({ min: 0, max: k - 1 }), { minLength: 1, maxLength: k }) }), { minLength: 1, maxLength: 4 }),
        }),
      );
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 3 }), (blocks) => {
        const wire = new WireBuilder();
        let seq = 100;
        let fecSeq = 0;
        let expected = 0;
        let lostMedia = 0;
        blocks.forEach((b, n) => {
          const t = n * 100;
          const mediaSeqs = Array.from({ length: b.k }, () => seq++);
          mediaSeqs.forEach((s, i) => wire.send('media', MEDIA_SSRC, s, t + i, b.mediaLost[i] ? 'drop' : 'ok'));
          const fecSeqs = b.fec.map(() => fecSeq++);
          fecSeqs.forEach((s, i) => wire.send('fec', FLEX_SSRC, s, t + 10 + i, b.fec[i]!.lost ? 'drop' : 'ok'));
          wire.fecBlock(mediaSeqs, FLEX_SSRC, fecSeqs, b.fec.map((f) => f.covers), t);
          const missing = b.mediaLost.flatMap((lost, i) => (lost ? [i] : []));
          lostMedia += missing.length;
          expected += bruteForceRecoverable(missing, b.fec.map((f) => ({ arrived: !f.lost, covers: f.covers })));
        });
        const { summary } = computeRecovery({ records: wire.records(), fates: wire.fates, originMs: 0, freezes: 0 })!;
        expect(summary.fecRecoverable).toBe(expected);
        expect(summary.fecRecoverable!).toBeLessThanOrEqual(summary.totals.dropped);
        expect(summary.totals.dropped).toBe(lostMedia);
      }),
      { numRuns: 300 },
    );
  });

  it('malformed or partial records never throw', () => {
    const junk = fc.oneof(
      fc.anything(),
      fc.record({
        type: fc.constantFrom('packet', 'feedback', 'event', 'fec-block', 'frame'),
        side: fc.constantFrom('sender', 'receiver', 'link'),
        dir: fc.constantFrom('in', 'out'),
        kind: fc.constantFrom('media', 'rtx', 'fec', 'nack', 'pli'),
        ssrc: fc.constantFrom(MEDIA_SSRC, RTX_SSRC, FLEX_SSRC),
        seq: fc.integer({ min: 0, max: 20 }),
        size: fc.integer({ min: 0, max: 1500 }),
        timeMs: fc.double({ min: 0, max: 1000, noNaN: true }),
        seqs: fc.anything(),
        originalSeq: fc.anything(),
        recoveredBy: fc.constantFrom('fec', 'rtx', 'bogus', undefined),
        name: fc.constantFrom('too-late', 'gap-skipped', 'nack-given-up', 'rtx-refused', 'fec-rates'),
        detail: fc.anything(),
        mediaSeqs: fc.array(fc.integer({ min: 0, max: 20 })),
        fecSeqs: fc.array(fc.integer({ min: 0, max: 20 })),
        covers: fc.anything(),
        fecSsrc: fc.constant(FLEX_SSRC),
        rate255: fc.integer({ min: 0, max: 255 }),
        rtpTimestamp: fc.anything(),
        notDisplayed: fc.anything(),
        firstPacketMs: fc.double({ min: 0, max: 1000, noNaN: true }),
        lastPacketMs: fc.double({ min: 0, max: 1000, noNaN: true }),
        packets: fc.integer({ min: 0, max: 10 }),
      }, { requiredKeys: ['type', 'side'] }),
    );
    const fate = fc.record({
      type: fc.constant('fate' as const),
      side: fc.constant('link' as const),
      dir: fc.constantFrom('up' as const, 'down' as const),
      id: fc.integer({ min: 0, max: 5 }),
      size: fc.integer({ min: 0, max: 1500 }),
      ssrc: fc.option(fc.constantFrom(MEDIA_SSRC, RTX_SSRC, FLEX_SSRC), { nil: undefined }),
      seq: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      enqueueMs: fc.double({ min: 0, max: 1000, noNaN: true }),
      drop: fc.option(fc.constantFrom('loss' as const, 'queue' as const), { nil: undefined }),
      duplicate: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(junk, { maxLength: 40 }), fc.array(fate, { maxLength: 30 }), (objects, fates) => {
        const result = computeRecovery({ records: sortRecords(objects), fates: fates, originMs: 0, freezes: 0 });
        expect(result).not.toBeNull();
        const t = result!.summary.totals;
        expect(t.fec + t.rtx + t.tooLate + t.never).toBe(t.dropped);
      }),
      { numRuns: 300 },
    );
  });
});
