/**
 * The Chromium receiver's page (bundled by esbuild into the page the receiver process serves;
 * src/receiver/chromium/). It answers the lab sender's offer with libwebrtc, plays the track in a
 * muted <video>, and at each requestVideoFrameCallback draws the marker region to a canvas, turns
 * it back into luma and reads the marker with the lab's own reader (src/shared/marker.ts). Frame
 * records and getStats samples queue here until the receiver process drains them. Every time is
 * the page's performance.now() timeline; the process maps it onto CLOCK_MONOTONIC.
 */
import { iceGatheringComplete, sampleStats, type PageStats } from './peer-common.ts';
import { markerBlockSize, markerFits, readMarker, type LumaPlane } from '../shared/marker.ts';

/** What the page records per frame it was called back for (see PageFrame in page-records.ts). */
interface PageFrame {
  callbackMs: number;
  readDoneMs: number;
  rtpTimestamp: number | null;
  presentationMs: number;
  expectedDisplayMs: number;
  receiveMs: number | null;
  captureMs: number | null;
  processingDurationMs: number | null;
  presentedFrames: number;
  width: number;
  height: number;
  marker: 'ok' | 'check-failed' | 'too-small';
  frameId: number | null;
  /** CLOCK_MONOTONIC ns as a decimal string (BigInt does not cross the protocol) */
  captureTimeNs: string | null;
}

const KEPT_STATS = new Set(['inbound-rtp', 'candidate-pair', 'transport', 'codec', 'remote-outbound-rtp']);

let pc: RTCPeerConnection | undefined;
let frames: PageFrame[] = [];
let stats: PageStats[] = [];
let statsTimer: number | undefined;
const problems: string[] = [];

/** BT.601 limited-range luma of the drawn region: inverts the video's YUV → RGB well within the marker's 16/235 margin. */
function lumaOf(rgba: Uint8ClampedArray, into: Uint8Array, regionWidth: number, regionHeight: number, stride: number): void {
  for (let y = 0; y < regionHeight; y++) {
    for (let x = 0; x < regionWidth; x++) {
      const i = 4 * (y * regionWidth + x);
      into[y * stride + x] = 16 + ((65.738 * rgba[i]! + 129.057 * rgba[i + 1]! + 25.064 * rgba[i + 2]!) / 256);
    }
  }
}

function watchFrames(video: HTMLVideoElement): void {
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) {
    problems.push('no 2d canvas context');
    return;
  }
  let luma: Uint8Array | undefined;
  const onFrame = (now: DOMHighResTimeStamp, meta: VideoFrameCallbackMetadata): void => {
    const { width, height } = meta;
    let marker: PageFrame['marker'] = 'too-small';
    let frameId: number | null = null;
    let captureTimeNs: string | null = null;
    if (markerFits(width, height)) {
      const b = markerBlockSize(width, height);
      const regionWidth = 34 * b;
      const regionHeight = 6 * b;
      if (canvas.width !== regionWidth || canvas.height !== regionHeight) {
        canvas.width = regionWidth;
        canvas.height = regionHeight;
      }
      // the frame at its own size, cropped to the marker region (the top left corner)
      context.drawImage(video, 0, 0, regionWidth, regionHeight, 0, 0, regionWidth, regionHeight);
      const rgba = context.getImageData(0, 0, regionWidth, regionHeight).data;
      if (!luma || luma.length !== width * height) luma = new Uint8Array(width * height);
      lumaOf(rgba, luma, regionWidth, regionHeight, width);
      const plane: LumaPlane = { data: luma, width, height, stride: width };
      const read = readMarker(plane);
      if (read.ok) {
        marker = 'ok';
        frameId = read.frameId;
        captureTimeNs = read.captureTimeNs.toString();
      } else {
        marker = read.reason;
        // what the region held, for the record: a blank frame reads ≈ 16, a half-drawn one in between
        let sum = 0;
        for (let y = 0; y < regionHeight; y++) for (let x = 0; x < regionWidth; x++) sum += luma[y * width + x]!;
        problems.push(`marker ${read.reason} at rtp ${meta.rtpTimestamp ?? '-'} (presented ${meta.presentedFrames}): region mean luma ${(sum / (regionWidth * regionHeight)).toFixed(1)}`);
      }
    }
    frames.push({
      callbackMs: now,
      readDoneMs: performance.now(),
      rtpTimestamp: meta.rtpTimestamp ?? null,
      presentationMs: meta.presentationTime,
      expectedDisplayMs: meta.expectedDisplayTime,
      receiveMs: meta.receiveTime ?? null,
      captureMs: meta.captureTime ?? null,
      processingDurationMs: meta.processingDuration === undefined ? null : meta.processingDuration * 1000,
      presentedFrames: meta.presentedFrames,
      width,
      height,
      marker,
      frameId,
      captureTimeNs,
    });
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

async function takeStats(): Promise<void> {
  if (pc) stats.push(await sampleStats(pc, KEPT_STATS));
}

/** Sets up the peer connection and answers; resolves with the answer once ICE gathering is complete. */
async function answer(offerSdp: string, iceServers: RTCIceServer[]): Promise<string> {
  pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  const video = document.querySelector('video')!;
  pc.ontrack = (event) => {
    video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    video.play().catch((error: unknown) => problems.push(`video.play: ${String(error)}`));
  };
  watchFrames(video);
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await iceGatheringComplete(pc);
  return pc.localDescription!.sdp;
}

function connectionState(): string {
  return pc?.connectionState ?? 'new';
}

function startStats(intervalMs: number): void {
  if (statsTimer !== undefined) return;
  statsTimer = window.setInterval(() => void takeStats().catch((error: unknown) => problems.push(`getStats: ${String(error)}`)), intervalMs);
}

/** Hands over what queued since the last drain. */
function drain(): { frames: PageFrame[]; stats: PageStats[]; problems: string[] } {
  const out = { frames, stats, problems: problems.splice(0) };
  frames = [];
  stats = [];
  return out;
}

async function stop(): Promise<void> {
  if (statsTimer !== undefined) window.clearInterval(statsTimer);
  statsTimer = undefined;
  await takeStats();
  pc?.close();
}

const api = { answer, connectionState, startStats, drain, stop, now: () => performance.now() };
(window as unknown as { glasslab: typeof api }).glasslab = api;
document.body.dataset.ready = 'true';
