/**
 * The record schemas (src/shared/record-schemas.ts) on the reading side: any JSON never throws
 * and every object lands in exactly one place; records as the writers type them survive the
 * NDJSON round trip into their kind; a mistyped field makes the record invalid, never trusted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortRecords } from '../../lab/metrics/run-records.ts';
import type { EventRecord, FecBlockRecord, FeedbackRecord, LabRecord, PacketRecord, ReceiverFrameRecord, SenderFrameRecord } from '../../src/shared/records.ts';

const time = fc.double({ min: 0, max: 1e9, noNaN: true });
const uint16 = fc.integer({ min: 0, max: 0xffff });
const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const side = fc.constantFrom('sender', 'receiver', 'relay', 'link', 'orchestrator' as const);

const senderFrame: fc.Arbitrary<SenderFrameRecord> = fc.record(
  {
    type: fc.constant('frame' as const), side: fc.constant('sender' as const), frameId: fc.nat(), captureMs: time, renderSubmitMs: time, renderDoneMs: time, copyDoneMs: time, convertDoneMs: time,
    encodeDoneMs: time, keyframe: fc.boolean(), bytes: fc.nat(), rtpTimestamp: uint32, firstSeq: uint16, dropped: fc.string(),
  },
  { requiredKeys: ['type', 'side', 'frameId', 'captureMs', 'renderSubmitMs', 'renderDoneMs', 'copyDoneMs', 'convertDoneMs'] },
);
const receiverFrame: fc.Arbitrary<ReceiverFrameRecord> = fc.record(
  {
    type: fc.constant('frame' as const), side: fc.constant('receiver' as const), rtpTimestamp: uint32, firstPacketMs: time, lastPacketMs: time, packets: fc.nat(),
    frameId: fc.nat(), marker: fc.constantFrom('ok', 'check-failed', 'too-small' as const), recoveredFec: fc.nat(), notDisplayed: fc.string(),
  },
  { requiredKeys: ['type', 'side', 'rtpTimestamp', 'firstPacketMs', 'lastPacketMs', 'packets'] },
);
const packet: fc.Arbitrary<PacketRecord> = fc.record(
  {
    type: fc.constant('packet' as const), side, dir: fc.constantFrom('in', 'out' as const), ssrc: uint32, seq: uint16, pt: fc.integer({ min: 0, max: 127 }),
    kind: fc.constantFrom('media', 'rtx', 'fec', 'padding' as const), size: fc.nat(), timeMs: time, originalSeq: uint16, recoveredBy: fc.constantFrom('fec', 'rtx' as const), queueMs: time,
  },
  { requiredKeys: ['type', 'side', 'dir', 'ssrc', 'seq', 'pt', 'kind', 'size', 'timeMs'] },
);
const feedback: fc.Arbitrary<FeedbackRecord> = fc.record(
  {
    type: fc.constant('feedback' as const), side, dir: fc.constantFrom('in', 'out' as const), kind: fc.constantFrom('nack', 'pli', 'fir', 'rr', 'sr', 'twcc', 'ccfb', 'remb' as const), timeMs: time,
    seqs: fc.array(uint16), fractionLost: fc.double({ min: 0, max: 1, noNaN: true }), bitrateBps: fc.nat(), by: fc.constantFrom('lab', 'werift' as const),
  },
  { requiredKeys: ['type', 'side', 'dir', 'kind', 'timeMs'] },
);
const event: fc.Arbitrary<EventRecord> = fc.record(
  {
    type: fc.constant('event' as const), side, timeMs: time, name: fc.string(),
    detail: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(fc.integer()))),
  },
  { requiredKeys: ['type', 'side', 'timeMs', 'name'] },
);
const fecBlock: fc.Arbitrary<FecBlockRecord> = fc.array(uint16, { minLength: 1, maxLength: 8 }).chain((mediaSeqs) =>
  fc.array(fc.tuple(uint16, fc.array(fc.integer({ min: 0, max: mediaSeqs.length - 1 }))), { maxLength: 4 }).chain((fec) =>
    fc.record({
      type: fc.constant('fec-block' as const), side: fc.constant('sender' as const), timeMs: time, ssrc: uint32, mediaSeqs: fc.constant(mediaSeqs), fecSsrc: uint32,
      fecSeqs: fc.constant(fec.map(([seq]) => seq)), covers: fc.constant(fec.map(([, cover]) => cover)), keyframe: fc.boolean(), rate255: fc.integer({ min: 0, max: 255 }),
    }),
  ),
);

const anyRecord: fc.Arbitrary<LabRecord> = fc.oneof(senderFrame, receiverFrame, packet, feedback, event, fecBlock);
const total = (r: ReturnType<typeof sortRecords>): number => r.senderFrames.length + r.receiverFrames.length + r.packets.length + r.feedback.length + r.events.length + r.fecBlocks.length + r.invalid;

describe('record schemas on reading', () => {
  it('any JSON value is sorted or counted invalid, never thrown', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), (values) => {
        expect(total(sortRecords(values))).toBe(values.length);
      }),
    );
  });

  it('records as written come back, after JSON, in their kind and unchanged', () => {
    fc.assert(
      fc.property(fc.array(anyRecord, { maxLength: 20 }), (records) => {
        const read = sortRecords(records.map((r) => JSON.parse(JSON.stringify(r)) as unknown));
        expect(read.invalid).toBe(0);
        const back: unknown[] = [...read.senderFrames, ...read.receiverFrames, ...read.packets, ...read.feedback, ...read.events, ...read.fecBlocks];
        expect(back).toHaveLength(records.length);
        for (const record of records) expect(back).toContainEqual(JSON.parse(JSON.stringify(record)));
      }),
    );
  });

  it('one mistyped or out-of-range field makes the record invalid', () => {
    const packetRecord: PacketRecord = { type: 'packet', side: 'sender', dir: 'out', ssrc: 1, seq: 2, pt: 96, kind: 'media', size: 1200, timeMs: 5 };
    for (const broken of [{ seq: 70_000 }, { kind: 'video' }, { timeMs: '5' }, { pt: 200 }, { ssrc: -1 }]) {
      expect(sortRecords([{ ...packetRecord, ...broken }]).invalid, JSON.stringify(broken)).toBe(1);
    }
    expect(sortRecords([{ type: 'fec-block', side: 'sender', timeMs: 1, ssrc: 1, mediaSeqs: [1, 2], fecSsrc: 2, fecSeqs: [9], covers: [[0, 2]], keyframe: false, rate255: 10 }]).invalid).toBe(1);
    expect(sortRecords([{ type: 'event', side: 'receiver', timeMs: 1, name: 'x', detail: { nested: { a: 1 } } }]).invalid).toBe(1);
    // extra fields a newer writer adds are kept
    expect(sortRecords([{ ...packetRecord, future: 'field' }]).packets[0]).toMatchObject({ future: 'field' });
  });
});
