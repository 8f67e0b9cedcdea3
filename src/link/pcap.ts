/**
 * Nanosecond pcap (magic 0xa1b23c4d, LINKTYPE_RAW = 101: raw IPv4/IPv6 packets), the format the
 * native data plane writes to `link.pcap`; this writer serves virtual-time runs. Timestamps are
 * CLOCK_MONOTONIC ns (so they join with the fate log), which tools show as dates in 1970.
 */

/** LINKTYPE_RAW: packets begin with the IP header. */
export const PCAP_LINKTYPE_RAW = 101;

/** Builds a pcap file in memory, little-endian. */
export class PcapWriter {
  private readonly chunks: Buffer[] = [];

  constructor(snaplen = 262144) {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b23c4d, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(snaplen, 16);
    header.writeUInt32LE(PCAP_LINKTYPE_RAW, 20);
    this.chunks.push(header);
  }

  /** Appends a packet seen at timeNs (CLOCK_MONOTONIC ns). */
  add(packet: Uint8Array, timeNs: bigint): void {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Number(timeNs / 1_000_000_000n), 0);
    rec.writeUInt32LE(Number(timeNs % 1_000_000_000n), 4);
    rec.writeUInt32LE(packet.length, 8);
    rec.writeUInt32LE(packet.length, 12);
    this.chunks.push(rec, Buffer.from(packet));
  }

  /** The file so far. */
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One packet read back from a pcap file. */
export interface PcapPacket {
  /** capture time, ns (µs files: scaled to ns) */
  timeNs: bigint;
  data: Buffer;
  /** original length on the wire, bytes */
  originalLength: number;
}

/** A pcap file that does not parse; `code` is stable. */
export class PcapFormatError extends Error {
  readonly code = 'PCAP_FORMAT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

/** Reads a classic pcap (µs or ns, either byte order); returns an error value for bad bytes. */
export function readPcap(file: Buffer): { linkType: number; packets: PcapPacket[] } | { error: PcapFormatError } {
  if (file.length < 24) return { error: new PcapFormatError('shorter than the 24-byte global header') };
  const magicLE = file.readUInt32LE(0);
  const magics: Record<number, { le: boolean; ns: boolean }> = {
    0xa1b2c3d4: { le: true, ns: false },
    0xd4c3b2a1: { le: false, ns: false },
    0xa1b23c4d: { le: true, ns: true },
    0x4d3cb2a1: { le: false, ns: true },
  };
  const format = magics[magicLE];
  if (!format) return { error: new PcapFormatError(`unknown magic 0x${magicLE.toString(16)}`) };
  const u32 = (at: number) => (format.le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const linkType = u32(20);
  const packets: PcapPacket[] = [];
  let at = 24;
  while (at < file.length) {
    if (at + 16 > file.length) return { error: new PcapFormatError(`truncated record header at byte ${at}`) };
    const seconds = BigInt(u32(at));
    const fraction = BigInt(u32(at + 4));
    const captured = u32(at + 8);
    const originalLength = u32(at + 12);
    if (at + 16 + captured > file.length) return { error: new PcapFormatError(`truncated packet at byte ${at}`) };
    const timeNs = seconds * 1_000_000_000n + (format.ns ? fraction : fraction * 1000n);
    packets.push({ timeNs, data: file.subarray(at + 16, at + 16 + captured), originalLength });
    at += 16 + captured;
  }
  return { linkType, packets };
}
