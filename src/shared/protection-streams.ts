/**
 * The loss-recovery streams of a real-time run, the same at both ends without extra
 * signalling: the RTX and FlexFEC streams get SSRCs from the run's seed and fixed payload types
 * (packets are taken at the transport, before werift's router, so they need no SDP; see
 * docs/werift.md). With ULPFEC, media and FEC travel as RED on the media SSRC with the fixed
 * RED/ULPFEC payload types below. The orchestrator puts them in both children's plans
 * (lab/run/child-options.ts).
 */

/** Which protection a run uses ("none" for runs recorded before the field existed). */
export type RunProtectionMode = 'none' | 'nack' | 'fec' | 'hybrid';

/** SSRCs (uint32) and payload types (7-bit) of the recovery streams. */
export interface ProtectionStreams {
  rtx: { ssrc: number; payloadType: number };
  flexfec: { ssrc: number; payloadType: number };
  /** RED and ULPFEC payload types on the media SSRC (used when the scenario's FEC is ulpfec) */
  red: { payloadType: number; ulpfecPayloadType: number };
}

/** RTX payload type (media is werift's negotiated H.264 PT, 102 by default). */
export const RTX_PAYLOAD_TYPE = 103;
/** FlexFEC-03 payload type. */
export const FLEXFEC_PAYLOAD_TYPE = 104;
/** RED (RFC 2198) payload type: media and ULPFEC travel inside it on the media SSRC when ULPFEC is on. */
export const RED_PAYLOAD_TYPE = 120;
/** Payload type of ULPFEC (RFC 5109) blocks inside RED. */
export const ULPFEC_PAYLOAD_TYPE = 121;

/** RTX and FlexFEC streams of a run with this seed (uint32 seed). */
export function protectionStreams(seed: number): ProtectionStreams {
  // Two distinct nonzero SSRCs from the seed (a multiplicative hash; media SSRCs are werift's random ones).
  const rtxSsrc = (Math.imul(seed ^ 0x5a17, 0x9e3779b1) | 1) >>> 0;
  const flexSsrc = (Math.imul(seed ^ 0xfec0, 0x85ebca6b) | 2) >>> 0;
  return {
    rtx: { ssrc: rtxSsrc, payloadType: RTX_PAYLOAD_TYPE },
    flexfec: { ssrc: flexSsrc === rtxSsrc ? (flexSsrc ^ 4) >>> 0 : flexSsrc, payloadType: FLEXFEC_PAYLOAD_TYPE },
    red: { payloadType: RED_PAYLOAD_TYPE, ulpfecPayloadType: ULPFEC_PAYLOAD_TYPE },
  };
}
