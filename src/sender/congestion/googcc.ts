/**
 * The send-side bandwidth estimator: transport-wide feedback in, a target bitrate out. Each
 * feedback's received packets feed the acknowledged-rate window and the delay-based detector
 * (in send order); the AIMD controller turns the detector's state into the delay-based rate, the
 * loss-based rate follows the reported loss, and the target is min(delay-based, loss-based)
 * clamped to [min, max]. The shape of libwebrtc's GoogCC as its design documents and
 * draft-ietf-rmcat-gcc-02 describe it, written for the lab. A probe's result (probe-result.ts,
 * sent as the probe controller asks: probe-controller.ts) lifts both rates to what the path was
 * measured to carry. Sans-I/O; rates bit/s, times ms.
 */
import { DEFAULT_DELAY_BASED, DelayBasedDetector, type BandwidthUsage } from './delay-based.ts';
import { AcknowledgedBitrate, AimdRateControl } from './rate-control.ts';
import { LossBasedRate } from './loss-based.ts';
import type { PacketResult } from './sent-history.ts';

export interface CongestionOptions {
  startBps: number;
  minBps: number;
  maxBps: number;
  /**
   * take transport-wide feedback only from this RTCP sender SSRC (the lab's receiver): werift's
   * receiver may send feedback of its own beside it, and two reports of one loss count it twice;
   * undefined = from anyone
   */
  feedbackSenderSsrc?: number;
}

/** One estimator update (the `bwe` event of the sender's records). */
export interface EstimateUpdate {
  targetBps: number;
  delayBasedBps: number;
  lossBasedBps: number;
  ackedBps: number | null;
  capacityBps: number | null;
  usage: BandwidthUsage;
  modifiedTrend: number;
  threshold: number;
  lossFraction: number;
  reported: number;
  received: number;
}

export class SendSideBandwidthEstimator {
  private readonly detector = new DelayBasedDetector(DEFAULT_DELAY_BASED);
  private readonly acked = new AcknowledgedBitrate(500);
  private readonly aimd: AimdRateControl;
  private readonly loss: LossBasedRate;
  private target: number;

  constructor(private readonly o: CongestionOptions) {
    this.aimd = new AimdRateControl({ startBps: o.startBps, minBps: o.minBps, maxBps: o.maxBps, beta: 0.85 });
    this.loss = new LossBasedRate({ startBps: o.startBps, minBps: o.minBps, maxBps: o.maxBps, minPackets: 20, decreaseIntervalMs: 300 });
    this.target = o.startBps;
  }

  get targetBps(): number {
    return this.target;
  }

  /** A probe measured the path at `bps` (the feedback that completed it is given to onFeedback next). */
  onProbeResult(bps: number): number {
    const delayBased = this.aimd.onProbe(bps);
    const lossBased = this.loss.onProbe(bps);
    this.target = Math.min(this.o.maxBps, Math.max(this.o.minBps, Math.min(delayBased, lossBased)));
    return this.target;
  }

  /** One feedback's packets at `nowMs`, with the current RTT estimate. */
  onFeedback(results: readonly PacketResult[], rttMs: number, nowMs: number): EstimateUpdate {
    const received = results.filter((r): r is PacketResult & { arrivalMs: number } => r.arrivalMs !== undefined);
    for (const r of received) this.acked.onReceived(r.arrivalMs, r.bytes);
    for (const r of [...received].sort((a, b) => a.sendMs - b.sendMs)) this.detector.onPacket(r.sendMs, r.arrivalMs);
    const ackedBps = this.acked.bps;
    const delayBased = this.aimd.update(this.detector.state, ackedBps, rttMs, nowMs);
    const lossBased = this.loss.update(results.length, received.length, rttMs, nowMs);
    this.target = Math.min(this.o.maxBps, Math.max(this.o.minBps, Math.min(delayBased, lossBased)));
    const sample = this.detector.sample;
    return {
      targetBps: this.target, delayBasedBps: delayBased, lossBasedBps: lossBased, ackedBps: ackedBps ?? null, capacityBps: this.aimd.capacityBps ?? null,
      usage: sample.usage, modifiedTrend: sample.modifiedTrend, threshold: sample.threshold, lossFraction: this.loss.lossFraction,
      reported: results.length, received: received.length,
    };
  }
}
