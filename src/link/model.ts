/**
 * LinkModel: one direction of the link as a sans-I/O unit for virtual-time harnesses (the same
 * C++ model the real data plane runs). Time is an input (µs); nothing here reads a clock.
 *   offer(packet, nowUs) → 'held' | drop reason;  pollTimeout() → next µs;  pollRelease(nowUs)
 *   → next due packet;  fates() → finished fate records;  setParams() between two packets.
 */
import { parseFateLog, type LinkFateRecord } from './fate.ts';
import { loadLinkNative, type NativeLinkModel, type OfferOutcome } from './native.ts';
import type { LinkModelParams } from './params.ts';

export class LinkModel {
  private readonly native: NativeLinkModel;
  private pendingText = '';

  /**
   * `seed` drives every random choice of this direction; same seed + same packets → same fates.
   * RTP packets draw from a generator keyed by (seed, dir, PT, extended seq), so each one meets the
   * same random loss / jitter / corruption / duplication whatever else is offered (stateful parts:
   * lab/impairment/README.md, "Determinism").
   */
  constructor(seed: number | bigint, params: LinkModelParams, dir: 'up' | 'down' = 'up') {
    const { LinkModel: Native } = loadLinkNative();
    this.native = new Native({ seed, params, dir });
  }

  /** Offers a packet (bytes, or a size for zero-filled bytes) arriving at nowUs. */
  offer(packet: Buffer | number, nowUs: number): OfferOutcome {
    return this.native.offer(packet, nowUs);
  }

  /** Earliest µs at which a held packet is due; undefined when none is held. */
  pollTimeout(): number | undefined {
    return this.native.pollTimeout() ?? undefined;
  }

  /** Next packet due at or before nowUs (drain until undefined). */
  pollRelease(nowUs: number): { data: Buffer; releaseUs: number } | undefined {
    return this.native.pollRelease(nowUs) ?? undefined;
  }

  /** Replaces the parameters from the next packet on. */
  setParams(params: LinkModelParams): void {
    this.native.setParams(params);
  }

  /** Packets held (in the bottleneck or the delay line). */
  held(): number {
    return this.native.held();
  }

  /** NDJSON of the fate records finished since the last call (fateText or fates). */
  fateText(): string {
    const text = this.pendingText + this.native.drainFates();
    this.pendingText = '';
    return text;
  }

  /** Fate records finished since the last call. */
  fates(): LinkFateRecord[] {
    const parsed = parseFateLog(this.fateText());
    if ('error' in parsed) throw parsed.error; // the model writes only valid records
    return parsed.records;
  }
}
