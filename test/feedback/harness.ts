/**
 * Virtual-time harness for sans-I/O units: advances to the earliest of the scheduled events and
 * the units' `pollTimeout()`, never sleeps. Events at the same time run in scheduling order,
 * before units' timeouts.
 */

/** Anything with the sans-I/O timer shape. */
export interface TimedUnit {
  pollTimeout(): number | undefined;
  handleTimeout(nowMs: number): void;
}

interface ScheduledEvent {
  atMs: number;
  order: number;
  run: (nowMs: number) => void;
}

/** Earliest-event-first loop over scheduled callbacks and timed units. */
export class VirtualTime {
  nowMs = 0;
  private events: ScheduledEvent[] = [];
  private order = 0;
  private readonly units: TimedUnit[] = [];

  /** Adds a unit whose timeouts the loop honours. */
  addUnit(unit: TimedUnit): void {
    this.units.push(unit);
  }

  /** Runs `run` at `atMs` (not before now). */
  at(atMs: number, run: (nowMs: number) => void): void {
    const e = { atMs: Math.max(atMs, this.nowMs), order: this.order++, run };
    let i = this.events.length;
    while (i > 0 && (this.events[i - 1]!.atMs > e.atMs)) i--;
    this.events.splice(i, 0, e);
  }

  /**
   * Runs until `endMs`; `afterStep` is called after every step (drain outputs there).
   * Throws if a unit keeps asking for the same instant without progress.
   */
  runUntil(endMs: number, afterStep: (nowMs: number) => void = () => {}): void {
    let stuck = 0;
    for (;;) {
      const ev = this.events[0];
      let unitAt = Infinity;
      let unit: TimedUnit | undefined;
      for (const u of this.units) {
        const t = u.pollTimeout();
        if (t !== undefined && t < unitAt) { unitAt = t; unit = u; }
      }
      const evAt = ev ? ev.atMs : Infinity;
      const t = Math.min(evAt, unitAt);
      if (t > endMs) break;
      const prev = this.nowMs;
      this.nowMs = Math.max(this.nowMs, t);
      if (ev && evAt <= unitAt) {
        this.events.shift();
        ev.run(this.nowMs);
        stuck = 0;
      } else {
        unit!.handleTimeout(this.nowMs);
        stuck = this.nowMs === prev ? stuck + 1 : 0;
        if (stuck > 10_000) throw new Error(`unit ${unit!.constructor.name} stuck at ${this.nowMs} ms (asks for ${unitAt})`);
      }
      afterStep(this.nowMs);
    }
    this.nowMs = Math.max(this.nowMs, endMs);
  }
}

/** Drains a `pollOutput()` into an array. */
export function drain<T>(src: { pollOutput(): T | undefined }): T[] {
  const out: T[] = [];
  for (let o = src.pollOutput(); o !== undefined; o = src.pollOutput()) out.push(o);
  return out;
}

/** Deterministic PRNG (mulberry32) for loss patterns, values in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
