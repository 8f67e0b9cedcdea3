/**
 * Negotiated RTP header extensions (RFC 8285 §5, SDP `a=extmap:<id> <uri>`): which local id each
 * extension URI got. A sender writes an extension only when its URI has an id here.
 */

import { ABS_CAPTURE_TIME_URI } from './abs-capture-time.ts';
import { ABS_SEND_TIME_URI } from './abs-send-time.ts';
import { TRANSPORT_WIDE_SEQ_URI } from './transport-wide-seq.ts';

/** The extension URIs glasslab reads and writes. */
export type KnownExtensionUri = typeof TRANSPORT_WIDE_SEQ_URI | typeof ABS_SEND_TIME_URI | typeof ABS_CAPTURE_TIME_URI;

/** uri → negotiated local id (1..14 for one-byte headers, 1..255 for two-byte). Absent = not negotiated. */
export type NegotiatedExtensions = Readonly<Partial<Record<string, number>>>;

/** Builds the map from SDP-style `{ uri, id }` entries (e.g. werift's RTCRtpHeaderExtensionParameters). */
export function negotiatedExtensionsFrom(entries: ReadonlyArray<{ uri: string; id: number }>): NegotiatedExtensions {
  const map: Record<string, number> = {};
  for (const { uri, id } of entries) map[uri] = id;
  return map;
}

/** Local id of `uri`, or undefined when it was not negotiated. */
export function extensionId(negotiated: NegotiatedExtensions, uri: string): number | undefined {
  const id = negotiated[uri];
  return id !== undefined && Number.isInteger(id) && id >= 1 && id <= 255 ? id : undefined;
}
