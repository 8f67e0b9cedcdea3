/**
 * Frame marker reader and writer (layout version 1, specified in native/README.md), in TypeScript
 * over an 8-bit luma plane. The native reader (native/src/marker.cc) implements the same layout;
 * tests check that both agree.
 */

/** Outcome of reading a marker; `captureTimeNs` is CLOCK_MONOTONIC nanoseconds. */
export type MarkerReadResult =
  | { ok: true; frameId: number; captureTimeNs: bigint }
  | { ok: false; reason: 'too-small' | 'check-failed' };

/** A luma plane: `stride` bytes per row, at least `stride × (height − 1) + width` bytes. */
export interface LumaPlane {
  data: Uint8Array;
  width: number;
  height: number;
  stride: number;
}

const COLUMNS = 32;
const ROWS = 4;
const REGION_BLOCKS_WIDE = COLUMNS + 2;
const REGION_BLOCKS_HIGH = ROWS + 2;
const LUMA_ZERO = 16;
const LUMA_ONE = 235;
const LUMA_BORDER = 16;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Block size in pixels: 8 × max(1, floor(min(width, height) / 360)). */
export function markerBlockSize(width: number, height: number): number {
  return 8 * Math.max(1, Math.floor(Math.min(width, height) / 360));
}

/** True when the marker region (34 × 6 blocks) fits in a frame of this size. */
export function markerFits(width: number, height: number): boolean {
  const b = markerBlockSize(width, height);
  return width >= REGION_BLOCKS_WIDE * b && height >= REGION_BLOCKS_HIGH * b;
}

/** CRC-32 (IEEE, as zlib) over id (big-endian uint32) ‖ time (big-endian uint64). */
export function markerChecksum(frameId: number, captureTimeNs: bigint): number {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, frameId >>> 0);
  view.setBigUint64(4, BigInt.asUintN(64, captureTimeNs));
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function payloadWords(frameId: number, captureTimeNs: bigint): number[] {
  const time = BigInt.asUintN(64, captureTimeNs);
  return [frameId >>> 0, Number(time >> 32n), Number(time & 0xffffffffn), markerChecksum(frameId, time)];
}

/** Reads the marker; never throws for any plane that satisfies the LumaPlane size contract. */
export function readMarker(plane: LumaPlane): MarkerReadResult {
  const { data, width, height, stride } = plane;
  if (!markerFits(width, height)) return { ok: false, reason: 'too-small' };
  const b = markerBlockSize(width, height);
  const inner0 = Math.floor(b / 4);
  const inner1 = Math.floor((3 * b) / 4);
  const count = (inner1 - inner0) * (inner1 - inner0);
  const words = [0, 0, 0, 0];
  for (let row = 0; row < ROWS; row++) {
    let word = 0;
    for (let column = 0; column < COLUMNS; column++) {
      const x0 = b + column * b;
      const y0 = b + row * b;
      let sum = 0;
      for (let y = y0 + inner0; y < y0 + inner1; y++) {
        const line = y * stride;
        for (let x = x0 + inner0; x < x0 + inner1; x++) sum += data[line + x]!;
      }
      // bit = mean > 125.5
      word = (word << 1) | (sum * 2 > 251 * count ? 1 : 0);
    }
    words[row] = word >>> 0;
  }
  const frameId = words[0]!;
  const captureTimeNs = (BigInt(words[1]!) << 32n) | BigInt(words[2]!);
  if (markerChecksum(frameId, captureTimeNs) !== words[3]) return { ok: false, reason: 'check-failed' };
  return { ok: true, frameId, captureTimeNs };
}

/** Writes the marker region (black border, black/white data blocks) into a luma plane. */
export function writeMarker(plane: LumaPlane, frameId: number, captureTimeNs: bigint): void {
  const { data, width, height, stride } = plane;
  if (!markerFits(width, height)) {
    throw new RangeError(`writeMarker: a ${width}x${height} frame is too small for the marker region`);
  }
  const b = markerBlockSize(width, height);
  const words = payloadWords(frameId, captureTimeNs);
  for (let y = 0; y < REGION_BLOCKS_HIGH * b; y++) {
    const row = Math.floor(y / b) - 1;
    for (let x = 0; x < REGION_BLOCKS_WIDE * b; x++) {
      const column = Math.floor(x / b) - 1;
      const isData = row >= 0 && row < ROWS && column >= 0 && column < COLUMNS;
      const bit = isData ? (words[row]! >>> (31 - column)) & 1 : 0;
      data[y * stride + x] = isData ? (bit ? LUMA_ONE : LUMA_ZERO) : LUMA_BORDER;
    }
  }
}
