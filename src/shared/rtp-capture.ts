/**
 * A capture of the RTP a receiver got, decrypted (after SRTP, as the lab's receive pipeline sees
 * it), as a nanosecond pcap of IPv4/UDP packets (sender 10.77.0.1:40000 → receiver
 * 10.77.0.2:40001, UDP checksum 0): Wireshark decodes it with "Decode As… RTP", and the golden
 * tests replay libwebrtc's streams from it into the lab's decoders. Kept in memory up to a bound
 * (64 MiB: ≈ 5 min of 360p), then packets are counted as not captured.
 */
import { rename, writeFile } from 'node:fs/promises';
import { PcapWriter, readPcap, type PcapFormatError } from '../link/pcap.ts';
import { WriteFailedError } from './write-error.ts';

const IP_UDP = 28;
export const RTP_CAPTURE_MAX_BYTES = 64 * 1024 * 1024;

export class RtpCapture {
  private readonly pcap = new PcapWriter();
  private bytes = 0;
  /** packets past the bound */
  notCaptured = 0;
  captured = 0;

  add(rtp: Uint8Array, arrivalNs: bigint): void {
    if (this.bytes + rtp.length + IP_UDP + 16 > RTP_CAPTURE_MAX_BYTES) {
      this.notCaptured++;
      return;
    }
    const packet = Buffer.alloc(IP_UDP + rtp.length);
    packet[0] = 0x45;
    packet.writeUInt16BE(packet.length, 2);
    packet[8] = 64;
    packet[9] = 17;
    packet.set([10, 77, 0, 1], 12);
    packet.set([10, 77, 0, 2], 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += packet.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    packet.writeUInt16BE(~sum & 0xffff, 10);
    packet.writeUInt16BE(40_000, 20);
    packet.writeUInt16BE(40_001, 22);
    packet.writeUInt16BE(8 + rtp.length, 24);
    packet.set(rtp, IP_UDP);
    this.pcap.add(packet, arrivalNs);
    this.bytes += packet.length + 16;
    this.captured++;
  }

  toBuffer(): Buffer {
    return this.pcap.toBuffer();
  }

  /** Writes the capture to `file` whole or not at all (a temp file renamed over it); throws WriteFailedError. */
  async write(file: string): Promise<void> {
    const temp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(temp, this.toBuffer());
      await rename(temp, file);
    } catch (error) {
      throw new WriteFailedError(file, error);
    }
  }
}

/** The RTP packets of a capture, in order; an error value for a file that is not one. */
export function readRtpCapture(file: Buffer): { packets: { timeNs: bigint; rtp: Buffer }[] } | { error: PcapFormatError | Error } {
  const read = readPcap(file);
  if ('error' in read) return read;
  const packets: { timeNs: bigint; rtp: Buffer }[] = [];
  for (const p of read.packets) {
    if (p.data.length < IP_UDP || p.data[0] !== 0x45 || p.data[9] !== 17) return { error: new Error(`not an IPv4/UDP packet at ${p.timeNs} ns`) };
    packets.push({ timeNs: p.timeNs, rtp: p.data.subarray(IP_UDP) });
  }
  return { packets };
}
