/** Zero pacing: every packet is released the moment it is enqueued, for pure-latency runs. */
import { Fifo } from '../../shared/fifo.ts';
import { type PacedRelease, type Pacer, type PacerPacket } from './pacer.ts';

/** A pacer that never holds a packet back (queue time always 0 ms). */
export class NullPacer<T> implements Pacer<T> {
  private readonly out = new Fifo<PacedRelease<T>>();

  enqueue(packet: PacerPacket<T>, nowMs: number): void {
    this.out.push({ packet, enqueuedMs: nowMs, sentMs: nowMs, queueMs: 0 });
  }

  /** Ignored: there is no rate to keep. */
  setRate(_targetBps: number, _nowMs: number): void {}

  handleTimeout(_nowMs: number): void {}

  pollTimeout(): number | undefined {
    return undefined;
  }

  pollOutput(): PacedRelease<T> | undefined {
    return this.out.shift();
  }

  get queuedPackets(): number {
    return 0;
  }

  get queuedBytes(): number {
    return 0;
  }
}
