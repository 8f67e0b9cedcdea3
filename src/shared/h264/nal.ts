/**
 * H.264 NAL unit header (ITU-T H.264 §7.3.1, RFC 6184 §1.3): forbidden_zero_bit (1), nal_ref_idc
 * (2), nal_unit_type (5), and the types glasslab cares about.
 */

/** nal_unit_type values (uint5). 24..29 are RFC 6184 RTP payload structures, not H.264 NAL units. */
export const NalType = {
  NonIdrSlice: 1,
  PartitionA: 2,
  PartitionB: 3,
  PartitionC: 4,
  IdrSlice: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  Filler: 12,
  StapA: 24,
  StapB: 25,
  Mtap16: 26,
  Mtap24: 27,
  FuA: 28,
  FuB: 29,
} as const;

/** nal_unit_type of a NAL header byte (uint5). */
export function nalType(headerByte: number): number {
  return headerByte & 0x1f;
}

/** nal_ref_idc of a NAL header byte (uint2; 0 = not used for reference). */
export function nalRefIdc(headerByte: number): number {
  return (headerByte >> 5) & 0x03;
}

/** forbidden_zero_bit of a NAL header byte (true = the unit is known to contain errors). */
export function nalForbiddenBit(headerByte: number): boolean {
  return (headerByte & 0x80) !== 0;
}

/** True for coded slice NAL units (types 1..5): the picture data itself. */
export function isVclNal(type: number): boolean {
  return type >= NalType.NonIdrSlice && type <= NalType.IdrSlice;
}

/** True for an IDR slice (type 5). */
export function isIdrNal(type: number): boolean {
  return type === NalType.IdrSlice;
}

/** True for a parameter set (SPS 7 or PPS 8). */
export function isParameterSetNal(type: number): boolean {
  return type === NalType.Sps || type === NalType.Pps;
}

/** True for a type an H.264 encoder may emit (1..23); 0 and 24..31 are not H.264 NAL units. */
export function isH264NalType(type: number): boolean {
  return type >= 1 && type <= 23;
}

/** Short name of a NAL type for logs and records ("IDR", "SPS", "type-14"). */
export function nalTypeName(type: number): string {
  switch (type) {
    case NalType.NonIdrSlice:
      return 'non-IDR';
    case NalType.IdrSlice:
      return 'IDR';
    case NalType.Sei:
      return 'SEI';
    case NalType.Sps:
      return 'SPS';
    case NalType.Pps:
      return 'PPS';
    case NalType.Aud:
      return 'AUD';
    case NalType.StapA:
      return 'STAP-A';
    case NalType.FuA:
      return 'FU-A';
    default:
      return `type-${type}`;
  }
}
