/**
 * The XOR parity both ULPFEC (RFC 5109 §7) and FlexFEC-03 compute over a set of media packets:
 * the first two RTP header bytes (P, X, CC, M, PT; the version bits are XORed too and later
 * overwritten by the FEC header's own flags), the timestamp, the "length recovery" (packet
 * length minus the 12-byte fixed header, as uint16) and every byte after the fixed header
 * (CSRC list, header extension, payload, padding), zero-padded to the longest packet.
 */
import { RTP_FIXED_HEADER_BYTES, readU16, readU32 } from './rtp-fields.ts';

/** Header parity of a packet set; payload parity is written into a caller's buffer. */
export interface HeaderParity {
  /** XOR of RTP bytes 0..1 as uint16. */
  readonly firstTwoBytes: number;
  /** XOR of the RTP timestamps (uint32). */
  readonly timestamp: number;
  /** XOR of (packet length − 12) as uint16. */
  readonly lengthRecovery: number;
}

/** Bytes after the fixed RTP header of `packet` (0 for a packet of only a header). */
export function bodyLength(packet: Uint8Array): number {
  return packet.length - RTP_FIXED_HEADER_BYTES;
}

/** Longest body (bytes after the 12-byte fixed header) among `packets`. */
export function maxBodyLength(packets: readonly Uint8Array[]): number {
  let max = 0;
  for (const packet of packets) max = Math.max(max, bodyLength(packet));
  return max;
}

/**
 * XORs the bytes after the fixed header of every packet in `packets` into
 * `out[outOffset ..]` (which the caller zeroed and sized to the longest body) and returns the
 * header parity.
 */
export function xorPackets(packets: readonly Uint8Array[], out: Uint8Array, outOffset: number): HeaderParity {
  let firstTwoBytes = 0;
  let timestamp = 0;
  let lengthRecovery = 0;
  for (const packet of packets) {
    firstTwoBytes ^= readU16(packet, 0);
    timestamp = (timestamp ^ readU32(packet, 4)) >>> 0;
    lengthRecovery ^= bodyLength(packet) & 0xffff;
    xorInto(out, outOffset, packet, RTP_FIXED_HEADER_BYTES, bodyLength(packet));
  }
  return { firstTwoBytes, timestamp, lengthRecovery };
}

/**
 * out[outOffset + i] ^= src[srcOffset + i] for i < length. Uses 32-bit words when both
 * regions are 4-byte aligned in memory, bytes otherwise.
 */
export function xorInto(out: Uint8Array, outOffset: number, src: Uint8Array, srcOffset: number, length: number): void {
  let i = 0;
  const outAddress = out.byteOffset + outOffset;
  const srcAddress = src.byteOffset + srcOffset;
  if (length >= 64 && (outAddress & 3) === (srcAddress & 3)) {
    // Bring both to a 4-byte boundary, then XOR whole words.
    const lead = (4 - (outAddress & 3)) & 3;
    for (; i < lead; i++) out[outOffset + i] = out[outOffset + i]! ^ src[srcOffset + i]!;
    const words = (length - lead) >> 2;
    const outWords = new Uint32Array(out.buffer, outAddress + lead, words);
    const srcWords = new Uint32Array(src.buffer, srcAddress + lead, words);
    for (let w = 0; w < words; w++) outWords[w] = outWords[w]! ^ srcWords[w]!;
    i = lead + words * 4;
  }
  for (; i < length; i++) out[outOffset + i] = out[outOffset + i]! ^ src[srcOffset + i]!;
}
