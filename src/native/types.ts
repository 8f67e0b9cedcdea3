/**
 * The contract between the TypeScript side and the native addon (native/).
 * All times are CLOCK_MONOTONIC nanoseconds as bigint, the same clock as
 * `process.hrtime.bigint()` on Linux.
 *
 * No argument or call order crashes the process: every entry point throws (or rejects with) a JS
 * error carrying a stable `code` (NATIVE_ERROR_CODES; the link's are in src/link/native.ts).
 */

/** `code` of the errors the addon's frame source, codecs, marker and Vulkan listing throw. */
export const NATIVE_ERROR_CODES = {
  /** FrameSource options of the wrong type or out of range (TypeError / RangeError) */
  sourceOptions: 'ERR_SOURCE_OPTIONS',
  /** FrameSource.start arguments (onFrame / onError not functions) */
  sourceArgs: 'ERR_SOURCE_ARGS',
  /** the capture path cannot run on the chosen device */
  sourceUnavailable: 'ERR_SOURCE_UNAVAILABLE',
  /** a method of a closed FrameSource */
  sourceClosed: 'ERR_SOURCE_CLOSED',
  /** start() while started, captureOne() while started */
  sourceState: 'ERR_SOURCE_STATE',
  /** Vulkan or capture failure while creating or rendering */
  sourceFailed: 'ERR_SOURCE_FAILED',
  /** readMarker / writeMarker arguments */
  markerArgs: 'ERR_MARKER_ARGS',
  /** listVulkanDevices could not enumerate the devices */
  vulkan: 'ERR_VULKAN',
  /** Encoder / Decoder options, unknown codec */
  codecOptions: 'ERR_CODEC_OPTIONS',
  /** the codec library cannot open the encoder or decoder here */
  codecUnavailable: 'ERR_CODEC_UNAVAILABLE',
  /** a method of a closed Encoder / Decoder, or work waiting when it was closed */
  codecClosed: 'ERR_CODEC_CLOSED',
  /** encode() / decode() input that does not fit the codec */
  inputInvalid: 'ERR_INPUT_INVALID',
  /** the codec library failed on this input */
  encodeFailed: 'ERR_ENCODE_FAILED',
  decodeFailed: 'ERR_DECODE_FAILED',
  /** RelayMuxer constructor options (the message names the field) */
  relayOptions: 'ERR_RELAY_OPTIONS',
  /** RelayMuxer.write arguments */
  relayArgs: 'ERR_RELAY_ARGS',
  /** RelayMuxer.write after close() */
  relayClosed: 'ERR_RELAY_CLOSED',
} as const;

/** One Vulkan physical device as the loader reports it. */
export interface VulkanDeviceInfo {
  index: number;
  name: string;
  type: 'discrete' | 'integrated' | 'virtual' | 'cpu' | 'other';
  vendorId: number;
  deviceId: number;
  driverName: string;
  driverInfo: string;
  /** "major.minor.patch" */
  apiVersion: string;
  /** VK_KHR_external_memory_fd is offered (needed by the zero-copy path). */
  externalMemoryFd: boolean;
  /** VK_KHR_external_semaphore_fd is offered (the zero-copy path's GPU-side sync with CUDA). */
  externalSemaphoreFd: boolean;
  /** Vulkan 1.2 timeline semaphores. */
  timelineSemaphore: boolean;
  /** VkPhysicalDeviceIDProperties.deviceUUID, 8-4-4-4-12 hex (CUDA's device UUID for the same GPU). */
  deviceUuid: string;
}

/** One CUDA device as the driver reports it. */
export interface CudaDeviceInfo {
  ordinal: number;
  name: string;
  /** 8-4-4-4-12 hex, as nvidia-smi -L prints it (without the GPU- prefix) */
  uuid: string;
  computeCapability: string;
}

/** What the zero-copy path's detection saw; `decideZeroCopy` turns it into a verdict. */
export interface ZeroCopyFacts {
  vulkanDevice: string;
  vulkanUuid: string;
  externalMemoryFd: boolean;
  /** the device can export storage-buffer memory as an opaque fd (vkGetPhysicalDeviceExternalBufferProperties) */
  memoryExportable: boolean;
  externalSemaphoreFd: boolean;
  timelineSemaphore: boolean;
  /** the device can export a timeline semaphore as an opaque fd */
  semaphoreExportable: boolean;
  /** why libcuda.so.1 could not be loaded; '' when loaded */
  cudaLoadError: string;
  /** cuInit's failure; '' when it succeeded */
  cudaInitError: string;
  cudaDevices: CudaDeviceInfo[];
  /** why NVENC cannot open a session on the matching CUDA device; '' when it can, absent when not probed */
  nvencError?: string;
}

/** Whether one capture path can run, with the reason when it cannot. */
export interface CapturePathProbe {
  path: CapturePath;
  available: boolean;
  /** why not, naming the missing piece ("the Vulkan device llvmpipe … does not offer VK_KHR_external_semaphore_fd") */
  reason?: string;
  /** for zero-copy: the CUDA device matched to the Vulkan device by UUID */
  cudaOrdinal?: number;
}

export interface CapturePathProbeOptions {
  width: number;
  height: number;
  pixelFormat?: PixelFormat;
  device?: number | string;
}

export interface CapturePathReport {
  device: VulkanDeviceInfo;
  paths: CapturePathProbe[];
  zeroCopy: ZeroCopyFacts;
}

/** The lavapipe check of zero-copy's Vulkan half: frames converted into exported surfaces,
 * imported from their fds into a second Vulkan device and read back, next to gpu-convert's
 * output of the same frames (same injected capture times). */
export interface ZeroCopyVulkanCheckOptions {
  width: number;
  height: number;
  frames: number;
  /** ring size, 2..16; default 3 */
  slots?: number;
  device?: number | string;
}

export interface ZeroCopyVulkanCheck {
  device: string;
  /** NV12 bytes of each frame read through the imported fd */
  imported: Buffer[];
  /** NV12 bytes of the same frames from the gpu-convert path */
  gpuConvert: Buffer[];
  /** ring slot each frame was converted into, in order */
  slots: number[];
  /** bytes of each exported allocation (may exceed the NV12 size by alignment) */
  allocationBytes: number;
}

export type CapturePath = 'readback' | 'gpu-convert' | 'zero-copy';
export type PixelFormat = 'i420' | 'nv12';

export interface FrameSourceOptions {
  width: number;
  height: number;
  /** frames per second, > 0 */
  fps: number;
  capturePath: CapturePath;
  pixelFormat?: PixelFormat;
  /** device index, or a case-insensitive substring of its name; default: automatic choice */
  device?: number | string;
  /** frames rendered but not yet taken by JS before the source drops (counted); default 4 */
  queueDepth?: number;
  /**
   * FOR TESTS ONLY (never set by the lab, not reachable from a scenario): frame n (its `id`) is
   * stamped with capture time `firstNs + n × stepNs` (mod 2^64, ns) instead of the CLOCK_MONOTONIC
   * time its render fence was observed. The marker's pixels, and so what a deterministic encoder
   * (x264, fixed settings, one thread) makes of them, are then the same on every run, and a test
   * knows the exact time each marker must read back. `captureTimeNs` reports the injected time;
   * `times` stay the real stage times.
   */
  testCaptureTime?: { firstNs: bigint; stepNs: bigint };
}

/** Stage times of a captured frame, CLOCK_MONOTONIC ns. */
export interface CaptureTimes {
  renderSubmitNs: bigint;
  /** The render fence was observed signalled: this is the frame's capture time. */
  renderDoneNs: bigint;
  /** Pixels are in host memory (readback) or in the conversion output. */
  copyDoneNs: bigint;
  /** YUV conversion finished; the frame is ready for the encoder. */
  convertDoneNs: bigint;
}

/** A captured frame in host memory, planes contiguous in `data`. */
export interface RawFrame {
  id: number;
  width: number;
  height: number;
  format: PixelFormat;
  data: Buffer;
  /** bytes per row of each plane (i420: Y,U,V; nv12: Y,UV) */
  strides: number[];
  /** byte offset of each plane inside `data` */
  planeOffsets: number[];
  /** stamped in the marker: times.renderDoneNs, or the injected testCaptureTime */
  captureTimeNs: bigint;
  times: CaptureTimes;
  /**
   * zero-copy only: the frame is an NV12 surface on the GPU (`data` is empty) for an NVENC encoder
   * opened with `cudaDevice`; the surface returns to the source once encoded (or when the frame
   * is garbage-collected unencoded).
   */
  gpuSurface?: { ring: number; slot: number; value: bigint };
}

export interface FrameSourceStats {
  rendered: number;
  delivered: number;
  /** frames dropped because JS did not keep up (queue full) */
  droppedQueueFull: number;
  /** render ticks missed because rendering took longer than a frame interval */
  missedTicks: number;
}

export interface NativeFrameSource {
  readonly device: VulkanDeviceInfo;
  /** Why this device was chosen (or that it was asked for). */
  readonly deviceChoice: string;
  readonly capturePath: CapturePath;
  /** zero-copy: the CUDA device its frames live on (open the NVENC encoder with it); else null. */
  readonly cudaDevice: number | null;
  /** Starts the paced render thread; `onFrame` is called on the JS thread for each frame. */
  start(onFrame: (frame: RawFrame) => void, onError?: (error: Error) => void): void;
  /** Stops the render thread; resolves when it has ended. */
  stop(): Promise<void>;
  /** Renders and captures one frame right away (no pacing); for tests and benchmarks. */
  captureOne(): Promise<RawFrame>;
  stats(): FrameSourceStats;
  close(): void;
}

export type EncoderCodec = 'x264' | 'openh264' | 'h264_nvenc' | 'hevc_nvenc';

export interface EncoderOptions {
  codec: EncoderCodec;
  width: number;
  height: number;
  fps: number;
  /** target bitrate, bits per second */
  bitrateBps: number;
  /** keyframe interval in frames; 0 = only on request (and the first frame) */
  gop: number;
  /** VBV buffer as a multiple of one frame's bits at the target rate; default 1 */
  vbvFrames?: number;
  /** encoder threads; default 1 (lowest latency) */
  threads?: number;
  /**
   * Highest quantiser (QP, 0..51) the rate control may use; default off (the library's own limit:
   * x264 goes past 51 into its VBV emergency mode, openh264 stops at 51). Capping trades rate
   * overshoot for picture (and frame marker) integrity at starved rates; see native/CODECS.md.
   */
  qpMax?: number;
  /** h264_nvenc/hevc_nvenc only: take zero-copy frames (RawFrame.gpuSurface) on this CUDA device */
  cudaDevice?: number;
  /**
   * the pixel format frames will arrive in (default i420): with 'nv12' x264 and NVENC open for
   * NV12 and take the planes as they are (openh264 converts); a frame of the other format is
   * converted with libyuv
   */
  inputFormat?: PixelFormat;
}

/** One encoded access unit in Annex-B byte stream format. */
export interface EncodedFrame {
  frameId: number;
  data: Buffer;
  keyframe: boolean;
  captureTimeNs: bigint;
  encodeStartNs: bigint;
  encodeDoneNs: bigint;
  /** zero-copy: the GPU surface copied into NVENC's input (CUDA waited for the conversion) */
  importDoneNs?: bigint;
}

export interface NativeEncoder {
  readonly codec: EncoderCodec;
  /** the library and version doing the work, e.g. "libavcodec libx264 (x264 core 164)" */
  readonly implementation: string;
  /** Encodes one frame; resolves with the access unit (null if the encoder held it back). */
  encode(frame: RawFrame): Promise<EncodedFrame | null>;
  setBitrate(bitrateBps: number): void;
  /** The next frame given to encode() comes out as an IDR with SPS/PPS in-band. */
  requestKeyframe(): void;
  close(): void;
}

export interface EncoderProbe {
  codec: EncoderCodec;
  available: boolean;
  implementation?: string;
  /** why it cannot be used here, when not available */
  reason?: string;
}

export type MarkerRead =
  | { ok: true; frameId: number; captureTimeNs: bigint }
  | { ok: false; reason: 'too-small' | 'check-failed' };

export interface DecoderOptions {
  codec: 'h264';
  /** read the frame marker on the decoder thread right after decoding; default true */
  readMarker?: boolean;
}

export interface DecodedFrame {
  width: number;
  height: number;
  /** Y plane only, `yStride` bytes per row */
  y: Buffer;
  yStride: number;
  decodeStartNs: bigint;
  decodeDoneNs: bigint;
  /** present when readMarker is on */
  marker?: MarkerRead;
  markerReadNs?: bigint;
}

export interface NativeDecoder {
  /** Decodes one Annex-B access unit; resolves with the pictures it produced (0 or 1 at low delay). */
  decode(accessUnit: Buffer): Promise<DecodedFrame[]>;
  close(): void;
}

/** libavformat muxer of a relay target: rtsp (rtsp://), mpegts over SRT (srt://), flv over RTMP (rtmp://). */
export type RelayFormat = 'rtsp' | 'mpegts' | 'flv';

export interface RelayMuxerOptions {
  url: string;
  format: RelayFormat;
  width: number;
  height: number;
  /** frames per second (the stream's nominal rate and each packet's duration) */
  fps: number;
  /** AVOptions for the protocol (avio_open2) and the muxer (avformat_write_header); unknown keys fail the open */
  options?: Record<string, string>;
  /** access units queued for the worker before the drop policy applies; default 30 */
  queueFrames?: number;
  /** also drop by the queue policy once the oldest queued frame waited this long, ms (0..600000); default 0: by frames only */
  maxQueueAgeMs?: number;
  /** connect + header deadline, ms; default 5000 */
  openTimeoutMs?: number;
  /** deadline of one packet write, ms; default 2000 */
  writeTimeoutMs?: number;
}

/** 'closed' once close() has resolved (stats() still answers then). */
export type RelayMuxerState = 'connecting' | 'open' | 'failed' | 'closed';

export interface RelayMuxerStats {
  /** access-unit bytes handed to the muxer (container and protocol overhead not counted) */
  bytes: number;
  /** access units written */
  frames: number;
  /** access units dropped: before the first keyframe, by the queue policy, after failure or close */
  dropped: number;
  /** median of write() → av_write_frame returned (queue wait, muxing, handing to the socket) over the last 256 written, ms */
  queueDelayMsP50?: number;
  state: RelayMuxerState;
  /** why the muxer failed: the libav call and the library's own text */
  error?: string;
}

/** One relay target's muxer; opens and writes on its own thread (native/src/relay_mux.h). */
export interface NativeRelayMuxer {
  /**
   * Queues one Annex-B access unit; `ptsUs` (µs) must increase. Returns false when the access
   * unit was dropped (before the first keyframe, queue policy, failed or closing muxer).
   */
  write(accessUnit: Buffer, ptsUs: bigint, keyframe: boolean): boolean;
  stats(): RelayMuxerStats;
  /** Sends what is queued (1 s grace), writes the trailer, ends the thread. Idempotent. */
  close(): Promise<void>;
}

/** What the addon exports; loaded by src/native/addon.ts. */
export interface NativeAddon {
  modules: string[];
  monotonicNowNs(): bigint;
  listVulkanDevices(): Promise<VulkanDeviceInfo[]>;
  /** Which capture paths can run on the chosen Vulkan device, each with its reason when not. */
  probeCapturePaths(options: CapturePathProbeOptions): Promise<CapturePathReport>;
  /** The zero-copy verdict for given facts (the rule probeCapturePaths applies; tests inject facts). */
  decideZeroCopy(facts: ZeroCopyFacts): { available: boolean; reason?: string; cudaOrdinal?: number };
  /** Exports the zero-copy ring's surfaces and imports them into a second Vulkan device (no CUDA needed). */
  zeroCopyVulkanCheck(options: ZeroCopyVulkanCheckOptions): Promise<ZeroCopyVulkanCheck>;
  FrameSource: new (options: FrameSourceOptions) => NativeFrameSource;
  probeEncoders(): Promise<EncoderProbe[]>;
  Encoder: new (options: EncoderOptions) => NativeEncoder;
  Decoder: new (options: DecoderOptions) => NativeDecoder;
  /** Reads the frame marker from a Y plane (see native/README.md). */
  readMarker(y: Buffer, width: number, height: number, stride: number): MarkerRead;
  /** Writes the marker into a Y plane at full contrast (for tests and tools). */
  writeMarker(y: Buffer, width: number, height: number, stride: number, frameId: number, captureTimeNs: bigint): void;
  RelayMuxer: new (options: RelayMuxerOptions) => NativeRelayMuxer;
}
