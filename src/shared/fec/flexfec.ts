/**
 * FlexFEC as libwebrtc implements draft-ietf-payload-flexible-fec-scheme-03: FEC packets on
 * their own SSRC, payload type and sequence numbers, protecting one media SSRC with a flexible
 * mask (R = 0, F = 0). FEC header after the RTP header of the FEC packet:
 *
 *   bytes 0..3   R F P X CC | M PT recovery | length recovery
 *   bytes 4..7   TS recovery
 *   byte  8      SSRCCount (1), bytes 9..11 reserved (0)
 *   bytes 12..15 protected SSRC
 *   bytes 16..17 SN base
 *   bytes 18..19 k | mask bits 0..14                      (k = 1: last mask field)
 *   bytes 20..23 k | mask bits 15..45      (if first k = 0)
 *   bytes 24..31 k | mask bits 46..108     (if second k = 0)
 *
 * so the header is 20, 24 or 32 bytes; mask bit i set ⇒ media packet SN base + i is protected.
 * The parity (parity.ts) follows the header.
 */
import { FecError } from './errors.ts';
import { maskBit } from './masks.ts';
import { allocParityRegion, copyBytes, maxBodyLength, xorPackets } from './parity.ts';
import { RecoveryStore, type ParsedFec, type RecoveryOptions, type RecoveryStats } from './recovery.ts';
import {
  isRtpLayoutError,
  RTP_FIXED_HEADER_BYTES,
  readRtpLayout,
  readU16,
  readU32,
  writeU16,
  writeU32,
} from './rtp-fields.ts';
import { checkMediaBlock, selectRow } from './ulpfec.ts';

/** Mask bits each header size can carry, and the header sizes (bytes). */
export const FLEXFEC_MASK_BITS = [15, 46, 109] as const;
export const FLEXFEC_HEADER_BYTES = [20, 24, 32] as const;
/** Most media packets one FlexFEC-03 packet can protect (mask of 109 bits). */
export const FLEXFEC_MAX_MEDIA_PACKETS = 109;

/** Bit position of mask bit `index` counted from the MSB of header byte 18 (k bits skipped). */
function maskBitPosition(index: number): number {
  return index < 15 ? index + 1 : index < 46 ? index + 2 : index + 3;
}

/** FlexFEC sender configuration. */
export interface FlexfecEncoderOptions {
  /** SSRC (uint32) of the FlexFEC stream. */
  readonly ssrc: number;
  /** 7-bit payload type of FlexFEC packets. */
  readonly payloadType: number;
  /** First sequence number (uint16) the FEC stream uses. */
  readonly initialSequenceNumber: number;
}

/** Builds FlexFEC-03 RTP packets on a separate SSRC with its own sequence numbers. */
export class FlexfecEncoder {
  private nextSeq: number;

  constructor(private readonly options: FlexfecEncoderOptions) {
    this.nextSeq = options.initialSequenceNumber & 0xffff;
  }

  /**
   * FEC RTP packets (one per mask row) for `media`: RTP packets of one SSRC with consecutive
   * sequence numbers (at most 109). `rtpTimestamp` (uint32, the FEC stream's clock) goes into
   * each FEC packet's header. Returns an error value for an invalid block or mask.
   */
  encode(media: readonly Uint8Array[], mask: readonly Uint8Array[], rtpTimestamp: number): Buffer[] | FecError {
    const packets = encodeFlexfec(media, mask, RTP_FIXED_HEADER_BYTES);
    if (packets instanceof FecError) return packets;
    for (const packet of packets) {
      packet[0] = 0x80;
      packet[1] = this.options.payloadType & 0x7f;
      writeU16(packet, 2, this.nextSeq);
      writeU32(packet, 4, rtpTimestamp >>> 0);
      writeU32(packet, 8, this.options.ssrc >>> 0);
      this.nextSeq = (this.nextSeq + 1) & 0xffff;
    }
    return packets;
  }
}

/** FlexFEC-03 payloads (FEC header + parity), one per mask row; see {@link FlexfecEncoder}. */
export function encodeFlexfecPayloads(media: readonly Uint8Array[], mask: readonly Uint8Array[]): Buffer[] | FecError {
  return encodeFlexfec(media, mask, 0);
}

/** FEC header + parity per mask row, each after `prefixBytes` of room (for an RTP header). */
function encodeFlexfec(media: readonly Uint8Array[], mask: readonly Uint8Array[], prefixBytes: number): Buffer[] | FecError {
  const bad = checkMediaBlock(media, FLEXFEC_MAX_MEDIA_PACKETS);
  if (bad !== undefined) return bad;
  const protectedSsrc = readU32(media[0]!, 8);
  const snBase = readU16(media[0]!, 2);
  const out: Buffer[] = [];
  for (const row of mask) {
    const selected = selectRow(media, row);
    if (selected instanceof FecError) return selected;
    let highestIndex = 0;
    for (let i = 0; i < media.length; i++) if (maskBit(row, i)) highestIndex = i;
    const sizeIndex = highestIndex < 15 ? 0 : highestIndex < 46 ? 1 : 2;
    const headerBytes = FLEXFEC_HEADER_BYTES[sizeIndex];
    const protectionLength = maxBodyLength(selected);
    const region = allocParityRegion(prefixBytes + headerBytes, protectionLength);
    const parity = xorPackets(selected, region);
    const fec = region.buffer.subarray(prefixBytes);
    fec[0] = (parity.firstTwoBytes >> 8) & 0x3f; // R = 0, F = 0
    fec[1] = parity.firstTwoBytes & 0xff;
    writeU16(fec, 2, parity.lengthRecovery);
    writeU32(fec, 4, parity.timestamp);
    fec[8] = 1;
    writeU32(fec, 12, protectedSsrc);
    writeU16(fec, 16, snBase);
    for (let i = 0; i <= highestIndex; i++) {
      if (!maskBit(row, i)) continue;
      const position = maskBitPosition(i);
      fec[18 + (position >> 3)] = fec[18 + (position >> 3)]! | (0x80 >> (position & 7));
    }
    fec[[18, 20, 24][sizeIndex]!] = fec[[18, 20, 24][sizeIndex]!]! | 0x80; // k = 1 on the last field
    out.push(region.buffer);
  }
  return out;
}

/** Parses a FlexFEC-03 payload (after the FEC packet's RTP header). */
export function parseFlexfec(payload: Uint8Array): (ParsedFec & { readonly protectedSsrc: number }) | FecError {
  if (payload.length < FLEXFEC_HEADER_BYTES[0]) return new FecError('fec-too-short', `${payload.length} bytes`);
  if ((payload[0]! & 0x80) !== 0) return new FecError('fec-unsupported', 'R bit (retransmission) set');
  if ((payload[0]! & 0x40) !== 0) return new FecError('fec-unsupported', 'F bit (fixed mask) set');
  if (payload[8] !== 1) return new FecError('fec-unsupported', `SSRCCount ${payload[8]}`);
  let sizeIndex = 0;
  while ((payload[[18, 20, 24][sizeIndex]!]! & 0x80) === 0) {
    sizeIndex++;
    if (sizeIndex > 2) return new FecError('fec-bad-header', 'no k bit set');
    if (payload.length < FLEXFEC_HEADER_BYTES[sizeIndex - 1]! + 1) {
      return new FecError('fec-too-short', 'mask runs past the payload');
    }
  }
  const headerBytes = FLEXFEC_HEADER_BYTES[sizeIndex as 0 | 1 | 2];
  if (payload.length < headerBytes) return new FecError('fec-too-short', `mask needs ${headerBytes} bytes`);
  const snBase = readU16(payload, 16);
  const protectedSeqs: number[] = [];
  const maskBits = FLEXFEC_MASK_BITS[sizeIndex as 0 | 1 | 2];
  for (let i = 0; i < maskBits; i++) {
    const position = maskBitPosition(i);
    if ((payload[18 + (position >> 3)]! & (0x80 >> (position & 7))) !== 0) protectedSeqs.push((snBase + i) & 0xffff);
  }
  if (protectedSeqs.length === 0) return new FecError('fec-bad-header', 'empty mask');
  return {
    protectedSsrc: readU32(payload, 12),
    protectedSeqs,
    firstTwoBytes: readU16(payload, 0) & 0x3fff,
    timestamp: readU32(payload, 4),
    lengthRecovery: readU16(payload, 2),
    payload: copyBytes(payload.subarray(headerBytes)),
  };
}

/** FlexFEC receiver configuration. */
export interface FlexfecDecoderOptions extends RecoveryOptions {
  /** SSRC of the FlexFEC stream; FEC packets on other SSRCs are refused. */
  readonly fecSsrc: number;
  /**
   * FEC packets more than this many FEC sequence numbers behind the newest one are refused as
   * stale (default 512): a FEC packet delayed past a media sequence-number cycle would otherwise
   * alias onto new media packets.
   */
  readonly fecWindowPackets?: number;
}

/**
 * FlexFEC-03 receiver for one protected media SSRC (`ssrc`): feed media RTP packets and FlexFEC
 * RTP packets in any order; each call returns the media packets it allowed to recover.
 */
export class FlexfecDecoder {
  private readonly store: RecoveryStore;
  private newestFecExtSeq: number | undefined;

  constructor(private readonly options: FlexfecDecoderOptions) {
    this.store = new RecoveryStore(options);
  }

  /** Recovery counters. */
  get stats(): Readonly<RecoveryStats> {
    return this.store.stats;
  }

  /** Adds a received media packet of the protected SSRC (copied). */
  insertMedia(packet: Uint8Array): Buffer[] | FecError {
    const layout = readRtpLayout(packet);
    if (isRtpLayoutError(layout)) return new FecError('media-malformed', layout.code);
    if (layout.ssrc !== this.options.ssrc >>> 0) return new FecError('media-wrong-ssrc', `SSRC ${layout.ssrc}`);
    return this.store.addMedia(layout.sequenceNumber, copyBytes(packet));
  }

  /** Adds a FlexFEC RTP packet (its own header, then the FlexFEC payload). */
  insertFec(packet: Uint8Array): Buffer[] | FecError {
    const layout = readRtpLayout(packet);
    if (isRtpLayoutError(layout)) return new FecError('fec-bad-header', layout.code);
    if (layout.ssrc !== this.options.fecSsrc >>> 0) return new FecError('fec-wrong-ssrc', `SSRC ${layout.ssrc}`);
    const fec = parseFlexfec(packet.subarray(layout.payloadOffset, layout.payloadOffset + layout.payloadLength));
    if (fec instanceof FecError) return fec;
    if (fec.protectedSsrc !== this.options.ssrc >>> 0) {
      return new FecError('fec-wrong-ssrc', `protects SSRC ${fec.protectedSsrc}`);
    }
    const newest = this.newestFecExtSeq ?? layout.sequenceNumber;
    const fecExtSeq = newest + (((layout.sequenceNumber - newest) << 16) >> 16);
    if (fecExtSeq < newest - (this.options.fecWindowPackets ?? 512)) {
      return new FecError('fec-stale', `FEC seq ${layout.sequenceNumber} far behind the newest`);
    }
    this.newestFecExtSeq = Math.max(newest, fecExtSeq);
    return this.store.addFec(fec);
  }
}
