/**
 * A FIFO ring buffer. `Array#shift` is O(n) once an array grows past V8's fast path; the
 * mailboxes and run queue shift on every message, so they use this instead.
 */
export class Queue<T> {
  private items: (T | undefined)[] = new Array(16);
  private head = 0;
  private mask = 15;
  length = 0;

  push(item: T): void {
    if (this.length > this.mask) this.grow();
    this.items[(this.head + this.length) & this.mask] = item;
    this.length++;
  }

  /** Removes and returns the oldest item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return item;
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.head];
  }

  clear(): void {
    this.items = new Array(16);
    this.head = 0;
    this.mask = 15;
    this.length = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.length; i++) yield this.items[(this.head + i) & this.mask] as T;
  }

  private grow(): void {
    const size = this.mask + 1;
    const next: (T | undefined)[] = new Array(size * 2);
    for (let i = 0; i < size; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = size * 2 - 1;
  }
}
