/**
 * pcap-parser (a test dependency) as an independent check of our pcap files. It knows only the
 * µs magic, so the ns magic is rewritten before parsing (the record layout is the same).
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

interface RawParser {
  on(event: 'globalHeader', cb: (h: { linkLayerType: number }) => void): RawParser;
  on(event: 'packetData', cb: (d: Buffer) => void): RawParser;
  on(event: 'end', cb: () => void): RawParser;
  on(event: 'error', cb: (e: Error) => void): RawParser;
}

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: Readable): RawParser };

export const PcapParser = {
  /** Link type and packet bytes of a pcap file, read by pcap-parser. */
  records(file: Buffer): Promise<{ linkType: number; packets: Buffer[] }> {
    const copy = Buffer.from(file);
    if (copy.readUInt32LE(0) === 0xa1b23c4d) copy.writeUInt32LE(0xa1b2c3d4, 0);
    return new Promise((resolve, reject) => {
      const packets: Buffer[] = [];
      let linkType = -1;
      pcapParser
        .parse(Readable.from([copy]))
        .on('globalHeader', (h) => (linkType = h.linkLayerType))
        .on('packetData', (d) => packets.push(Buffer.from(d)))
        .on('end', () => resolve({ linkType, packets }))
        .on('error', reject);
    });
  },
};
