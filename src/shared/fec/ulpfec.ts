/**
 * ULPFEC (RFC 5109) as libwebrtc uses it: one protection level, the FEC packet carried in RED
 * (RFC 2198, see red.ts) on the media SSRC with the ULPFEC payload type.
 *
 * FEC payload layout (RFC 5109 §7.3, §7.4):
 *   bytes 0..9   FEC header: E(0) L P X CC | M PT recovery | SN base | TS recovery | length recovery
 *   bytes 10..11 protection length (bytes of parity that follow the level-0 header)
 *   bytes 12..13 mask, or 12..17 when L = 1 (more than 16 media packets)
 *   then the parity of every media byte after the 12-byte fixed RTP header.
 * FEC is computed over plain media packets (RED removed), so the decoder takes media packets
 * after RED decapsulation and the FEC payload from inside the RED packet.
 */
import { FecError } from './errors.ts';
import { maskBit, MAX_MEDIA_PACKETS } from './masks.ts';
import { allocParityRegion, copyBytes, maxBodyLength, xorPackets } from './parity.ts';
import { RecoveryStore, type ParsedFec, type RecoveryOptions, type RecoveryStats } from './recovery.ts';
import { isRtpLayoutError, readRtpLayout, readU16, readU32, writeU16, writeU32 } from './rtp-fields.ts';

/** FEC header bytes before the level-0 header. */
export const ULPFEC_FEC_HEADER_BYTES = 10;
/** FEC header + level-0 header with a 16-bit mask (L = 0). */
export const ULPFEC_HEADER_BYTES_L0 = 14;
/** FEC header + level-0 header with a 48-bit mask (L = 1). */
export const ULPFEC_HEADER_BYTES_L1 = 18;

/** Checks a media block for FEC: 1..maxPackets valid RTP packets, one SSRC, consecutive seqs. */
export function checkMediaBlock(media: readonly Uint8Array[], maxPackets: number): FecError | undefined {
  if (media.length < 1 || media.length > maxPackets) {
    return new FecError('bad-argument', `${media.length} media packets, expected 1..${maxPackets}`);
  }
  let ssrc: number | undefined;
  let previousSeq: number | undefined;
  for (const packet of media) {
    const layout = readRtpLayout(packet);
    if (isRtpLayoutError(layout)) return new FecError('media-malformed', layout.code);
    if (ssrc !== undefined && layout.ssrc !== ssrc) return new FecError('media-wrong-ssrc', 'mixed SSRCs');
    if (previousSeq !== undefined && layout.sequenceNumber !== ((previousSeq + 1) & 0xffff)) {
      return new FecError('media-not-consecutive', `seq ${layout.sequenceNumber} after ${previousSeq}`);
    }
    ssrc = layout.ssrc;
    previousSeq = layout.sequenceNumber;
  }
  return undefined;
}

/** Media packets a mask row selects; error if the row is empty or points past the block. */
export function selectRow(media: readonly Uint8Array[], row: Uint8Array): Uint8Array[] | FecError {
  const selected: Uint8Array[] = [];
  for (let i = 0; i < row.length * 8; i++) {
    if (!maskBit(row, i)) continue;
    const packet = media[i];
    if (packet === undefined) return new FecError('bad-argument', `mask bit ${i} beyond ${media.length} packets`);
    selected.push(packet);
  }
  if (selected.length === 0) return new FecError('bad-argument', 'empty mask row');
  return selected;
}

/**
 * Encodes the ULPFEC payloads (one per mask row) protecting `media`: serialized RTP packets of
 * one SSRC with consecutive sequence numbers, at most 48. Mask rows use the masks.ts layout
 * (bit i = media[i]). Returns an error value for an invalid block or mask.
 */
export function encodeUlpfec(media: readonly Uint8Array[], mask: readonly Uint8Array[]): Buffer[] | FecError {
  const bad = checkMediaBlock(media, MAX_MEDIA_PACKETS);
  if (bad !== undefined) return bad;
  const longMask = media.length > 16;
  const headerBytes = longMask ? ULPFEC_HEADER_BYTES_L1 : ULPFEC_HEADER_BYTES_L0;
  const maskBytes = longMask ? 6 : 2;
  const snBase = readU16(media[0]!, 2);
  const out: Buffer[] = [];
  for (const row of mask) {
    const selected = selectRow(media, row);
    if (selected instanceof FecError) return selected;
    const protectionLength = maxBodyLength(selected);
    const region = allocParityRegion(headerBytes, protectionLength);
    const parity = xorPackets(selected, region);
    const fec = region.buffer;
    fec[0] = ((parity.firstTwoBytes >> 8) & 0x3f) | (longMask ? 0x40 : 0);
    fec[1] = parity.firstTwoBytes & 0xff;
    writeU16(fec, 2, snBase);
    writeU32(fec, 4, parity.timestamp);
    writeU16(fec, 8, parity.lengthRecovery);
    writeU16(fec, 10, protectionLength);
    for (let b = 0; b < maskBytes; b++) fec[12 + b] = row[b] ?? 0;
    out.push(fec);
  }
  return out;
}

/** Parses an ULPFEC payload (inside RED); error value for malformed or unsupported bytes. */
export function parseUlpfec(payload: Uint8Array): ParsedFec | FecError {
  if (payload.length < ULPFEC_HEADER_BYTES_L0) return new FecError('fec-too-short', `${payload.length} bytes`);
  if ((payload[0]! & 0x80) !== 0) return new FecError('fec-unsupported', 'E bit (header extension) set');
  const longMask = (payload[0]! & 0x40) !== 0;
  const headerBytes = longMask ? ULPFEC_HEADER_BYTES_L1 : ULPFEC_HEADER_BYTES_L0;
  if (payload.length < headerBytes) return new FecError('fec-too-short', `${payload.length} bytes with L=1`);
  const protectionLength = readU16(payload, 10);
  if (payload.length - headerBytes < protectionLength) {
    return new FecError('fec-bad-header', `protection length ${protectionLength} > ${payload.length - headerBytes}`);
  }
  const snBase = readU16(payload, 2);
  const mask = payload.subarray(12, headerBytes);
  const protectedSeqs: number[] = [];
  for (let i = 0; i < mask.length * 8; i++) if (maskBit(mask, i)) protectedSeqs.push((snBase + i) & 0xffff);
  if (protectedSeqs.length === 0) return new FecError('fec-bad-header', 'empty mask');
  return {
    protectedSeqs,
    firstTwoBytes: readU16(payload, 0) & 0x3fff,
    timestamp: readU32(payload, 4),
    lengthRecovery: readU16(payload, 8),
    payload: copyBytes(payload.subarray(headerBytes, headerBytes + protectionLength)),
  };
}

/**
 * ULPFEC receiver side for one media SSRC: feed plain media packets (RED removed) and ULPFEC
 * payloads in any order; each call returns the media packets recovered by it (byte for byte,
 * each at most once, never one that was received).
 *
 * Limit (shared with libwebrtc): an ULPFEC packet delayed by a whole 16-bit sequence-number
 * cycle carries nothing that tells it from a current one (its own sequence number lives in the
 * media space too), so it could alias onto new packets. The eviction window (`windowPackets`)
 * bounds everything else; FlexFEC has its own sequence space and refuses such stale packets.
 */
export class UlpfecDecoder {
  private readonly store: RecoveryStore;
  private readonly ssrc: number;

  constructor(options: RecoveryOptions) {
    this.store = new RecoveryStore(options);
    this.ssrc = options.ssrc >>> 0;
  }

  /** Recovery counters. */
  get stats(): Readonly<RecoveryStats> {
    return this.store.stats;
  }

  /** Adds a received media packet (copied). */
  insertMedia(packet: Uint8Array): Buffer[] | FecError {
    const layout = readRtpLayout(packet);
    if (isRtpLayoutError(layout)) return new FecError('media-malformed', layout.code);
    if (layout.ssrc !== this.ssrc) return new FecError('media-wrong-ssrc', `SSRC ${layout.ssrc}`);
    return this.store.addMedia(layout.sequenceNumber, copyBytes(packet));
  }

  /** Adds an ULPFEC payload (the RED block carrying the ULPFEC payload type). */
  insertFec(payload: Uint8Array): Buffer[] | FecError {
    const fec = parseUlpfec(payload);
    if (fec instanceof FecError) return fec;
    return this.store.addFec(fec);
  }
}
