/**
 * Receiver side of RTX (RFC 4588): maps an RTX packet back to the media packet it repairs, using
 * the RTX SSRC → media SSRC association (SDP FID group) and the RTX PT → `apt` map.
 */
import { type RtxResult, readRtpLayout, rtxErr, unwrapRtx } from '../shared/rtx-format.ts';

export type { RtxFormatError, RtxResult } from '../shared/rtx-format.ts';

/** RTX unwrapper options. */
export interface RtxUnwrapperOptions {
  /** RTX SSRC → media SSRC, uint32 each */
  mediaSsrcByRtxSsrc: Record<number, number> | Map<number, number>;
  /** RTX payload type → media payload type (`apt`), 7-bit each */
  apt: Record<number, number> | Map<number, number>;
}

/** A recovered media packet and where it came from. */
export interface UnwrappedRtx {
  /** the original media packet bytes */
  packet: Uint8Array;
  mediaSsrc: number;
  /** the original sequence number, uint16 */
  originalSeq: number;
  /** RTX stream sequence number, uint16 */
  rtxSeq: number;
}

function toMap(m: Record<number, number> | Map<number, number>): Map<number, number> {
  return m instanceof Map ? new Map(m) : new Map(Object.entries(m).map(([k, v]) => [Number(k), v]));
}

/** Turns RTX packets back into media packets; never throws on bad bytes. */
export class RtxUnwrapper {
  private readonly mediaSsrc: Map<number, number>;
  private readonly apt: Map<number, number>;

  constructor(options: RtxUnwrapperOptions) {
    this.mediaSsrc = toMap(options.mediaSsrcByRtxSsrc);
    this.apt = toMap(options.apt);
  }

  /** True when `ssrc` is a configured RTX SSRC (for the demuxer). */
  isRtxSsrc(ssrc: number): boolean {
    return this.mediaSsrc.has(ssrc >>> 0);
  }

  /** Unwraps one RTX packet; error codes: too-short, bad-version, bad-extension, bad-padding, missing-osn, padding-only, unknown-ssrc, unknown-pt. */
  unwrap(rtx: Uint8Array): RtxResult<UnwrappedRtx> {
    const l = readRtpLayout(rtx);
    if (!l.ok) return l;
    const mediaSsrc = this.mediaSsrc.get(l.value.ssrc);
    if (mediaSsrc === undefined) return rtxErr('unknown-ssrc', `SSRC ${l.value.ssrc} is not an RTX stream`);
    const apt = this.apt.get(l.value.payloadType);
    if (apt === undefined) return rtxErr('unknown-pt', `PT ${l.value.payloadType} is not an RTX payload type`);
    const r = unwrapRtx(rtx, l.value, mediaSsrc, apt);
    if (!r.ok) return r;
    const b = r.value;
    return { ok: true, value: { packet: b, mediaSsrc, originalSeq: (b[2]! << 8) | b[3]!, rtxSeq: l.value.seq } };
  }
}
