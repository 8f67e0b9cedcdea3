/**
 * What the sender process is told to do, in its configure message: frame source, encoder,
 * packetization, pacing and protection, all derived from the scenario by the orchestrator
 * (lab/run/child-options.ts). Plain JSON; the sender reads nothing else about the run.
 */
import type { EncoderOptions, FrameSourceOptions } from '../native/types.ts';
import type { PacingOptions } from './pacer/create.ts';
import type { SendProtectionPlan } from './protection/realtime-options.ts';
import type { SendCongestionOptions } from './send-pipeline.ts';

export interface SenderRunOptions {
  frameSource: Pick<FrameSourceOptions, 'width' | 'height' | 'fps' | 'capturePath' | 'pixelFormat' | 'device'>;
  encoder: EncoderOptions;
  /** capture.fallback: run the next capture path that can (zero-copy → gpu-convert → readback) when the asked one cannot */
  captureFallback?: boolean;
  /** largest RTP packet, bytes */
  mtu: number;
  /** the run's seed: RTP timestamp and sequence number origins */
  seed: number;
  pacing: PacingOptions;
  /** undefined: no loss protection */
  protection: SendProtectionPlan | undefined;
  /** how long the sender keeps answering NACKs after its last frame, ms (0 without NACK) */
  nackTailMs: number;
  /** congestion control on transport-wide or RFC 8888 feedback (and the peer's REMB); absent = the encoder's fixed bitrate */
  congestion?: SendCongestionOptions;
  /** the receiver is Chromium: the offer carries the lines libwebrtc needs (src/transport/chromium-offer.ts); absent = the lab's receiver */
  receiverKind?: 'chromium';
  /** the Chromium sender's canvas scene (sender.scene); absent = smooth */
  chromiumScene?: 'smooth' | 'detailed';
}
