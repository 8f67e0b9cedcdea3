/**
 * Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2): a uint16
 * counted across all media/RTX/FEC packets of the transport, 2 bytes big-endian. The pacer assigns
 * it at send time, so writers reserve the bytes and patch them in place.
 */

/** Extension URI as negotiated in SDP. */
export const TRANSPORT_WIDE_SEQ_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** Value size, bytes. */
export const TRANSPORT_WIDE_SEQ_BYTES = 2;

/** Encodes a transport-wide sequence number (uint16, wrapped) into a new 2-byte array. */
export function encodeTransportWideSeq(seq: number): Uint8Array {
  const out = new Uint8Array(TRANSPORT_WIDE_SEQ_BYTES);
  writeTransportWideSeq(out, 0, seq);
  return out;
}

/** Writes a transport-wide sequence number (uint16, wrapped) at `offset`, e.g. to patch a serialized packet. */
export function writeTransportWideSeq(out: Uint8Array, offset: number, seq: number): void {
  out[offset] = (seq >>> 8) & 0xff;
  out[offset + 1] = seq & 0xff;
}

/** Decodes the uint16 value, or undefined when `value` is not exactly 2 bytes. */
export function decodeTransportWideSeq(value: Uint8Array): number | undefined {
  if (value.length !== TRANSPORT_WIDE_SEQ_BYTES) return undefined;
  return (value[0]! << 8) | value[1]!;
}
