/**
 * The link's part of the native addon contract (native/src/link_*.cc). Kept here rather than in
 * src/native/types.ts so that the link can land without changing the shared contract.
 */
import { loadNative } from '../native/addon.ts';
import type { LinkModelParams } from './params.ts';

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
  dropped: number;
  writeErrors: number;
  /** worst actual write time minus scheduled release, µs */
  maxLatenessUs: number;
  /** CPU time of the direction's thread so far, ms (sampled) */
  cpuMs: number;
}

export interface NativeLinkDataPlane {
  start(): void;
  /** Joins the threads, flushes the logs and closes the TUN devices. */
  stop(): void;
  /** Applied by the direction's thread between two packets. */
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
  /** Closes a namespace fd from holdNewNetns. */
  releaseNetns(fd: number): void;
  /** Model-only cost: offer + release + fate drain per packet in a C++ loop, ns per packet (best run). */
  linkModelCost(options: LinkModelCostOptions): { nsPerPacket: number; packets: number };
}

/** The link's native classes; throws NativeAddonError when the addon is missing. */
export function loadLinkNative(): LinkNative {
  return loadNative() as unknown as LinkNative;
}
