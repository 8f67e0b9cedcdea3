/** Shared helpers of the native frame source tests. */
import { loadNative } from '../../src/native/addon.ts';
import type { FrameSourceOptions, NativeFrameSource, RawFrame } from '../../src/native/types.ts';

/** The loaded addon. */
export const native = loadNative();

/** Opens frame sources (640x360 readback at 30 fps unless overridden) and closes them all. */
export class SourceTracker {
  private readonly sources: NativeFrameSource[] = [];

  open(options: Partial<FrameSourceOptions> = {}): NativeFrameSource {
    const source = new native.FrameSource({ width: 640, height: 360, fps: 30, capturePath: 'readback', ...options });
    this.sources.push(source);
    return source;
  }

  closeAll(): void {
    for (const source of this.sources.splice(0)) source.close();
  }
}

/** Marker block size in pixels (native/README.md). */
export function blockSize(width: number, height: number): number {
  return 8 * Math.max(1, Math.floor(Math.min(width, height) / 360));
}

/** Y plane of a frame as a view (no copy). */
export function lumaOf(frame: RawFrame): Uint8Array {
  const offset = frame.planeOffsets[0] ?? 0;
  return frame.data.subarray(offset, offset + (frame.strides[0] ?? 0) * frame.height);
}

/** Rows below the marker region, where only the scene is. */
export function sceneRows(frame: RawFrame): { start: number; end: number } {
  return { start: 6 * blockSize(frame.width, frame.height), end: frame.height };
}
