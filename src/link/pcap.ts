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
