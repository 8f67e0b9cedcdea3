/**
 * RFC 6184 packetization-mode 1 plan: which NAL units go into which RTP payload (single NAL unit
 * packet, STAP-A aggregate, FU-A fragments), given the payload room at each packet position.
 * Pure arithmetic on sizes; `packetizer.ts` writes the bytes.
 */

import { splitAboutEqually } from './balanced-split.ts';

/** STAP-A payload header (1 byte, RFC 6184 §5.7.1) and per-unit size field (2 bytes). */
export const STAP_A_HEADER_BYTES = 1;
export const STAP_A_LENGTH_BYTES = 2;
/** FU indicator + FU header (RFC 6184 §5.8), bytes. */
export const FU_A_HEADER_BYTES = 2;

/** Payload room, bytes, of a packet at each position in the frame (MTU minus headers and reserves). */
export interface PayloadCapacities {
  /** the frame's only packet */
  single: number;
  first: number;
  middle: number;
  last: number;
}

/** One planned RTP payload. NAL units are referred to by index into the frame's list. */
export type PlannedPayload =
  | { kind: 'single-nal'; nal: number }
  | { kind: 'stap-a'; first: number; count: number }
  /** bytes [offset, offset + length) of the NAL unit's body (after its 1-byte header) */
  | { kind: 'fu-a'; nal: number; offset: number; length: number; start: boolean; end: boolean };

/** Options of `planPayloads`. */
export interface PlanOptions {
  /** aggregate consecutive small NAL units into STAP-A packets */
  aggregate: boolean;
}

/**
 * Plans payloads for NAL units of the given sizes (bytes, each ≥ 1). A NAL unit that fits the room
 * of the packet it would occupy goes whole (aggregated with following ones when they fit too);
 * a larger one is fragmented into balanced FU-A fragments. The room of a packet depends on
 * whether it carries the frame's first and/or last NAL unit. Returns undefined when the
 * capacities leave no room (any < FU_A_HEADER_BYTES + 1).
 */
export function planPayloads(nalSizes: readonly number[], caps: PayloadCapacities, options: PlanOptions): PlannedPayload[] | undefined {
  const minRoom = FU_A_HEADER_BYTES + 1;
  if (caps.single < minRoom || caps.first < minRoom || caps.middle < minRoom || caps.last < minRoom) return undefined;
  const count = nalSizes.length;
  const roomFor = (holdsFirst: boolean, holdsLast: boolean) =>
    holdsFirst ? (holdsLast ? caps.single : caps.first) : holdsLast ? caps.last : caps.middle;
  const plan: PlannedPayload[] = [];
  let i = 0;
  while (i < count) {
    const size = nalSizes[i]!;
    const isFirst = i === 0;
    const isLast = i === count - 1;
    if (size <= roomFor(isFirst, isLast)) {
      const aggregated = options.aggregate ? aggregateFrom(nalSizes, i, isFirst, roomFor) : 1;
      plan.push(aggregated > 1 ? { kind: 'stap-a', first: i, count: aggregated } : { kind: 'single-nal', nal: i });
      i += aggregated;
      continue;
    }
    const body = size - 1;
    const sizes = splitAboutEqually(body, {
      first: roomFor(isFirst, false) - FU_A_HEADER_BYTES,
      middle: caps.middle - FU_A_HEADER_BYTES,
      last: roomFor(false, isLast) - FU_A_HEADER_BYTES,
    });
    if (!sizes) return undefined;
    let offset = 0;
    for (let f = 0; f < sizes.length; f++) {
      const length = sizes[f]!;
      plan.push({ kind: 'fu-a', nal: i, offset, length, start: f === 0, end: f === sizes.length - 1 });
      offset += length;
    }
    i++;
  }
  return plan;
}

/** How many NAL units starting at `from` fit one STAP-A (≥ 1; 1 means send it as a single NAL unit). */
function aggregateFrom(
  nalSizes: readonly number[],
  from: number,
  holdsFirst: boolean,
  roomFor: (holdsFirst: boolean, holdsLast: boolean) => number,
): number {
  const count = nalSizes.length;
  let bytes = STAP_A_HEADER_BYTES + STAP_A_LENGTH_BYTES + nalSizes[from]!;
  let taken = 1;
  while (from + taken < count) {
    const next = from + taken;
    const grown = bytes + STAP_A_LENGTH_BYTES + nalSizes[next]!;
    if (grown > roomFor(holdsFirst, next === count - 1)) break;
    bytes = grown;
    taken++;
  }
  return taken;
}

/** Payload bytes of a planned payload. */
export function plannedPayloadBytes(payload: PlannedPayload, nalSizes: readonly number[]): number {
  switch (payload.kind) {
    case 'single-nal':
      return nalSizes[payload.nal]!;
    case 'stap-a': {
      let bytes = STAP_A_HEADER_BYTES;
      for (let k = 0; k < payload.count; k++) bytes += STAP_A_LENGTH_BYTES + nalSizes[payload.first + k]!;
      return bytes;
    }
    case 'fu-a':
      return FU_A_HEADER_BYTES + payload.length;
  }
}
