/**
 * H.264 RTP packetizer, RFC 6184 packetization-mode 1 (single NAL unit, STAP-A, FU-A), sans-I/O.
 *
 * Like libwebrtc's RTPSenderVideo, the room for payload is computed per packet position: the
 * packet budget (max RTP packet size minus the FEC and RTX overhead reserved for this frame)
 * minus the RTP header of that position, whose header extensions differ (abs-capture-time rides
 * on the first packet only; transport-wide seq and abs-send-time on every packet).
 * Transport-wide seq and abs-send-time are reserved with placeholder values and their byte offsets
 * reported, so the pacer patches them in place at send time.
 */

import { splitAnnexB } from '../../shared/h264/annexb.ts';
import { NalType, isH264NalType, isIdrNal, nalType } from '../../shared/h264/nal.ts';
import {
  ABS_CAPTURE_TIME_URI,
  encodeAbsCaptureTime,
  type AbsCaptureTime,
} from '../../shared/rtp/extensions/abs-capture-time.ts';
import { ABS_SEND_TIME_URI, ABS_SEND_TIME_BYTES } from '../../shared/rtp/extensions/abs-send-time.ts';
import { extensionId, type NegotiatedExtensions } from '../../shared/rtp/extensions/negotiated.ts';
import { TRANSPORT_WIDE_SEQ_BYTES, TRANSPORT_WIDE_SEQ_URI } from '../../shared/rtp/extensions/transport-wide-seq.ts';
import { isRtpParseError, parseRtp, rtpHeaderBytes, writeRtpHeader, type ExtensionProfile, type RtpPacket } from '../../shared/rtp/packet.ts';
import { seqAdd } from '../../shared/rtp/seq.ts';
import { FU_A_HEADER_BYTES, STAP_A_LENGTH_BYTES, planPayloads, plannedPayloadBytes, type PayloadCapacities, type PlannedPayload } from './plan.ts';

/** Static settings of one packetizer (one SSRC). */
export interface H264PacketizerOptions {
  /** largest RTP packet (RTP header + payload, no UDP/IP/SRTP), bytes, 100..65535; e.g. 1200 */
  maxPacketBytes: number;
  /** RTP payload type, 0..127 */
  payloadType: number;
  /** uint32 */
  ssrc: number;
  /** contributing sources, at most 15 */
  csrcs: number[];
  /** bytes reserved in every packet of a FEC-protected frame (ULPFEC/RED header growth), ≥ 0 */
  fecOverheadBytes: number;
  /** bytes reserved in every packet of a retransmittable frame (RTX adds the 2-byte OSN, RFC 4588), ≥ 0 */
  rtxOverheadBytes: number;
  /** negotiated header extensions; only those present are written */
  extensions: NegotiatedExtensions;
  /** header extension layout; one-byte needs ids 1..14 */
  extensionProfile: ExtensionProfile;
  /** aggregate small consecutive NAL units (SPS+PPS, SEI, …) into STAP-A packets */
  aggregate: boolean;
}

/** One access unit to send. */
export interface AccessUnitInput {
  /** Annex-B access unit, or its NAL units already split (without start codes) */
  accessUnit: Uint8Array | readonly Uint8Array[];
  /** 90 kHz RTP timestamp, uint32 */
  rtpTimestamp: number;
  /** sequence number of the first packet, uint16 */
  firstSequenceNumber: number;
  /** written on the first packet when abs-capture-time is negotiated */
  captureTime?: AbsCaptureTime;
  /** the frame is FEC-protected: reserve `fecOverheadBytes` (default true) */
  fecProtected?: boolean;
  /** the frame may be retransmitted over RTX: reserve `rtxOverheadBytes` (default true) */
  retransmittable?: boolean;
}

/** Position of a packet in its frame, as RTPSenderVideo's packet templates name them. */
export type PacketPosition = 'single' | 'first' | 'middle' | 'last';

/** One serialized RTP packet and what it holds. */
export interface PacketizedPacket {
  /** the whole RTP packet, bytes */
  data: Buffer;
  /** uint16 */
  sequenceNumber: number;
  position: PacketPosition;
  /** marker bit: last packet of the access unit */
  marker: boolean;
  kind: 'single-nal' | 'stap-a' | 'fu-a';
  /** nal_unit_type of each NAL unit carried (whole or fragment) */
  nalTypes: number[];
  headerBytes: number;
  payloadBytes: number;
  /** byte offset in `data` of the 2-byte transport-wide seq placeholder, when negotiated */
  transportSeqOffset?: number;
  /** byte offset in `data` of the 3-byte abs-send-time placeholder, when negotiated */
  absSendTimeOffset?: number;
}

/** Result of packetizing one access unit. */
export interface PacketizedFrame {
  packets: PacketizedPacket[];
  /** sequence number for the next frame's first packet, uint16 */
  nextSequenceNumber: number;
  /** the access unit holds an IDR slice */
  keyframe: boolean;
  /** payload room of each position this frame used, bytes */
  capacities: PayloadCapacities;
}

/** Why an access unit could not be packetized. */
export class H264PacketizeError {
  readonly kind = 'h264-packetize-error';
  constructor(
    readonly code: 'no-nal-units' | 'unsupported-nal-type' | 'no-room',
    readonly message: string,
  ) {}
}

/** Invalid packetizer options; thrown by the constructor. */
export class H264PacketizerConfigError extends Error {
  constructor(readonly code: 'invalid-option', message: string) {
    super(message);
    this.name = 'H264PacketizerConfigError';
  }
}

/** Default options apart from identity (payload type, SSRC) and negotiated extensions. */
export const DEFAULT_H264_PACKETIZER_OPTIONS = {
  maxPacketBytes: 1200,
  csrcs: [] as number[],
  fecOverheadBytes: 0,
  rtxOverheadBytes: 0,
  extensionProfile: 'one-byte' as ExtensionProfile,
  aggregate: true,
};

interface HeaderTemplate {
  bytes: Buffer;
  transportSeqOffset: number | undefined;
  absSendTimeOffset: number | undefined;
}

/** Packetizes access units for one SSRC. Holds no per-stream state besides its options. */
export class H264Packetizer {
  private readonly options: H264PacketizerOptions;
  private readonly transportSeqId: number | undefined;
  private readonly absSendTimeId: number | undefined;
  private readonly absCaptureTimeId: number | undefined;
  /** header without abs-capture-time: middle and last packets, and first/single when no capture time */
  private readonly plainTemplate: HeaderTemplate;

  constructor(options: H264PacketizerOptions) {
    validate(options);
    this.options = { ...options, csrcs: [...options.csrcs] };
    this.transportSeqId = extensionId(options.extensions, TRANSPORT_WIDE_SEQ_URI);
    this.absSendTimeId = extensionId(options.extensions, ABS_SEND_TIME_URI);
    this.absCaptureTimeId = extensionId(options.extensions, ABS_CAPTURE_TIME_URI);
    const maxId = options.extensionProfile === 'one-byte' ? 14 : 255;
    for (const id of [this.transportSeqId, this.absSendTimeId, this.absCaptureTimeId]) {
      if (id !== undefined && id > maxId) {
        throw new H264PacketizerConfigError('invalid-option', `extension id ${id} does not fit the ${options.extensionProfile} profile`);
      }
    }
    this.plainTemplate = this.buildTemplate(undefined);
  }

  /** Packetizes one access unit. Returns the packets in send order, or an error value. */
  packetize(input: AccessUnitInput): PacketizedFrame | H264PacketizeError {
    const nals = isNalList(input.accessUnit) ? input.accessUnit : splitAnnexB(input.accessUnit);
    if (nals.length === 0) return new H264PacketizeError('no-nal-units', 'access unit holds no NAL units');
    const nalSizes: number[] = [];
    let keyframe = false;
    for (const nal of nals) {
      const type = nal.length > 0 ? nalType(nal[0]!) : 0;
      if (!isH264NalType(type)) return new H264PacketizeError('unsupported-nal-type', `NAL unit type ${type} cannot be sent`);
      if (isIdrNal(type)) keyframe = true;
      nalSizes.push(nal.length);
    }

    const firstTemplate =
      this.absCaptureTimeId !== undefined && input.captureTime ? this.buildTemplate(input.captureTime) : this.plainTemplate;
    const budget =
      this.options.maxPacketBytes -
      (input.fecProtected ?? true ? this.options.fecOverheadBytes : 0) -
      (input.retransmittable ?? true ? this.options.rtxOverheadBytes : 0);
    const capacities: PayloadCapacities = {
      single: budget - firstTemplate.bytes.length,
      first: budget - firstTemplate.bytes.length,
      middle: budget - this.plainTemplate.bytes.length,
      last: budget - this.plainTemplate.bytes.length,
    };
    const plan = planPayloads(nalSizes, capacities, { aggregate: this.options.aggregate });
    if (!plan) return new H264PacketizeError('no-room', `packet budget ${budget} bytes leaves no payload room`);

    const packets: PacketizedPacket[] = [];
    let seq = input.firstSequenceNumber & 0xffff;
    for (let p = 0; p < plan.length; p++) {
      const planned = plan[p]!;
      const position: PacketPosition = plan.length === 1 ? 'single' : p === 0 ? 'first' : p === plan.length - 1 ? 'last' : 'middle';
      const template = p === 0 ? firstTemplate : this.plainTemplate;
      const headerBytes = template.bytes.length;
      const payloadBytes = plannedPayloadBytes(planned, nalSizes);
      const data = Buffer.allocUnsafe(headerBytes + payloadBytes);
      template.bytes.copy(data, 0);
      const marker = p === plan.length - 1;
      data[1] = (marker ? 0x80 : 0) | (data[1]! & 0x7f);
      data[2] = seq >> 8;
      data[3] = seq & 0xff;
      data[4] = (input.rtpTimestamp >>> 24) & 0xff;
      data[5] = (input.rtpTimestamp >>> 16) & 0xff;
      data[6] = (input.rtpTimestamp >>> 8) & 0xff;
      data[7] = input.rtpTimestamp & 0xff;
      const nalTypes = writePayload(planned, nals, data, headerBytes);
      const packet: PacketizedPacket = { data, sequenceNumber: seq, position, marker, kind: planned.kind, nalTypes, headerBytes, payloadBytes };
      if (template.transportSeqOffset !== undefined) packet.transportSeqOffset = template.transportSeqOffset;
      if (template.absSendTimeOffset !== undefined) packet.absSendTimeOffset = template.absSendTimeOffset;
      packets.push(packet);
      seq = seqAdd(seq, 1);
    }
    return { packets, nextSequenceNumber: seq, keyframe, capacities };
  }

  /** RTP header bytes (seq, timestamp, marker left 0) with the extensions of a position. */
  private buildTemplate(captureTime: AbsCaptureTime | undefined): HeaderTemplate {
    const extensions = new Map<number, Uint8Array>();
    if (this.transportSeqId !== undefined) extensions.set(this.transportSeqId, new Uint8Array(TRANSPORT_WIDE_SEQ_BYTES));
    if (this.absSendTimeId !== undefined) extensions.set(this.absSendTimeId, new Uint8Array(ABS_SEND_TIME_BYTES));
    if (this.absCaptureTimeId !== undefined && captureTime) extensions.set(this.absCaptureTimeId, encodeAbsCaptureTime(captureTime));
    const header: RtpPacket = {
      marker: false,
      payloadType: this.options.payloadType,
      sequenceNumber: 0,
      timestamp: 0,
      ssrc: this.options.ssrc,
      csrcs: this.options.csrcs,
      extensions,
      extensionProfile: this.options.extensionProfile,
      payload: new Uint8Array(0),
      paddingBytes: 0,
    };
    const bytes = Buffer.alloc(rtpHeaderBytes(header));
    writeRtpHeader(header, bytes, 0);
    // Locate the placeholders by parsing the template back: values are views into `bytes`.
    const parsed = parseRtp(bytes);
    const offsetOf = (id: number | undefined) => {
      if (id === undefined || isRtpParseError(parsed)) return undefined;
      const value = parsed.extensions.get(id);
      return value ? value.byteOffset - bytes.byteOffset : undefined;
    };
    return { bytes, transportSeqOffset: offsetOf(this.transportSeqId), absSendTimeOffset: offsetOf(this.absSendTimeId) };
  }
}

/** Writes the payload of one planned packet at `at`; returns the NAL types it carries. */
function writePayload(planned: PlannedPayload, nals: readonly Uint8Array[], out: Buffer, at: number): number[] {
  switch (planned.kind) {
    case 'single-nal': {
      const nal = nals[planned.nal]!;
      out.set(nal, at);
      return [nalType(nal[0]!)];
    }
    case 'stap-a': {
      // STAP-A NAL header: F = OR of the units' F bits, NRI = their maximum (RFC 6184 §5.7).
      let forbidden = 0;
      let nri = 0;
      const types: number[] = [];
      let i = at + 1;
      for (let k = 0; k < planned.count; k++) {
        const nal = nals[planned.first + k]!;
        forbidden |= nal[0]! & 0x80;
        nri = Math.max(nri, nal[0]! & 0x60);
        types.push(nalType(nal[0]!));
        out[i] = nal.length >> 8;
        out[i + 1] = nal.length & 0xff;
        out.set(nal, i + STAP_A_LENGTH_BYTES);
        i += STAP_A_LENGTH_BYTES + nal.length;
      }
      out[at] = forbidden | nri | NalType.StapA;
      return types;
    }
    case 'fu-a': {
      const nal = nals[planned.nal]!;
      const header = nal[0]!;
      out[at] = (header & 0xe0) | NalType.FuA;
      out[at + 1] = (planned.start ? 0x80 : 0) | (planned.end ? 0x40 : 0) | nalType(header);
      const bodyStart = 1 + planned.offset;
      out.set(nal.subarray(bodyStart, bodyStart + planned.length), at + FU_A_HEADER_BYTES);
      return [nalType(header)];
    }
  }
}

function isNalList(value: Uint8Array | readonly Uint8Array[]): value is readonly Uint8Array[] {
  return Array.isArray(value);
}

function validate(o: H264PacketizerOptions): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new H264PacketizerConfigError('invalid-option', what);
  };
  check(Number.isInteger(o.maxPacketBytes) && o.maxPacketBytes >= 100 && o.maxPacketBytes <= 65535, `maxPacketBytes ${o.maxPacketBytes} not in 100..65535`);
  check(Number.isInteger(o.payloadType) && o.payloadType >= 0 && o.payloadType <= 127, `payloadType ${o.payloadType} not in 0..127`);
  check(Number.isInteger(o.ssrc) && o.ssrc >= 0 && o.ssrc <= 0xffff_ffff, `ssrc ${o.ssrc} not a uint32`);
  check(o.csrcs.length <= 15, `${o.csrcs.length} CSRCs > 15`);
  check(o.fecOverheadBytes >= 0 && o.rtxOverheadBytes >= 0, 'overhead reserves must be ≥ 0');
}
