/**
 * FEC throughput: ULPFEC and FlexFEC-03 encode and decode of 48 media packets × 1200 B.
 * Run: node --import tsx bench/fec.ts   (prints a table, writes bench/results/fec.json)
 *
 * Throughput counts media bits protected (encode) or media bits passed through the decoder
 * (decode: media packets received + FEC packets, one media packet lost per FEC row, recovered).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { FecError } from '../src/shared/fec/errors.ts';
import { FlexfecDecoder, FlexfecEncoder } from '../src/shared/fec/flexfec.ts';
import { getMask, maskIndices, type MaskKind } from '../src/shared/fec/masks.ts';
import { numFecPackets } from '../src/shared/fec/num-fec.ts';
import { encodeUlpfec, UlpfecDecoder } from '../src/shared/fec/ulpfec.ts';

const MEDIA_PACKETS = 48;
const PACKET_BYTES = 1200;
const SSRC = 0x12345678;
const FEC_SSRC = 0x0fec0fec;

function mediaBlock(firstSeq: number): Buffer[] {
  return Array.from({ length: MEDIA_PACKETS }, (_, i) => {
    const packet = Buffer.alloc(PACKET_BYTES);
    packet[0] = 0x80;
    packet[1] = 96 | (i === MEDIA_PACKETS - 1 ? 0x80 : 0);
    packet.writeUInt16BE((firstSeq + i) & 0xffff, 2);
    packet.writeUInt32BE(90_000 * firstSeq, 4);
    packet.writeUInt32BE(SSRC, 8);
    for (let b = 12; b < PACKET_BYTES; b++) packet[b] = (b * 31 + i * 7 + firstSeq) & 0xff;
    return packet;
  });
}

/**
 * Seconds per call of `fn`: warm up, then 3 rounds of about `ms` milliseconds each; the best round
 * counts (the machine is shared, slower rounds measure other load).
 */
function time(fn: () => void, ms = 700): number {
  for (let i = 0; i < 300; i++) fn();
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let calls = 0;
    const start = process.hrtime.bigint();
    let elapsedNs = 0n;
    while (elapsedNs < BigInt(ms) * 1_000_000n) {
      fn();
      calls++;
      elapsedNs = process.hrtime.bigint() - start;
    }
    best = Math.min(best, Number(elapsedNs) / 1e9 / calls);
  }
  return best;
}

interface Row {
  scheme: 'ulpfec' | 'flexfec';
  operation: 'encode' | 'decode';
  mask: string;
  mediaPackets: number;
  fecPackets: number;
  packetBytes: number;
  usPerBlock: number;
  mediaGbitPerS: number;
}

const rows: Row[] = [];
const protectionFactor = 77; // 1/255 units, ≈ 30 %
const masks: { label: string; kind: MaskKind; numMedia: number }[] = [
  { label: 'random 48 (interleaved)', kind: 'random', numMedia: MEDIA_PACKETS },
  { label: 'random 12 (table, overlapping)', kind: 'random', numMedia: 12 },
];
const blockCount = 64;
const fullBlocks = Array.from({ length: blockCount }, (_, b) => mediaBlock(b * MEDIA_PACKETS));

for (const { label, kind, numMedia } of masks) {
  const blocks = fullBlocks.map((block) => block.slice(0, numMedia));
  const numFec = numFecPackets(numMedia, protectionFactor);
  const mask = getMask(kind, numMedia, numFec);
  const lostIndex = new Set(mask.map((row) => maskIndices(row)[0]!)); // one loss per row
  const record = (scheme: Row['scheme'], operation: Row['operation'], seconds: number): void => {
    rows.push({
      scheme,
      operation,
      mask: label,
      mediaPackets: numMedia,
      fecPackets: numFec,
      packetBytes: PACKET_BYTES,
      usPerBlock: seconds * 1e6,
      mediaGbitPerS: (numMedia * PACKET_BYTES * 8) / seconds / 1e9,
    });
  };

  let next = 0;
  record('ulpfec', 'encode', time(() => {
    const out = encodeUlpfec(blocks[next++ % blockCount]!, mask);
    if (out instanceof FecError) throw out;
  }));
  const flexEncoder = new FlexfecEncoder({ ssrc: FEC_SSRC, payloadType: 118, initialSequenceNumber: 0 });
  record('flexfec', 'encode', time(() => {
    const out = flexEncoder.encode(blocks[next++ % blockCount]!, mask, 0);
    if (out instanceof FecError) throw out;
  }));

  const ulpfecPayloads = blocks.map((block) => encodeUlpfec(block, mask) as Buffer[]);
  const flexPackets = blocks.map((block) => flexEncoder.encode(block, mask, 0) as Buffer[]);
  let recovered = 0;
  // A fresh decoder per block: replayed blocks would otherwise fall out of the decoder's window.
  const decodeRun = (insertMedia: (p: Buffer) => Buffer[] | FecError, insertFec: (p: Buffer) => Buffer[] | FecError, fec: Buffer[][]) => {
    const b = next++ % blockCount;
    const block = blocks[b]!;
    block.forEach((packet, i) => {
      if (!lostIndex.has(i)) insertMedia(packet);
    });
    for (const packet of fec[b]!) {
      const out = insertFec(packet);
      if (out instanceof FecError) throw out;
      recovered += out.length;
    }
  };
  next = 0;
  record('ulpfec', 'decode', time(() => {
    const decoder = new UlpfecDecoder({ ssrc: SSRC });
    decodeRun((p) => decoder.insertMedia(p), (p) => decoder.insertFec(p), ulpfecPayloads);
  }));
  next = 0;
  record('flexfec', 'decode', time(() => {
    const decoder = new FlexfecDecoder({ ssrc: SSRC, fecSsrc: FEC_SSRC });
    decodeRun((p) => decoder.insertMedia(p), (p) => decoder.insertFec(p), flexPackets);
  }));
  if (recovered === 0) throw new Error('decode bench recovered nothing');
}

console.log('scheme   op      mask                           k   m   µs/block  media Gbit/s');
for (const row of rows) {
  console.log(
    `${row.scheme.padEnd(8)} ${row.operation.padEnd(7)} ${row.mask.padEnd(30)} ${String(row.mediaPackets).padStart(2)} ${String(row.fecPackets).padStart(3)} ${row.usPerBlock.toFixed(1).padStart(9)} ${row.mediaGbitPerS.toFixed(2).padStart(12)}`,
  );
}
const resultsDir = new URL('./results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  new URL('fec.json', resultsDir),
  JSON.stringify({ bench: 'fec', node: process.version, protectionFactor, targetEncodeGbitPerS: 1, rows }, null, 2) + '\n',
);
