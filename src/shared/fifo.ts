/** A first-in first-out queue with O(1) push, peek and shift (no Array.shift copying). */

/** Values leave in the order they came; the backing array is compacted as the head advances. */
export class Fifo<V> {
  private items: V[] = [];
  private head = 0;

  /** Appends `v`. */
  push(v: V): void {
    this.items.push(v);
  }

  /** The oldest value, left in place. */
  peek(): V | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and returns the oldest value. */
  shift(): V | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head++];
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  /** Values held. */
  get length(): number {
    return this.items.length - this.head;
  }
}
