/**
 * Annex-B byte streams (ITU-T H.264 Annex B): NAL units separated by start codes 00 00 01 or
 * 00 00 00 01. Splitting returns views into the input (no copies).
 */

const START_CODE_3 = Buffer.from([0, 0, 1]);

/**
 * Splits an Annex-B access unit into NAL units (views, without start codes). Zero bytes before a
 * start code (the 4th byte of a 4-byte start code, trailing_zero_8bits) are not part of a NAL unit.
 * Bytes before the first start code and empty units are skipped.
 */
export function splitAnnexB(accessUnit: Uint8Array): Buffer[] {
  const buf = Buffer.isBuffer(accessUnit) ? accessUnit : Buffer.from(accessUnit.buffer, accessUnit.byteOffset, accessUnit.length);
  const units: Buffer[] = [];
  let start = buf.indexOf(START_CODE_3, 0);
  if (start < 0) return units;
  start += 3;
  for (;;) {
    const next = buf.indexOf(START_CODE_3, start);
    let end = next < 0 ? buf.length : next;
    while (end > start && buf[end - 1] === 0) end--;
    if (end > start) units.push(buf.subarray(start, end));
    if (next < 0) return units;
    start = next + 3;
  }
}

/** Start code written before each NAL unit by `joinAnnexB`: 3 or 4 bytes. */
export type StartCodeBytes = 3 | 4;

/** Bytes `joinAnnexB(units, startCodeBytes)` produces. */
export function annexBBytes(units: ReadonlyArray<Uint8Array>, startCodeBytes: StartCodeBytes = 4): number {
  let total = 0;
  for (const unit of units) total += startCodeBytes + unit.length;
  return total;
}

/** Joins NAL units into one Annex-B buffer with a start code before each unit. */
export function joinAnnexB(units: ReadonlyArray<Uint8Array>, startCodeBytes: StartCodeBytes = 4): Buffer {
  const out = Buffer.allocUnsafe(annexBBytes(units, startCodeBytes));
  let at = 0;
  for (const unit of units) {
    if (startCodeBytes === 4) out[at++] = 0;
    out[at++] = 0;
    out[at++] = 0;
    out[at++] = 1;
    out.set(unit, at);
    at += unit.length;
  }
  return out;
}

/**
 * Applies emulation prevention (H.264 §7.4.1): inserts 0x03 after every two zero bytes that are
 * followed by a byte ≤ 3, so the unit cannot contain a start code. Used to make NAL units from
 * arbitrary bytes (tests, synthetic streams). A trailing zero byte gets a 0x03 after it too, since
 * NAL units must not end in 0x00.
 */
export function escapeNalPayload(raw: Uint8Array): Buffer {
  // At most one 0x03 per two input bytes, plus one at the end.
  const out = Buffer.allocUnsafe(raw.length + (raw.length >> 1) + 1);
  let at = 0;
  let zeros = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (zeros >= 2 && byte <= 3) {
      out[at++] = 3;
      zeros = 0;
    }
    out[at++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  if (at > 0 && out[at - 1] === 0) out[at++] = 3;
  return out.subarray(0, at);
}
