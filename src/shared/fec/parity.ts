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

/** A zeroed region for parity, 4-byte aligned in memory, inside a Buffer with room before it. */
export interface ParityRegion {
  /** The whole buffer: `prefixBytes` of room, then the parity bytes. */
  readonly buffer: Buffer;
  /** The parity bytes (view into `buffer`). */
  readonly bytes: Uint8Array;
  /** The same memory as 32-bit words, rounded up to whole words (may run past `bytes`). */
  readonly words: Int32Array;
}

/** Allocates a zeroed buffer of `prefixBytes + parityBytes` whose parity part is word aligned. */
export function allocParityRegion(prefixBytes: number, parityBytes: number): ParityRegion {
  const wordCount = (parityBytes + 3) >> 2;
  // Node's pooled allocations (< 4 KiB) start at 8-byte aligned offsets and are cheap; fall back
  // to a dedicated ArrayBuffer when the offset is not aligned.
  const lead = (4 - (prefixBytes & 3)) & 3;
  const raw = Buffer.allocUnsafe(lead + prefixBytes + wordCount * 4);
  const memory = raw.buffer;
  let base = raw.byteOffset;
  if (((base + lead + prefixBytes) & 3) !== 0) {
    const own = new ArrayBuffer(lead + prefixBytes + wordCount * 4);
    return {
      buffer: Buffer.from(own, lead, prefixBytes + parityBytes),
      bytes: new Uint8Array(own, lead + prefixBytes, parityBytes),
      words: new Int32Array(own, lead + prefixBytes, wordCount),
    };
  }
  raw.fill(0);
  base += lead;
  return {
    buffer: raw.subarray(lead, lead + prefixBytes + parityBytes),
    bytes: new Uint8Array(memory, base + prefixBytes, parityBytes),
    words: new Int32Array(memory, base + prefixBytes, wordCount),
  };
}

/** A copy of `bytes` in a fresh (pooled where small) Buffer. */
export function copyBytes(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafe(bytes.length);
  copy.set(bytes);
  return copy;
}

/**
 * XORs the bytes after the fixed header of every packet in `packets` into `region` (zeroed and
 * sized to the longest body) and returns the header parity.
 */
export function xorPackets(packets: readonly Uint8Array[], region: ParityRegion): HeaderParity {
  let firstTwoBytes = 0;
  let timestamp = 0;
  let lengthRecovery = 0;
  for (const packet of packets) {
    firstTwoBytes ^= readU16(packet, 0);
    timestamp = (timestamp ^ readU32(packet, 4)) >>> 0;
    lengthRecovery ^= bodyLength(packet) & 0xffff;
    xorBody(region, packet, bodyLength(packet));
  }
  return { firstTwoBytes, timestamp, lengthRecovery };
}

let alignedScratch = new Uint8Array(2048);

/**
 * region[i] ^= packet[12 + i] for i < length (length ≤ region size), 32-bit words at a time.
 * A packet whose body is not 4-byte aligned in memory is first copied to an aligned scratch.
 */
export function xorBody(region: ParityRegion, packet: Uint8Array, length: number): void {
  let source = packet;
  let sourceOffset = packet.byteOffset + RTP_FIXED_HEADER_BYTES;
  if ((sourceOffset & 3) !== 0) {
    if (alignedScratch.length < length) alignedScratch = new Uint8Array(length * 2);
    alignedScratch.set(packet.subarray(RTP_FIXED_HEADER_BYTES, RTP_FIXED_HEADER_BYTES + length));
    source = alignedScratch;
    sourceOffset = 0;
  }
  const wordCount = length >> 2;
  xorWords(region.words, new Int32Array(source.buffer, sourceOffset, wordCount), wordCount);
  const bytes = region.bytes;
  const tailBase = sourceOffset - source.byteOffset;
  for (let i = wordCount << 2; i < length; i++) bytes[i] = bytes[i]! ^ source[tailBase + i]!;
}

function xorWords(out: Int32Array, src: Int32Array, count: number): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    out[i] = out[i]! ^ src[i]!;
    out[i + 1] = out[i + 1]! ^ src[i + 1]!;
    out[i + 2] = out[i + 2]! ^ src[i + 2]!;
    out[i + 3] = out[i + 3]! ^ src[i + 3]!;
  }
  for (; i < count; i++) out[i] = out[i]! ^ src[i]!;
}
