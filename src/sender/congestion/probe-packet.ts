/**
 * A probe packet: padding only (RFC 3550 §5.1: the P bit, the last byte counting the padding),
 * with the transport-wide sequence number and abs-send-time placeholders the send-time stamper
 * fills at release, so the feedback reports it like any packet. Sent on the RTX stream where
 * there is one (its numbering is shared with retransmissions, so the receiver sees no gap and
 * never NACKs a lost probe) and on the media stream otherwise (the receiver's assembler drops
 * empty payloads). libwebrtc probes with padding the same way.
 */
import { ABS_SEND_TIME_BYTES, ABS_SEND_TIME_URI } from '../../shared/rtp/extensions/abs-send-time.ts';
import { extensionId, type NegotiatedExtensions } from '../../shared/rtp/extensions/negotiated.ts';
import { TRANSPORT_WIDE_SEQ_BYTES, TRANSPORT_WIDE_SEQ_URI } from '../../shared/rtp/extensions/transport-wide-seq.ts';
import { isRtpParseError, parseRtp, serializeRtp } from '../../shared/rtp/packet.ts';
import type { SendTimeOffsets } from '../send-time.ts';

/** The most padding one RTP packet can carry (the count is one byte). */
export const MAX_PADDING_BYTES = 255;

export interface ProbePacketInput {
  ssrc: number;
  payloadType: number;
  seq: number;
  /** the RTP timestamp of the last media frame (padding belongs to no frame of its own) */
  timestamp: number;
  extensions: NegotiatedExtensions;
  paddingBytes: number;
}

export function buildProbePacket(p: ProbePacketInput): { data: Uint8Array; offsets: SendTimeOffsets } {
  const transportSeqId = extensionId(p.extensions, TRANSPORT_WIDE_SEQ_URI);
  const absSendTimeId = extensionId(p.extensions, ABS_SEND_TIME_URI);
  const extensions = new Map<number, Uint8Array>();
  if (transportSeqId !== undefined) extensions.set(transportSeqId, new Uint8Array(TRANSPORT_WIDE_SEQ_BYTES));
  if (absSendTimeId !== undefined) extensions.set(absSendTimeId, new Uint8Array(ABS_SEND_TIME_BYTES));
  const data = serializeRtp({
    marker: false, payloadType: p.payloadType, sequenceNumber: p.seq & 0xffff, timestamp: p.timestamp >>> 0, ssrc: p.ssrc >>> 0,
    csrcs: [], extensions, payload: new Uint8Array(0), paddingBytes: Math.min(MAX_PADDING_BYTES, Math.max(1, Math.round(p.paddingBytes))),
  });
  const parsed = parseRtp(data);
  const offsetOf = (id: number | undefined): number | undefined => {
    if (id === undefined || isRtpParseError(parsed)) return undefined;
    const value = parsed.extensions.get(id);
    return value ? value.byteOffset - data.byteOffset : undefined;
  };
  return { data, offsets: { transportSeq: offsetOf(transportSeqId), absSendTime: offsetOf(absSendTimeId) } };
}
