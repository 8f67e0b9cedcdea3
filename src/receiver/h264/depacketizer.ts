/**
 * H.264 RTP depacketizer, RFC 6184 packetization-mode 1: single NAL unit packets, STAP-A (§5.7.1)
 * and FU-A (§5.8). STAP-B, MTAP16/24 (interleaved mode) and FU-B are refused. Never throws: bad
 * payloads give an `H264DepacketizeError` value with a stable `code`.
 */

import { NalType, nalType } from '../../shared/h264/nal.ts';

/** What one RTP payload holds. NAL units and fragments are views into the payload. */
export type H264PayloadUnit =
  | { kind: 'single-nal'; nal: Uint8Array }
  | { kind: 'stap-a'; nals: Uint8Array[] }
  /** `nalHeader`: the fragmented NAL unit's header byte, rebuilt from FU indicator and FU header */
  | { kind: 'fu-a'; start: boolean; end: boolean; nalHeader: number; fragment: Uint8Array };

/** Why a payload (or a frame's payloads) do not give NAL units. */
export type H264DepacketizeErrorCode =
  | 'empty-payload'
  | 'unsupported-nal-type'
  | 'stap-a-truncated'
  | 'stap-a-empty'
  | 'fu-a-truncated'
  | 'fu-a-start-and-end'
  | 'fu-a-without-start'
  | 'fu-a-incomplete'
  | 'fu-a-type-mismatch';

/** A depacketization failure, returned (never thrown). */
export class H264DepacketizeError {
  readonly kind = 'h264-depacketize-error';
  constructor(
    readonly code: H264DepacketizeErrorCode,
    readonly message: string,
  ) {}
}

const FU_A_HEADER_BYTES = 2;
const STAP_A_LENGTH_BYTES = 2;

/** Parses one RTP payload into what it carries. */
export function parseH264Payload(payload: Uint8Array): H264PayloadUnit | H264DepacketizeError {
  if (payload.length === 0) return new H264DepacketizeError('empty-payload', 'RTP payload is empty');
  const type = nalType(payload[0]!);
  if (type >= 1 && type <= 23) return { kind: 'single-nal', nal: payload };
  if (type === NalType.StapA) return parseStapA(payload);
  if (type === NalType.FuA) {
    if (payload.length < FU_A_HEADER_BYTES) return new H264DepacketizeError('fu-a-truncated', 'FU-A without FU header');
    const fuHeader = payload[1]!;
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    if (start && end) return new H264DepacketizeError('fu-a-start-and-end', 'FU-A with both S and E bits (RFC 6184 §5.8)');
    const nalHeader = (payload[0]! & 0xe0) | (fuHeader & 0x1f);
    if (!(nalType(nalHeader) >= 1 && nalType(nalHeader) <= 23)) {
      return new H264DepacketizeError('unsupported-nal-type', `FU-A carries NAL type ${nalType(nalHeader)}`);
    }
    return { kind: 'fu-a', start, end, nalHeader, fragment: payload.subarray(FU_A_HEADER_BYTES) };
  }
  const name = type === NalType.StapB ? 'STAP-B' : type === NalType.Mtap16 ? 'MTAP16' : type === NalType.Mtap24 ? 'MTAP24' : type === NalType.FuB ? 'FU-B' : `type ${type}`;
  return new H264DepacketizeError('unsupported-nal-type', `${name} is not supported in packetization-mode 1`);
}

function parseStapA(payload: Uint8Array): H264PayloadUnit | H264DepacketizeError {
  const nals: Uint8Array[] = [];
  let i = 1;
  while (i < payload.length) {
    if (i + STAP_A_LENGTH_BYTES > payload.length) return new H264DepacketizeError('stap-a-truncated', `STAP-A size field cut at byte ${i}`);
    const size = (payload[i]! << 8) | payload[i + 1]!;
    i += STAP_A_LENGTH_BYTES;
    if (size === 0) return new H264DepacketizeError('stap-a-empty', `STAP-A unit of size 0 at byte ${i - 2}`);
    if (i + size > payload.length) return new H264DepacketizeError('stap-a-truncated', `STAP-A unit of ${size} bytes runs past the payload`);
    const nal = payload.subarray(i, i + size);
    const type = nalType(nal[0]!);
    if (type < 1 || type > 23) return new H264DepacketizeError('unsupported-nal-type', `STAP-A holds NAL type ${type}`);
    nals.push(nal);
    i += size;
  }
  if (nals.length === 0) return new H264DepacketizeError('stap-a-empty', 'STAP-A without NAL units');
  return { kind: 'stap-a', nals };
}

/**
 * nal_unit_type of the NAL unit a payload begins (single NAL, first unit of a STAP-A, FU-A with the
 * S bit), or undefined when the payload continues a fragmented unit or is malformed.
 */
export function firstNalTypeBegun(payload: Uint8Array): number | undefined {
  if (payload.length === 0) return undefined;
  const type = nalType(payload[0]!);
  if (type >= 1 && type <= 23) return type;
  if (type === NalType.StapA) return payload.length > 3 ? nalType(payload[3]!) : undefined;
  if (type === NalType.FuA) return payload.length >= 2 && payload[1]! & 0x80 ? nalType(payload[1]!) : undefined;
  return undefined;
}

/**
 * Turns the payloads of one frame, in sequence order, into its NAL units (FU-A fragments
 * reassembled into new buffers; whole units are views). Errors for malformed payloads and for
 * FU-A fragments that do not form start … end runs.
 */
export function depacketizeH264(payloads: Iterable<Uint8Array>): Uint8Array[] | H264DepacketizeError {
  const nals: Uint8Array[] = [];
  let fragments: Uint8Array[] | undefined;
  let fragmentHeader = 0;
  let fragmentBytes = 0;
  for (const payload of payloads) {
    const unit = parseH264Payload(payload);
    if (unit instanceof H264DepacketizeError) return unit;
    if (unit.kind !== 'fu-a') {
      if (fragments) return new H264DepacketizeError('fu-a-incomplete', 'FU-A run ends without an E fragment');
      if (unit.kind === 'single-nal') nals.push(unit.nal);
      else for (const nal of unit.nals) nals.push(nal);
      continue;
    }
    if (unit.start) {
      if (fragments) return new H264DepacketizeError('fu-a-incomplete', 'FU-A start before the previous run ended');
      fragments = [];
      fragmentHeader = unit.nalHeader;
      fragmentBytes = 1;
    } else if (!fragments) {
      return new H264DepacketizeError('fu-a-without-start', 'FU-A fragment without a preceding S fragment');
    } else if (nalType(unit.nalHeader) !== nalType(fragmentHeader)) {
      return new H264DepacketizeError('fu-a-type-mismatch', 'FU-A fragment of a different NAL type than its start');
    }
    fragments.push(unit.fragment);
    fragmentBytes += unit.fragment.length;
    if (unit.end) {
      const nal = Buffer.allocUnsafe(fragmentBytes);
      nal[0] = fragmentHeader;
      let at = 1;
      for (const fragment of fragments) {
        nal.set(fragment, at);
        at += fragment.length;
      }
      nals.push(nal);
      fragments = undefined;
    }
  }
  if (fragments) return new H264DepacketizeError('fu-a-incomplete', 'frame ends inside a FU-A run');
  return nals;
}
