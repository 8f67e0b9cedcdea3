import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PcapParser } from './pcap-parser-shim.ts';
import { PCAP_LINKTYPE_RAW, PcapWriter, readPcap } from '../../src/link/pcap.ts';
import { udpPacket } from './helpers.ts';

describe('pcap writer and reader', () => {
  it('round-trips packets with ns timestamps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.bigInt({ min: 0n, max: 4_000_000_000n * 1_000_000_000n })), { maxLength: 20 }),
        (items) => {
          const w = new PcapWriter();
          for (const [data, t] of items) w.add(data, t);
          const read = readPcap(w.toBuffer());
          if ('error' in read) throw read.error;
          expect(read.linkType).toBe(PCAP_LINKTYPE_RAW);
          expect(read.packets.map((p) => [Buffer.from(p.data).toString('hex'), p.timeNs])).toEqual(items.map(([d, t]) => [Buffer.from(d).toString('hex'), t]));
        },
      ),
    );
  });

  it('returns an error value for arbitrary bytes, never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = readPcap(Buffer.from(bytes));
        expect('error' in r || 'packets' in r).toBe(true);
      }),
    );
    const w = new PcapWriter();
    w.add(udpPacket({ size: 100 }), 5n);
    const truncated = w.toBuffer().subarray(0, 24 + 16 + 50);
    expect('error' in readPcap(truncated)).toBe(true);
  });

  it('an independent parser (pcap-parser) reads the same records', async () => {
    const w = new PcapWriter();
    const packets = [udpPacket({ size: 120 }), udpPacket({ size: 1400, rtp: { ssrc: 1, seq: 2, pt: 96 } })];
    packets.forEach((p, i) => w.add(p, 1_000_000_123n + BigInt(i)));
    const seen = await PcapParser.records(w.toBuffer());
    expect(seen.linkType).toBe(101);
    expect(seen.packets.map((p) => p.toString('hex'))).toEqual(packets.map((p) => p.toString('hex')));
  });
});
