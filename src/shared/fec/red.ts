/**
 * RED (RFC 2198) as libwebrtc sends video: a single block, i.e. a 1-byte RED header (F = 0,
 * block payload type) in front of the original payload, on the media SSRC with the RED payload
 * type. ULPFEC packets travel the same way with the ULPFEC payload type in the RED header.
 * Decapsulation also parses multi-block headers (F = 1: PT, 14-bit timestamp offset, 10-bit
 * block length) and returns error values for malformed bytes; it never throws.
 */
import { FecError } from './errors.ts';
import {
  buildRtpPacket,
  isRtpLayoutError,
  readRtpLayout,
  type RtpHeaderFields,
} from './rtp-fields.ts';

/** One RED block. */
export interface RedBlock {
  /** 7-bit payload type of the block. */
  readonly payloadType: number;
  /** Timestamp offset (RTP ticks, 14 bits) back from the RTP timestamp; 0 for the primary block. */
  readonly timestampOffset: number;
  /** Block bytes (a view into the input). */
  readonly payload: Uint8Array;
}

/** Parses a RED payload into its blocks, primary (last) block last. */
export function parseRedPayload(payload: Uint8Array): RedBlock[] | FecError {
  const headers: { payloadType: number; timestampOffset: number; length: number }[] = [];
  let offset = 0;
  for (;;) {
    if (offset >= payload.length) return new FecError('red-too-short', 'RED header runs past the payload');
    const first = payload[offset]!;
    if ((first & 0x80) === 0) {
      headers.push({ payloadType: first & 0x7f, timestampOffset: 0, length: -1 });
      offset += 1;
      break;
    }
    if (offset + 4 > payload.length) return new FecError('red-too-short', 'truncated 4-byte RED header');
    const b1 = payload[offset + 1]!;
    const b2 = payload[offset + 2]!;
    const b3 = payload[offset + 3]!;
    headers.push({
      payloadType: first & 0x7f,
      timestampOffset: (b1 << 6) | (b2 >> 2),
      length: ((b2 & 0x03) << 8) | b3,
    });
    offset += 4;
  }
  const blocks: RedBlock[] = [];
  for (const header of headers) {
    const length = header.length >= 0 ? header.length : payload.length - offset;
    if (offset + length > payload.length) {
      return new FecError('red-bad-block-length', `block of ${length} bytes past the payload`);
    }
    blocks.push({
      payloadType: header.payloadType,
      timestampOffset: header.timestampOffset,
      payload: payload.subarray(offset, offset + length),
    });
    offset += length;
  }
  return blocks;
}

/** A RED packet turned back into what it carried. */
export interface RedDecapsulated {
  /** Payload type of the primary block (media PT, or the ULPFEC PT). */
  readonly payloadType: number;
  /** The primary block's payload (for ULPFEC: the FEC payload). */
  readonly payload: Uint8Array;
  /**
   * The RTP packet the primary block stands for: the RED packet's header (CSRC and extensions
   * kept) with the block's PT, followed by the block payload and the packet's padding, if any.
   */
  readonly packet: Buffer;
}

/**
 * Decapsulates a RED RTP packet: returns the primary block and the packet rebuilt around it.
 * Redundant (non-primary) blocks are skipped; use {@link parseRedPayload} to read them.
 */
export function decapsulateRed(redPacket: Uint8Array): RedDecapsulated | FecError {
  const layout = readRtpLayout(redPacket);
  if (isRtpLayoutError(layout)) return new FecError('media-malformed', layout.code);
  const redPayload = redPacket.subarray(layout.payloadOffset, layout.payloadOffset + layout.payloadLength);
  const blocks = parseRedPayload(redPayload);
  if (blocks instanceof FecError) return blocks;
  const primary = blocks[blocks.length - 1];
  if (primary === undefined) return new FecError('red-empty', 'no block');
  const headerBytes = redPacket.subarray(0, layout.payloadOffset);
  const padding = redPacket.subarray(redPacket.length - layout.paddingLength);
  const packet = Buffer.concat([headerBytes, primary.payload, padding]);
  packet[1] = (packet[1]! & 0x80) | primary.payloadType;
  return { payloadType: primary.payloadType, payload: primary.payload, packet };
}

/**
 * Wraps a media RTP packet in single-block RED as libwebrtc does: same header (CSRC and
 * extensions kept) with PT = `redPayloadType`, then the 1-byte RED header carrying the media
 * PT, then the media payload (and its padding). Returns an error for malformed RTP.
 */
export function encapsulateRed(mediaPacket: Uint8Array, redPayloadType: number): Buffer | FecError {
  const layout = readRtpLayout(mediaPacket);
  if (isRtpLayoutError(layout)) return new FecError('media-malformed', layout.code);
  const packet = Buffer.allocUnsafe(mediaPacket.length + 1);
  packet.set(mediaPacket.subarray(0, layout.payloadOffset), 0);
  packet[1] = (mediaPacket[1]! & 0x80) | (redPayloadType & 0x7f);
  packet[layout.payloadOffset] = layout.payloadType;
  packet.set(mediaPacket.subarray(layout.payloadOffset), layout.payloadOffset + 1);
  return packet;
}

/**
 * Builds a RED RTP packet around one block (e.g. an ULPFEC payload): 12-byte header with
 * `header.payloadType` (the RED PT), 1-byte RED header with `blockPayloadType`, then `payload`.
 */
export function buildRedPacket(header: RtpHeaderFields, blockPayloadType: number, payload: Uint8Array): Buffer {
  const body = Buffer.allocUnsafe(payload.length + 1);
  body[0] = blockPayloadType & 0x7f;
  body.set(payload, 1);
  return buildRtpPacket(header, body);
}
