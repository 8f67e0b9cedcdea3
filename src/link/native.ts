/**
 * The link's part of the native addon contract (native/src/link_*.cc). Kept here rather than in
 * src/native/types.ts so that the link can land without changing the shared contract.
 *
 * Every function and method checks its arguments and throws a JS error, never crashes the process;
 * the errors carry a stable `code` (LINK_NATIVE_ERROR_CODES). Ranges are stated in the messages:
 * a packet is 0..65535 bytes, times are µs within ±9e15, probabilities 0..1, delays 0..1 h.
 */
import { loadNative } from '../native/addon.ts';
import type { LinkModelParams } from './params.ts';

/** `code` of the errors the link's native functions throw. */
export const LINK_NATIVE_ERROR_CODES = {
  /** an argument has the wrong type (TypeError) or is out of its range (RangeError) */
  args: 'ERR_LINK_ARGS',
  /** a LinkDataPlane method that needs the threads or devices was called after stop() */
  stopped: 'ERR_LINK_STOPPED',
  /** the data plane could not open its TUN devices or logs */
  dataPlane: 'ERR_LINK_DATAPLANE',
  /** holdNewNetns could not create a namespace */
  netns: 'ERR_LINK_NETNS',
  /** udpProbe failed while running (namespace, socket): its promise rejects with this */
  probe: 'ERR_LINK_PROBE',
  /** releaseNetns was given an fd holdNewNetns did not hand out, or one already released */
  netnsFd: 'ERR_LINK_NETNS_FD',
} as const;

/** What `offer` did with a packet: held for release, or dropped and why. */
export type OfferOutcome = 'held' | 'loss' | 'queue' | 'mtu';

export interface NativeLinkModel {
  /** Offers a packet (bytes, or a size for zero-filled bytes) at nowUs (µs). */
  offer(packet: Buffer | number, nowUs: number): OfferOutcome;
  /** Next packet due at or before nowUs, in release order. */
  pollRelease(nowUs: number): { data: Buffer; releaseUs: number } | null;
  /** Earliest µs a held packet is due, null when none is held. */
  pollTimeout(): number | null;
  /** NDJSON of the fate records finished since the last call. */
  drainFates(): string;
  /** Applies to the next packet offered. */
  setParams(params: LinkModelParams): void;
  held(): number;
}

export interface NativeLinkModelCtor {
  new (options: { seed: number | bigint; params: LinkModelParams; dir?: 'up' | 'down' }): NativeLinkModel;
}

export interface LinkDirectionStats {
  offered: number;
  delivered: number;
  /** every drop, write errors included */
  dropped: number;
  /** released packets whose write() to the far TUN device failed (fate "write-error") */
  writeErrors: number;
  /** worst actual write time minus scheduled release, µs */
  maxLatenessUs: number;
  /** CPU time of the direction's thread so far, ms (sampled) */
  cpuMs: number;
  /** what the direction's thread asked for and got (set before start() returns) */
  scheduling?: ThreadScheduling;
}

/** Scheduling a native thread got: policy and priority as the kernel reports them, the CPU it is pinned to, and why a request was refused. */
export interface ThreadScheduling {
  policy: 'fifo' | 'other' | number;
  priority: number;
  /** null = not pinned */
  cpu: number | null;
  /** e.g. "EPERM: Operation not permitted" when SCHED_FIFO was refused */
  realtimeError?: string;
  affinityError?: string;
}

export interface NativeLinkDataPlane {
  /** Starts the direction threads; again while running: no-op; after stop(): throws ERR_LINK_STOPPED. */
  start(): void;
  /**
   * Wakes and joins the threads (returns within about a millisecond, whatever is held: held packets get fate "shutdown"),
   * flushes the logs and releases the TUN devices; idempotent. The kernel removes the devices 10-100 ms later on a
   * background thread; a new LinkDataPlane waits for that, so it may reuse their names.
   */
  stop(): void;
  /** Applied by the direction's thread between two packets; after stop(): throws ERR_LINK_STOPPED. */
  setParams(dir: 'up' | 'down', params: LinkModelParams): void;
  stats(): { up?: LinkDirectionStats; down?: LinkDirectionStats };
}

export interface NativeLinkDataPlaneCtor {
  new (options: {
    /** TUN device names [sender side, receiver side], created in the caller's namespace */
    tunNames: [string, string];
    seeds: [number | bigint, number | bigint];
    up: LinkModelParams;
    down: LinkModelParams;
    fateLogPath?: string;
    pcapPath?: string;
    /** sleep until this many µs before a release, then spin; default 50 */
    spinUs?: number;
    /** SCHED_FIFO priority (1..99) of the direction threads; 0 = normal scheduling */
    realtimePriority?: number;
    /** CPU the direction threads are pinned to: a CPU number, 'auto' (the highest allowed CPU; with 4+ allowed, down gets the one below) or 'none' (default) */
    cpu?: number | 'auto' | 'none';
  }): NativeLinkDataPlane;
}

export interface UdpProbeOptions {
  /** /run/netns/<name> paths; empty = the caller's namespace */
  senderNetns: string;
  receiverNetns: string;
  dst: string;
  port?: number;
  /** packets to send when ratePps > 0 */
  count?: number;
  /** UDP payload bytes (≥ 16) */
  size?: number;
  /** packets/s; 0 = as fast as possible for durationMs */
  ratePps?: number;
  durationMs?: number;
  /** SCHED_FIFO priority (1..99) of the probe threads; 0 = normal scheduling */
  realtimePriority?: number;
}

export interface UdpProbeResult {
  /** one-way delay of each received packet, µs, in receive order */
  delayUs: Float64Array;
  /** the sender's sequence number (0 = first sent) of each received packet, same order as delayUs: gaps are losses */
  seq: Float64Array;
  sent: number;
  received: number;
  receivedBytes: number;
  duplicates: number;
  sendDurationMs: number;
  receiveSpanMs: number;
  cpuSenderMs: number;
  cpuReceiverMs: number;
}

/** Options of the model-only benchmark (times inside the addon, no N-API crossing per packet). */
export interface LinkModelCostOptions {
  seed: number | bigint;
  params: LinkModelParams;
  /** IP packets offered in order, one every intervalUs */
  packets: Buffer[];
  /** µs between two offers; default 10 */
  intervalUs?: number;
  /** runs; the best is reported; default 3 */
  repeat?: number;
}

export interface LinkNative {
  LinkModel: NativeLinkModelCtor;
  LinkDataPlane: NativeLinkDataPlaneCtor;
  udpProbe(options: UdpProbeOptions): Promise<UdpProbeResult>;
  /** Creates a network namespace held by the returned fd (rootless mode). */
  holdNewNetns(): number;
  /** Closes a namespace fd from holdNewNetns; any other fd (or one already released) throws ERR_LINK_NETNS_FD and stays open. */
  releaseNetns(fd: number): void;
  /** Model-only cost: offer + release + fate drain per packet in a C++ loop, ns per packet (best run). */
  linkModelCost(options: LinkModelCostOptions): { nsPerPacket: number; packets: number };
}

/** The link's native classes; throws NativeAddonError when the addon is missing. */
export function loadLinkNative(): LinkNative {
  return loadNative() as unknown as LinkNative;
}
