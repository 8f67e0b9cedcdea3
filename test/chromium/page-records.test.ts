/** The Chromium page's drained records at the boundary, and the page clock's mapping. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameRecordOf, pageDrainSchema, statsRecordOf, type PageFrame } from '../../src/receiver/chromium/page-records.ts';
import { measureClockMapping, PAGE_CLOCK_RESOLUTION_MS } from '../../src/chromium/clock-mapping.ts';
import { receiverFrameRecordSchema, peerStatsRecordSchema } from '../../src/shared/record-schemas.ts';

const frame: PageFrame = {
  callbackMs: 1000, readDoneMs: 1006.5, rtpTimestamp: 3000, presentationMs: 990, expectedDisplayMs: 1016.7, receiveMs: 975, captureMs: null,
  processingDurationMs: 1.8, presentedFrames: 12, width: 640, height: 360, marker: 'ok', frameId: 41, captureTimeNs: '5000000123456',
};

describe('page records', () => {
  it('maps a page frame onto CLOCK_MONOTONIC with the schema the lab receiver writes', () => {
    const record = frameRecordOf(frame, 4_000_000)!;
    expect(receiverFrameRecordSchema.safeParse(record).success).toBe(true);
    expect(record).toMatchObject({ peer: 'chromium', rtpTimestamp: 3000, frameId: 41, captureMs: 5_000_000.123456, lastPacketMs: 4_000_975, decodeDoneMs: 4_000_990, markerReadMs: 4_001_006.5, marker: 'ok' });
    expect(record.rvfc).toEqual({ callbackMs: 4_001_000, presentationMs: 4_000_990, expectedDisplayMs: 4_001_016.7, processingDurationMs: 1.8, presentedFrames: 12, width: 640, height: 360 });
    expect(record.firstPacketMs).toBeUndefined();
  });

  it('leaves out what the page did not have; a frame without an RTP timestamp is no record', () => {
    const unread = frameRecordOf({ ...frame, marker: 'check-failed', frameId: null, captureTimeNs: null, receiveMs: null, processingDurationMs: null }, 0)!;
    expect(unread.frameId).toBeUndefined();
    expect(unread.captureMs).toBeUndefined();
    expect(unread.lastPacketMs).toBeUndefined();
    expect(frameRecordOf({ ...frame, rtpTimestamp: null }, 0)).toBeUndefined();
  });

  it('maps a getStats sample', () => {
    const stats = statsRecordOf({ timeMs: 10, reports: [{ type: 'inbound-rtp', id: 'IT01', values: { kind: 'video', nackCount: 3 } }] }, 100);
    expect(peerStatsRecordSchema.safeParse(stats).success).toBe(true);
    expect(stats.timeMs).toBe(110);
  });

  it('never throws past the boundary on whatever the page hands over', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = pageDrainSchema.safeParse(value);
        expect(typeof parsed.success).toBe('boolean');
      }),
    );
    expect(pageDrainSchema.safeParse({ frames: [{ ...frame, captureTimeNs: '12x' }], stats: [], problems: [] }).success).toBe(false);
    expect(pageDrainSchema.safeParse({ frames: [{ ...frame, rtpTimestamp: 2 ** 32 }], stats: [], problems: [] }).success).toBe(false);
  });
});

describe('page clock mapping', () => {
  it('finds the offset within the bound it states, whatever the round trips', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double({ min: -1e7, max: 1e7, noNaN: true }), fc.array(fc.tuple(fc.double({ min: 0, max: 5, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true })), { minLength: 1, maxLength: 20 }), async (offset, trips) => {
          // monotonic time advances by each sample's outbound and return delays; the page reads in between
          let now = 1e6;
          let i = 0;
          const monotonic = (): number => now;
          const pageNow = (): Promise<number> => {
            const [out, back] = trips[i++ % trips.length]!;
            now += out;
            const page = now - offset;
            now += back;
            return Promise.resolve(page);
          };
          const mapping = await measureClockMapping(pageNow, monotonic, trips.length);
          expect(Math.abs(mapping.offsetMs - offset)).toBeLessThanOrEqual(mapping.errorBoundMs - PAGE_CLOCK_RESOLUTION_MS + 1e-6);
        }),
    );
  });
});

describe('process tree CPU', () => {
  it('parses /proc/<pid>/stat, command names with spaces and parentheses included', async () => {
    const { parseProcStat, processTreeCpuMs } = await import('../../src/chromium/process-tree-cpu.ts');
    const line = '4242 (chrome (renderer) x) S 4200 4200 4200 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 12 0 123 456 789';
    expect(parseProcStat(line)).toEqual({ ppid: 4200, cpuMs: 3000 });
    expect(parseProcStat('garbage')).toBeUndefined();
    // this process is its own tree's root: some CPU, and a gone pid has none
    expect(processTreeCpuMs(process.pid)).toBeGreaterThan(0);
    expect(processTreeCpuMs(2 ** 22 + 12345)).toBe(0);
  });
});
