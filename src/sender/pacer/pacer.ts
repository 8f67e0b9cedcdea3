/**
 * The pacer contract: packets go in with a kind and a size, come out when the pacing strategy
 * releases them. Sans-I/O: the caller passes `nowMs` with each call and wakes the pacer at
 * `pollTimeout()`. Implementations: `leaky.ts` (leaky bucket with priorities), `null.ts` (releases
 * at once).
 */

/** Packet classes, highest priority first. */
export type PacedKind = 'retransmission' | 'media' | 'fec' | 'padding';

/** Priority rank of each kind (0 = sent first). */
export const PACED_KIND_PRIORITY: Readonly<Record<PacedKind, number>> = { retransmission: 0, media: 1, fec: 2, padding: 3 };

/** A packet handed to the pacer; `data` is carried through untouched. */
export interface PacerPacket<T> {
  kind: PacedKind;
  /** on-the-wire size counted against the budget, bytes */
  sizeBytes: number;
  data: T;
}

/** A packet the pacer released. */
export interface PacedRelease<T> {
  packet: PacerPacket<T>;
  /** when it was enqueued, ms */
  enqueuedMs: number;
  /** when it was released, ms */
  sentMs: number;
  /** sentMs − enqueuedMs, ms */
  queueMs: number;
}

/** A pacing strategy. */
export interface Pacer<T> {
  /** Queues a packet at `nowMs`; it may be released at once (drain `pollOutput`). */
  enqueue(packet: PacerPacket<T>, nowMs: number): void;
  /** Sets the target rate (bits per second) from `nowMs` on. */
  setRate(targetBps: number, nowMs: number): void;
  /** Releases whatever is due at `nowMs`. */
  handleTimeout(nowMs: number): void;
  /** When the next packet becomes due, ms; undefined when the queue is empty. */
  pollTimeout(): number | undefined;
  /** Next released packet, or undefined when none is waiting to be taken. */
  pollOutput(): PacedRelease<T> | undefined;
  /** Packets still queued. */
  readonly queuedPackets: number;
  /** Bytes still queued. */
  readonly queuedBytes: number;
}
