/**
 * The RTX payload format (RFC 4588 §4) at the byte level, with the little RTP header access it
 * needs (RFC 3550 §5.1): header length through CSRCs and the extension, padding, and rewriting
 * PT / sequence number / SSRC. Kept local so RTX does not depend on the full RTP parser.
 */

/** Stable codes for RTP/RTX bytes that cannot be wrapped or unwrapped. */
export type RtxFormatErrorCode = 'too-short' | 'bad-version' | 'bad-extension' | 'bad-padding' | 'missing-osn' | 'padding-only';

/** Why a packet could not be read, with a stable `code`. */
export interface RtxFormatError {
  readonly kind: 'rtx-error';
  readonly code: RtxFormatErrorCode | 'unknown-ssrc' | 'unknown-pt';
  readonly message: string;
}

/** Either a value or an error value. */
export type RtxResult<T> = { ok: true; value: T } | { ok: false; error: RtxFormatError };

/** Where an RTP packet's parts lie, and the header fields RTX touches. */
export interface RtpLayout {
  /** header bytes (fixed + CSRCs + extension) */
  headerBytes: number;
  /** end of the payload, bytes (packet length minus padding) */
  payloadEnd: number;
  /** 7-bit payload type */
  payloadType: number;
  /** uint16 */
  seq: number;
  /** uint32 */
  ssrc: number;
}

/** Builds an error value. */
export function rtxErr<T>(code: RtxFormatError['code'], message: string): RtxResult<T> {
  return { ok: false, error: { kind: 'rtx-error', code, message } };
}

/** Reads the layout of an RTP packet; error value for bytes that are not one. */
export function readRtpLayout(p: Uint8Array): RtxResult<RtpLayout> {
  if (p.length < 12) return rtxErr('too-short', `RTP header needs 12 bytes, got ${p.length}`);
  const b0 = p[0]!;
  if (b0 >> 6 !== 2) return rtxErr('bad-version', `RTP version ${b0 >> 6}, expected 2`);
  let headerBytes = 12 + 4 * (b0 & 0x0f);
  if (p.length < headerBytes) return rtxErr('too-short', `CSRC list runs past the packet (${p.length} bytes)`);
  if (b0 & 0x10) {
    if (p.length < headerBytes + 4) return rtxErr('bad-extension', 'extension header runs past the packet');
    headerBytes += 4 + 4 * ((p[headerBytes + 2]! << 8) | p[headerBytes + 3]!);
    if (p.length < headerBytes) return rtxErr('bad-extension', 'extension runs past the packet');
  }
  let payloadEnd = p.length;
  if (b0 & 0x20) {
    const pad = p[p.length - 1]!;
    if (pad === 0 || pad > p.length - headerBytes) return rtxErr('bad-padding', `padding count ${pad} invalid`);
    payloadEnd -= pad;
  }
  return {
    ok: true,
    value: {
      headerBytes,
      payloadEnd,
      payloadType: p[1]! & 0x7f,
      seq: (p[2]! << 8) | p[3]!,
      ssrc: (((p[8]! << 24) >>> 0) + ((p[9]! << 16) | (p[10]! << 8) | p[11]!)),
    },
  };
}

/**
 * Uninitialised bytes from Node's buffer pool (every byte is written by the caller): about 3×
 * cheaper than `new Uint8Array` at packet sizes. A Buffer is a Uint8Array; it may share its
 * ArrayBuffer with others, so use `byteOffset` when reaching for `.buffer`.
 */
function allocPacket(bytes: number): Uint8Array {
  return Buffer.allocUnsafe(bytes);
}

/** Copies `header` bytes of `src`, clearing P and setting PT (marker kept), seq and SSRC. */
function rewriteHeader(dst: Uint8Array, src: Uint8Array, headerBytes: number, pt: number, seq: number, ssrc: number): void {
  dst.set(src.subarray(0, headerBytes), 0);
  dst[0] = src[0]! & ~0x20;
  dst[1] = (src[1]! & 0x80) | (pt & 0x7f);
  dst[2] = (seq >> 8) & 0xff;
  dst[3] = seq & 0xff;
  dst[8] = (ssrc >>> 24) & 0xff;
  dst[9] = (ssrc >>> 16) & 0xff;
  dst[10] = (ssrc >>> 8) & 0xff;
  dst[11] = ssrc & 0xff;
}

/**
 * Wraps a media packet into an RTX packet: same timestamp, marker, CSRCs and extensions; the RTX
 * SSRC, PT and sequence number; the original sequence number (OSN, uint16) before the original
 * payload; padding dropped.
 */
export function wrapRtx(original: Uint8Array, layout: RtpLayout, rtxSsrc: number, rtxPt: number, rtxSeq: number): Uint8Array {
  const payloadBytes = layout.payloadEnd - layout.headerBytes;
  const out = allocPacket(layout.headerBytes + 2 + payloadBytes);
  rewriteHeader(out, original, layout.headerBytes, rtxPt, rtxSeq, rtxSsrc);
  out[layout.headerBytes] = layout.seq >> 8;
  out[layout.headerBytes + 1] = layout.seq & 0xff;
  out.set(original.subarray(layout.headerBytes, layout.payloadEnd), layout.headerBytes + 2);
  return out;
}

/**
 * Unwraps an RTX packet into the original media packet (PT `apt`, SSRC `mediaSsrc`, sequence
 * number from the OSN). A packet with no payload after padding removal is RTX padding, reported
 * as the error value `padding-only`.
 */
export function unwrapRtx(rtx: Uint8Array, layout: RtpLayout, mediaSsrc: number, apt: number): RtxResult<Uint8Array> {
  const payloadBytes = layout.payloadEnd - layout.headerBytes;
  if (payloadBytes === 0) return rtxErr('padding-only', 'RTX packet carries padding only');
  if (payloadBytes < 2) return rtxErr('missing-osn', `RTX payload of ${payloadBytes} byte cannot hold the OSN`);
  const osn = (rtx[layout.headerBytes]! << 8) | rtx[layout.headerBytes + 1]!;
  const out = allocPacket(layout.headerBytes + payloadBytes - 2);
  rewriteHeader(out, rtx, layout.headerBytes, apt, osn, mediaSsrc);
  out.set(rtx.subarray(layout.headerBytes + 2, layout.payloadEnd), layout.headerBytes);
  return { ok: true, value: out };
}
