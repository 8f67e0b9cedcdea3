/**
 * Virtual-time driver of one link direction: feeds timed packets and timeline changes into the
 * native LinkModel, always advancing to the earliest event (arrival, change or release), so it
 * runs far faster than real time and never sleeps. Same model code as the real data plane.
 */
import { LinkModel } from './model.ts';
import type { OfferOutcome } from './native.ts';
import type { LinkModelParams } from './params.ts';

/** One packet arriving at the link at atUs (µs), as bytes or as a size (zero-filled bytes). */
export interface VirtualPacket {
  atUs: number;
  packet: Buffer | number;
}

/** A parameter change applied before any packet arriving at or after atUs (µs). */
export interface VirtualChange {
  atUs: number;
  params: LinkModelParams;
}

export interface VirtualRelease {
  releaseUs: number;
  data: Buffer;
}

export interface VirtualRunResult {
  outcomes: OfferOutcome[];
  releases: VirtualRelease[];
  /** fate log NDJSON exactly as the model wrote it */
  fateText: string;
}

/** Creates a model for one direction. */
export function createLinkModel(seed: number | bigint, params: LinkModelParams, dir: 'up' | 'down' = 'up'): LinkModel {
  return new LinkModel(seed, params, dir);
}

/** Runs packets through a fresh model in virtual time until every held packet is released. */
export function runVirtualLink(options: {
  seed: number | bigint;
  params: LinkModelParams;
  packets: VirtualPacket[];
  timeline?: VirtualChange[];
  dir?: 'up' | 'down';
}): VirtualRunResult {
  const model = createLinkModel(options.seed, options.params, options.dir);
  const packets = [...options.packets].sort((a, b) => a.atUs - b.atUs);
  const changes = [...(options.timeline ?? [])].sort((a, b) => a.atUs - b.atUs);
  const outcomes: OfferOutcome[] = [];
  const releases: VirtualRelease[] = [];
  let fateText = '';
  let pi = 0;
  let ci = 0;
  for (;;) {
    const nextPacket = packets[pi]?.atUs ?? Infinity;
    const nextChange = changes[ci]?.atUs ?? Infinity;
    const nextRelease = model.pollTimeout() ?? Infinity;
    const now = Math.min(nextPacket, nextChange, nextRelease);
    if (now === Infinity) break;
    // releases due strictly before or at `now` go first, then changes, then arrivals
    if (nextRelease <= nextChange && nextRelease <= nextPacket) {
      for (let r = model.pollRelease(now); r; r = model.pollRelease(now)) releases.push(r);
    } else if (nextChange <= nextPacket) {
      model.setParams(changes[ci++]!.params);
    } else {
      outcomes.push(model.offer(packets[pi++]!.packet, now));
    }
    fateText += model.fateText();
  }
  fateText += model.fateText();
  return { outcomes, releases, fateText };
}
