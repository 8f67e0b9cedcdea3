/**
 * Test helpers for the native codec tests: synthetic I420/NV12 RawFrames (a moving textured
 * pattern with the frame marker stamped in the Y plane) and an Annex-B NAL unit scanner.
 */
import type { NativeAddon, PixelFormat, RawFrame } from '../../src/native/types.ts';

/**
 * Deterministic texture (luma bytes) of `width`×`height`: diagonal gradient, soft bars, a
 * checkerboard of 16 px cells and pseudo-random noise of ±`noise`/2 levels.
 */
function makeTexture(width: number, height: number, seed: number, noise: number): Uint8Array {
  const texture = new Uint8Array(width * height);
  let state = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const grain = ((state >>> 0) % (noise + 1)) - noise / 2;
      const checker = ((x >> 4) + (y >> 4)) & 1 ? 24 : 0;
      const bars = 30 * Math.sin((x + 2 * y) / 40);
      const gradient = ((x + y) * 100) / (width + height);
      texture[y * width + x] = Math.max(16, Math.min(235, Math.round(60 + gradient + bars + checker + grain)));
    }
  }
  return texture;
}

/** Makes RawFrames of one size whose content moves 4 px right and 2 px down per frame. */
export class SyntheticSource {
  private readonly texture: Uint8Array;

  constructor(
    private readonly addon: NativeAddon,
    readonly width: number,
    readonly height: number,
    readonly format: PixelFormat = 'i420',
    /** peak-to-peak amplitude of the texture's noise, luma levels */
    noise = 16,
  ) {
    this.texture = makeTexture(width, height, 0x9e3779b9 ^ width ^ (height << 12), noise);
  }

  /** Frame `id` with the marker (id, captureTimeNs) written at full contrast. */
  frame(id: number, captureTimeNs: bigint): RawFrame {
    const { width: w, height: h } = this;
    const ySize = w * h;
    const data = Buffer.alloc(ySize + ySize / 2);
    const dx = (id * 4) % w;
    const dy = (id * 2) % h;
    for (let y = 0; y < h; y++) {
      const srcRow = ((y + dy) % h) * w;
      const dstRow = y * w;
      const split = w - dx;
      data.set(this.texture.subarray(srcRow + dx, srcRow + w), dstRow);
      data.set(this.texture.subarray(srcRow, srcRow + dx), dstRow + split);
    }
    const cw = w / 2;
    const ch = h / 2;
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const u = 128 + ((((x + id) >> 3) & 15) - 8) * 4;
        const v = 128 + ((((y + id) >> 3) & 15) - 8) * 4;
        if (this.format === 'i420') {
          data[ySize + y * cw + x] = u;
          data[ySize + ySize / 4 + y * cw + x] = v;
        } else {
          data[ySize + y * w + 2 * x] = u;
          data[ySize + y * w + 2 * x + 1] = v;
        }
      }
    }
    this.addon.writeMarker(data, w, h, w, id, captureTimeNs);
    const i420 = this.format === 'i420';
    return {
      id,
      width: w,
      height: h,
      format: this.format,
      data,
      strides: i420 ? [w, cw, cw] : [w, w],
      planeOffsets: i420 ? [0, ySize, ySize + ySize / 4] : [0, ySize],
      captureTimeNs,
      times: { renderSubmitNs: captureTimeNs, renderDoneNs: captureTimeNs, copyDoneNs: captureTimeNs, convertDoneNs: captureTimeNs },
    };
  }
}

/** H.264 NAL unit types (low 5 bits of the NAL header) in an Annex-B stream, in order. */
export function h264NalTypes(stream: Uint8Array): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      types.push((stream[i + 3] ?? 0) & 0x1f);
      i += 2;
    }
  }
  return types;
}

/** NAL type numbers of H.264 (ITU-T H.264 table 7-1) the tests look for. */
export const NAL = { nonIdrSlice: 1, idrSlice: 5, sei: 6, sps: 7, pps: 8 } as const;
