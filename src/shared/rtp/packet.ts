/**
 * RTP packet (RFC 3550 §5.1) with RFC 8285 header extensions: parse, serialize, header size.
 *
 * Parsing never copies: `payload` and extension values are views (`subarray`) into the input.
 * Parsing never throws: bad bytes give an `RtpParseError` value with a stable `code`.
 */

/** RFC 8285 one-byte-header profile ("defined by profile" field). */
export const ONE_BYTE_PROFILE = 0xbede;
/** RFC 8285 two-byte-header profile; the low 4 bits ("appbits") are free for the application. */
export const TWO_BYTE_PROFILE = 0x1000;
/** Fixed RTP header, bytes. */
export const RTP_FIXED_HEADER_BYTES = 12;

/** How header extensions are laid out on the wire. */
export type ExtensionProfile = 'one-byte' | 'two-byte';

/** One RTP packet. Fields hold wire values: uint7 pt, uint16 seq, uint32 timestamp and ssrc. */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** contributing sources, uint32 each, at most 15 */
  csrcs: number[];
  /** RFC 8285 extensions, local id (1..14 one-byte, 1..255 two-byte) → value bytes */
  extensions: Map<number, Uint8Array>;
  /**
   * Layout of `extensions` on the wire. Parse: what the packet used. Serialize: undefined picks
   * one-byte when every id and length allows it, else two-byte.
   */
  extensionProfile?: ExtensionProfile;
  /** RFC 8285 two-byte "appbits" (uint4), kept for round trips; 0 when absent */
  extensionAppBits?: number;
  /** a non-RFC 8285 extension (RFC 3550 §5.3.1) kept raw: profile uint16 and data (multiple of 4 bytes) */
  rawExtension?: { profile: number; data: Uint8Array };
  payload: Uint8Array;
  /** bytes of padding at the end including the count byte, 0..255; 0 = P bit clear */
  paddingBytes: number;
}

/** Why bytes are not an RTP packet. */
export type RtpParseErrorCode =
  | 'too-short'
  | 'bad-version'
  | 'csrc-truncated'
  | 'extension-truncated'
  | 'extension-element-truncated'
  | 'padding-zero'
  | 'padding-too-long';

/** A parse failure, returned (never thrown) by `parseRtp`. */
export class RtpParseError {
  readonly kind = 'rtp-parse-error';
  constructor(
    readonly code: RtpParseErrorCode,
    /** byte offset where the problem was found */
    readonly offset: number,
  ) {}
  get message(): string {
    return `RTP parse error ${this.code} at byte ${this.offset}`;
  }
}

/** A packet cannot be written (values out of range); thrown by `serializeRtp`, a programming error. */
export class RtpSerializeError extends Error {
  constructor(
    readonly code: 'too-many-csrcs' | 'extension-id-out-of-range' | 'extension-too-long' | 'padding-out-of-range',
    message: string,
  ) {
    super(message);
    this.name = 'RtpSerializeError';
  }
}

/** Parses one RTP packet. Returns the packet or an error value; never throws. */
export function parseRtp(buf: Uint8Array): RtpPacket | RtpParseError {
  const length = buf.length;
  if (length < RTP_FIXED_HEADER_BYTES) return new RtpParseError('too-short', length);
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return new RtpParseError('bad-version', 0);
  const csrcCount = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_BYTES + csrcCount * 4;
  if (offset > length) return new RtpParseError('csrc-truncated', length);
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(readU32(buf, RTP_FIXED_HEADER_BYTES + i * 4));

  const extensions = new Map<number, Uint8Array>();
  let extensionProfile: ExtensionProfile | undefined;
  let extensionAppBits: number | undefined;
  let rawExtension: RtpPacket['rawExtension'];
  if (b0 & 0x10) {
    if (offset + 4 > length) return new RtpParseError('extension-truncated', offset);
    const profile = (buf[offset]! << 8) | buf[offset + 1]!;
    const extBytes = ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
    const start = offset + 4;
    const end = start + extBytes;
    if (end > length) return new RtpParseError('extension-truncated', offset);
    if (profile === ONE_BYTE_PROFILE) {
      extensionProfile = 'one-byte';
      const err = parseOneByte(buf, start, end, extensions);
      if (err) return err;
    } else if ((profile & 0xfff0) === TWO_BYTE_PROFILE) {
      extensionProfile = 'two-byte';
      extensionAppBits = profile & 0x0f;
      const err = parseTwoByte(buf, start, end, extensions);
      if (err) return err;
    } else {
      rawExtension = { profile, data: buf.subarray(start, end) };
    }
    offset = end;
  }

  let paddingBytes = 0;
  if (b0 & 0x20) {
    if (length === offset) return new RtpParseError('padding-too-long', length - 1);
    paddingBytes = buf[length - 1]!;
    if (paddingBytes === 0) return new RtpParseError('padding-zero', length - 1);
    if (offset + paddingBytes > length) return new RtpParseError('padding-too-long', length - 1);
  }

  const packet: RtpPacket = {
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    sequenceNumber: (buf[2]! << 8) | buf[3]!,
    timestamp: readU32(buf, 4),
    ssrc: readU32(buf, 8),
    csrcs,
    extensions,
    payload: buf.subarray(offset, length - paddingBytes),
    paddingBytes,
  };
  if (extensionProfile !== undefined) packet.extensionProfile = extensionProfile;
  if (extensionAppBits) packet.extensionAppBits = extensionAppBits;
  if (rawExtension !== undefined) packet.rawExtension = rawExtension;
  return packet;
}

/** True when `parseRtp` failed. */
export function isRtpParseError(value: RtpPacket | RtpParseError): value is RtpParseError {
  return value instanceof RtpParseError;
}

function parseOneByte(buf: Uint8Array, start: number, end: number, out: Map<number, Uint8Array>): RtpParseError | undefined {
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    const id = b >> 4;
    if (id === 0) {
      i++; // padding byte (RFC 8285 §4.2: id 0 is padding; its length bits are ignored)
      continue;
    }
    if (id === 15) return undefined; // RFC 8285 §4.2: stop processing
    const len = (b & 0x0f) + 1;
    if (i + 1 + len > end) return new RtpParseError('extension-element-truncated', i);
    if (!out.has(id)) out.set(id, buf.subarray(i + 1, i + 1 + len));
    i += 1 + len;
  }
  return undefined;
}

function parseTwoByte(buf: Uint8Array, start: number, end: number, out: Map<number, Uint8Array>): RtpParseError | undefined {
  let i = start;
  while (i < end) {
    const id = buf[i]!;
    if (id === 0) {
      i++; // padding byte
      continue;
    }
    if (i + 2 > end) return new RtpParseError('extension-element-truncated', i);
    const len = buf[i + 1]!;
    if (i + 2 + len > end) return new RtpParseError('extension-element-truncated', i);
    if (!out.has(id)) out.set(id, buf.subarray(i + 2, i + 2 + len));
    i += 2 + len;
  }
  return undefined;
}

/** Layout `serializeRtp` will use for the extensions of `packet` (undefined when none). */
export function chooseExtensionProfile(packet: Pick<RtpPacket, 'extensions' | 'extensionProfile'>): ExtensionProfile | undefined {
  if (packet.extensions.size === 0) return undefined;
  if (packet.extensionProfile) return packet.extensionProfile;
  for (const [id, value] of packet.extensions) {
    if (id > 14 || value.length === 0 || value.length > 16) return 'two-byte';
  }
  return 'one-byte';
}

/** Bytes of the extension block (4-byte block header + elements + padding to 4), 0 when none. */
export function extensionBlockBytes(packet: Pick<RtpPacket, 'extensions' | 'extensionProfile' | 'rawExtension'>): number {
  const profile = chooseExtensionProfile(packet);
  if (profile === undefined) return packet.rawExtension ? 4 + align4(packet.rawExtension.data.length) : 0;
  const perElement = profile === 'one-byte' ? 1 : 2;
  let bytes = 0;
  for (const value of packet.extensions.values()) bytes += perElement + value.length;
  return 4 + align4(bytes);
}

/** Bytes of the RTP header: 12 + 4 × CSRCs + extension block. */
export function rtpHeaderBytes(packet: Pick<RtpPacket, 'csrcs' | 'extensions' | 'extensionProfile' | 'rawExtension'>): number {
  return RTP_FIXED_HEADER_BYTES + packet.csrcs.length * 4 + extensionBlockBytes(packet);
}

/** Total bytes `serializeRtp(packet)` produces. */
export function rtpPacketBytes(packet: RtpPacket): number {
  return rtpHeaderBytes(packet) + packet.payload.length + packet.paddingBytes;
}

/** Writes `packet` into a new Buffer. Throws RtpSerializeError for out-of-range fields. */
export function serializeRtp(packet: RtpPacket): Buffer {
  const headerBytes = rtpHeaderBytes(packet);
  const out = Buffer.allocUnsafe(headerBytes + packet.payload.length + packet.paddingBytes);
  writeRtpHeader(packet, out, 0);
  out.set(packet.payload, headerBytes);
  const paddingStart = headerBytes + packet.payload.length;
  if (packet.paddingBytes > 0) {
    out.fill(0, paddingStart, paddingStart + packet.paddingBytes - 1);
    out[paddingStart + packet.paddingBytes - 1] = packet.paddingBytes;
  }
  return out;
}

/**
 * Writes the RTP header of `packet` (fixed part, CSRCs, extensions) at `offset` of `out` and
 * returns the header size in bytes. The P bit follows `packet.paddingBytes`; the payload and the
 * padding itself are not written.
 */
export function writeRtpHeader(packet: RtpPacket, out: Uint8Array, offset: number): number {
  if (packet.csrcs.length > 15) throw new RtpSerializeError('too-many-csrcs', `${packet.csrcs.length} CSRCs > 15`);
  if (packet.paddingBytes < 0 || packet.paddingBytes > 255) {
    throw new RtpSerializeError('padding-out-of-range', `padding ${packet.paddingBytes} not in 0..255`);
  }
  const profile = chooseExtensionProfile(packet);
  const hasExtension = profile !== undefined || packet.rawExtension !== undefined;
  out[offset] = 0x80 | (packet.paddingBytes > 0 ? 0x20 : 0) | (hasExtension ? 0x10 : 0) | packet.csrcs.length;
  out[offset + 1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  out[offset + 2] = (packet.sequenceNumber >> 8) & 0xff;
  out[offset + 3] = packet.sequenceNumber & 0xff;
  writeU32(out, offset + 4, packet.timestamp);
  writeU32(out, offset + 8, packet.ssrc);
  let i = offset + RTP_FIXED_HEADER_BYTES;
  for (const csrc of packet.csrcs) {
    writeU32(out, i, csrc);
    i += 4;
  }
  if (profile !== undefined) i = writeExtensions(packet, profile, out, i);
  else if (packet.rawExtension) {
    const { profile: raw, data } = packet.rawExtension;
    const words = align4(data.length) / 4;
    out[i] = raw >> 8;
    out[i + 1] = raw & 0xff;
    out[i + 2] = words >> 8;
    out[i + 3] = words & 0xff;
    out.set(data, i + 4);
    out.fill(0, i + 4 + data.length, i + 4 + words * 4);
    i += 4 + words * 4;
  }
  return i - offset;
}

function writeExtensions(packet: RtpPacket, profile: ExtensionProfile, out: Uint8Array, at: number): number {
  const oneByte = profile === 'one-byte';
  const profileWord = oneByte ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE | ((packet.extensionAppBits ?? 0) & 0x0f);
  let i = at + 4;
  for (const [id, value] of packet.extensions) {
    if (oneByte) {
      if (id < 1 || id > 14) throw new RtpSerializeError('extension-id-out-of-range', `one-byte id ${id} not in 1..14`);
      if (value.length < 1 || value.length > 16) {
        throw new RtpSerializeError('extension-too-long', `one-byte extension ${id} length ${value.length} not in 1..16`);
      }
      out[i++] = (id << 4) | (value.length - 1);
    } else {
      if (id < 1 || id > 255) throw new RtpSerializeError('extension-id-out-of-range', `two-byte id ${id} not in 1..255`);
      if (value.length > 255) throw new RtpSerializeError('extension-too-long', `two-byte extension ${id} length ${value.length} > 255`);
      out[i++] = id;
      out[i++] = value.length;
    }
    out.set(value, i);
    i += value.length;
  }
  const words = align4(i - at - 4) / 4;
  const end = at + 4 + words * 4;
  out.fill(0, i, end);
  out[at] = profileWord >> 8;
  out[at + 1] = profileWord & 0xff;
  out[at + 2] = words >> 8;
  out[at + 3] = words & 0xff;
  return end;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

function writeU32(out: Uint8Array, at: number, value: number): void {
  out[at] = (value >>> 24) & 0xff;
  out[at + 1] = (value >>> 16) & 0xff;
  out[at + 2] = (value >>> 8) & 0xff;
  out[at + 3] = value & 0xff;
}
