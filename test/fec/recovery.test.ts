import { describe, expect, it } from 'vitest';
import { FecError } from '../../src/shared/fec/errors.ts';
import { getMask } from '../../src/shared/fec/masks.ts';
import { RecoveryStore } from '../../src/shared/fec/recovery.ts';
import { FlexfecDecoder, FlexfecEncoder } from '../../src/shared/fec/flexfec.ts';
import { parseUlpfec, encodeUlpfec } from '../../src/shared/fec/ulpfec.ts';
import { buildMedia } from './helpers.ts';

const spec = { marker: false, payloadType: 96, timestamp: 0, csrcs: [], extension: undefined, payload: new Uint8Array(16), padding: 0 };

describe('recovery store bounds', () => {
  it('holds at most the window of media and the pending-FEC limit over a long lossy stream', () => {
    const store = new RecoveryStore({ ssrc: 1, windowPackets: 300, maxPendingFec: 40 });
    let maxMedia = 0;
    let maxPending = 0;
    // Past a seq cycle; every block loses 2 packets under one single-row FEC: never recoverable,
    // so every FEC packet stays pending until evicted.
    for (let base = 0; base < 65536 + 600; base += 12) {
      const media = Array.from({ length: 12 }, (_, i) => buildMedia({ ...spec, timestamp: base }, 1, base + i));
      const fec = encodeUlpfec(media, getMask('random', 12, 1));
      if (fec instanceof FecError) throw fec;
      media.forEach((packet, i) => {
        if (i > 1) expect(store.addMedia(packet.readUInt16BE(2), packet)).toEqual([]);
      });
      const parsed = parseUlpfec(fec[0]!);
      if (parsed instanceof FecError) throw parsed;
      expect(store.addFec(parsed)).toEqual([]);
      maxMedia = Math.max(maxMedia, store.mediaCount);
      maxPending = Math.max(maxPending, store.pendingFecCount);
    }
    expect(maxMedia).toBeLessThanOrEqual(301);
    expect(maxPending).toBeLessThanOrEqual(40);
    expect(store.stats.recovered).toBe(0);
  });

  it('FlexFEC refuses a FEC packet delayed past a media sequence-number cycle', () => {
    const decoder = new FlexfecDecoder({ ssrc: 1, fecSsrc: 2 });
    const encoder = new FlexfecEncoder({ ssrc: 2, payloadType: 118, initialSequenceNumber: 0 });
    const old = [buildMedia(spec, 1, 100), buildMedia({ ...spec, payloadType: 97 }, 1, 101)];
    const stale = encoder.encode(old, [new Uint8Array([0xc0, 0])], 0);
    if (stale instanceof FecError) throw stale;
    // A full media cycle with FEC flowing (1 FEC per 10 media), then the old FEC packet arrives
    // while the new cycle's seq 100 is present and 101 is missing.
    for (let seq = 102; seq < 65536 + 101; seq += 10) {
      const block = Array.from({ length: 10 }, (_, i) => buildMedia(spec, 1, seq + i));
      const fec = encoder.encode(block, [new Uint8Array([0x80, 0])], 0);
      if (fec instanceof FecError) throw fec;
      for (const packet of block) if (((packet.readUInt16BE(2) - 101) & 0xffff) !== 0) decoder.insertMedia(packet);
      decoder.insertFec(fec[0]!);
    }
    const late = decoder.insertFec(stale[0]!);
    expect(late).toBeInstanceOf(FecError);
    expect((late as FecError).code).toBe('fec-stale');
  });
});
