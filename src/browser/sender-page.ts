/**
 * The Chromium sender's page (bundled by esbuild; src/sender/chromium-main.ts serves it). It draws
 * a moving scene into a canvas with the lab's frame marker in the top left corner (the layout of
 * native/README.md, written by src/shared/marker.ts into a luma plane and drawn as black/white),
 * hands each drawn frame to captureStream with requestFrame(), and sends it with libwebrtc (its
 * H.264 encoder, pacer, bandwidth estimation, RTX and FEC). The marker's capture time is the
 * draw time mapped onto CLOCK_MONOTONIC by the offset the process measured and handed in.
 */
import { iceGatheringComplete, sampleStats, type PageStats } from './peer-common.ts';
import { markerBlockSize, markerFits, writeMarker, type LumaPlane } from '../shared/marker.ts';

/** One drawn frame (see PageSenderFrame in src/sender/chromium/page-records.ts). */
interface PageSenderFrame {
  frameId: number;
  drawStartMs: number;
  drawDoneMs: number;
  requestedMs: number;
  /** CLOCK_MONOTONIC ns written into the marker, as a decimal string */
  captureTimeNs: string;
}


const KEPT_STATS = new Set(['outbound-rtp', 'remote-inbound-rtp', 'candidate-pair', 'transport', 'codec', 'media-source']);

let pc: RTCPeerConnection | undefined;
let frames: PageSenderFrame[] = [];
let stats: PageStats[] = [];
let drawTimer: number | undefined;
let statsTimer: number | undefined;
const problems: string[] = [];

let canvas: HTMLCanvasElement | undefined;
let context: CanvasRenderingContext2D | undefined;
let track: CanvasCaptureMediaStreamTrack | undefined;
let nextFrameId = 0;
/** the scene: 'smooth' (a gradient and a bar) or 'detailed' (plus a field of changing blocks) */
let scene: 'smooth' | 'detailed' = 'smooth';
let offsetMs = 0;

/** Sets the canvas up and returns its capture track. */
function setUp(width: number, height: number): CanvasCaptureMediaStreamTrack {
  canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  document.body.append(canvas);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas context');
  context = ctx;
  // frame rate 0: a frame goes out only when requestFrame() says so, one per drawn frame
  const stream = canvas.captureStream(0);
  const captured = stream.getVideoTracks()[0];
  if (!captured) throw new Error('captureStream gave no video track');
  track = captured as CanvasCaptureMediaStreamTrack;
  track.contentHint = 'detail';
  return track;
}

/** The marker as black/white RGBA (luma 16 → 0, 235 → 255: the encoder's BT.601 limited range maps them back). */
function markerImage(width: number, height: number, frameId: number, captureTimeNs: bigint): ImageData {
  const b = markerBlockSize(width, height);
  const regionWidth = 34 * b;
  const regionHeight = 6 * b;
  // writeMarker sizes the blocks from the frame's size and writes only the region: a plane of the
  // frame's size whose rows are the region's (stride = region width) holds all it writes
  const plane: LumaPlane = { data: new Uint8Array(regionWidth * regionHeight), width, height, stride: regionWidth };
  writeMarker(plane, frameId, captureTimeNs);
  const image = new ImageData(regionWidth, regionHeight);
  for (let y = 0; y < regionHeight; y++) {
    for (let x = 0; x < regionWidth; x++) {
      const luma = plane.data[y * regionWidth + x]!;
      const v = Math.round(Math.min(255, Math.max(0, ((luma - 16) * 255) / 219)));
      const i = 4 * (y * regionWidth + x);
      image.data[i] = v;
      image.data[i + 1] = v;
      image.data[i + 2] = v;
      image.data[i + 3] = 255;
    }
  }
  return image;
}

/**
 * Detail the encoder must spend bits on (scene 'detailed', as the lab's own scene has): the lower
 * third is a field of 16-pixel blocks whose levels change every frame (a seeded hash of block and
 * frame), so libwebrtc's encoder is limited by its rate controller, not by the content. On the
 * smooth scene it sent ≈ 340 kbit/s whatever the capacity; the detailed one costs its encoder
 * enough CPU that on 2 cores it drops frames at the source.
 */
function drawTexture(ctx: CanvasRenderingContext2D, width: number, height: number, frameId: number): void {
  const block = 16;
  const top = Math.floor((height * 2) / 3 / block) * block;
  for (let y = top; y < height; y += block) {
    for (let x = 0; x < width; x += block) {
      let h = (x * 73856093) ^ (y * 19349663) ^ (frameId * 83492791);
      h = Math.imul(h ^ (h >>> 13), 0x5bd1e995);
      const level = (h >>> 24) & 0xff;
      ctx.fillStyle = `rgb(${level},${(level * 7) & 0xff},${255 - level})`;
      ctx.fillRect(x, y, block, block);
    }
  }
}

function drawFrame(): void {
  if (!canvas || !context || !track) return;
  const { width, height } = canvas;
  const frameId = nextFrameId++;
  const drawStartMs = performance.now();
  // a moving scene: a gradient background and a bar sweeping across, so the encoder has motion
  const phase = (frameId % 120) / 120;
  const gradient = context.createLinearGradient(0, 0, width, height);
  gradient.addColorStop(0, `hsl(${Math.round(phase * 360)}, 60%, 45%)`);
  gradient.addColorStop(1, `hsl(${Math.round(phase * 360 + 180)}, 60%, 35%)`);
  context.fillStyle = gradient;
  context.fillRect(0, 0, width, height);
  context.fillStyle = '#f0f0f0';
  context.fillRect(Math.round(phase * width), Math.round(height / 3), Math.round(width / 12), Math.round(height / 3));
  if (scene === 'detailed') drawTexture(context, width, height, frameId);
  const captureTimeNs = BigInt(Math.round((drawStartMs + offsetMs) * 1e6));
  context.putImageData(markerImage(width, height, frameId, captureTimeNs), 0, 0);
  const drawDoneMs = performance.now();
  track.requestFrame();
  frames.push({ frameId, drawStartMs, drawDoneMs, requestedMs: performance.now(), captureTimeNs: captureTimeNs.toString() });
}

async function takeStats(): Promise<void> {
  if (pc) stats.push(await sampleStats(pc, KEPT_STATS));
}

/** Offers one sendonly H.264 track (packetization-mode 1) with RTX, RED/ULPFEC and FlexFEC where Chromium has them. */
async function offer(options: { width: number; height: number; maxBitrateBps: number; iceServers: RTCIceServer[]; scene?: 'smooth' | 'detailed' }): Promise<string> {
  scene = options.scene ?? 'smooth';
  if (!markerFits(options.width, options.height)) throw new Error(`a ${options.width}x${options.height} canvas is too small for the marker`);
  pc = new RTCPeerConnection({ iceServers: options.iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  const transceiver = pc.addTransceiver(setUp(options.width, options.height), { direction: 'sendonly', sendEncodings: [{ maxBitrate: options.maxBitrateBps }] });
  const codecs = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
  const h264 = codecs.filter((c) => c.mimeType === 'video/H264' && /packetization-mode=1/.test(c.sdpFmtpLine ?? '') && /profile-level-id=42e01f/.test(c.sdpFmtpLine ?? ''));
  if (h264.length === 0) throw new Error('Chromium offers no H.264 packetization-mode 1 42e01f for sending');
  const repair = codecs.filter((c) => ['video/rtx', 'video/red', 'video/ulpfec', 'video/flexfec-03'].includes(c.mimeType));
  transceiver.setCodecPreferences([...h264.slice(0, 1), ...repair]);
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc);
  return pc.localDescription!.sdp;
}

async function accept(answerSdp: string): Promise<void> {
  if (!pc) throw new Error('accept before offer');
  await pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
}

function connectionState(): string {
  return pc?.connectionState ?? 'new';
}

/** Starts drawing at `fps` and sampling stats; `monotonicOffsetMs` maps page time onto CLOCK_MONOTONIC. */
function start(fps: number, monotonicOffsetMs: number, statsIntervalMs: number): void {
  offsetMs = monotonicOffsetMs;
  drawTimer = window.setInterval(drawFrame, 1000 / fps);
  statsTimer = window.setInterval(() => void takeStats().catch((error: unknown) => problems.push(`getStats: ${String(error)}`)), statsIntervalMs);
}

function drain(): { frames: PageSenderFrame[]; stats: PageStats[]; problems: string[] } {
  const out = { frames, stats, problems: problems.splice(0) };
  frames = [];
  stats = [];
  return out;
}

async function stop(): Promise<void> {
  if (drawTimer !== undefined) window.clearInterval(drawTimer);
  if (statsTimer !== undefined) window.clearInterval(statsTimer);
  drawTimer = undefined;
  statsTimer = undefined;
  await takeStats();
}

function close(): void {
  pc?.close();
}

const api = { offer, accept, connectionState, start, drain, stop, close, now: () => performance.now() };
(window as unknown as { glasslab: typeof api }).glasslab = api;
document.body.dataset.ready = 'true';
