import { OperatorPauses, type PauseScope } from './operator-pauses';

/** Anything that knows its size in bytes (a Message does: key plus value). */
export interface Sized {
  readonly size: number;
}

/**
 * When a partition's queue stops and restarts fetching. A queue pauses when it reaches
 * either high mark and resumes once it is at or below both low marks.
 */
export interface WaterMarks {
  readonly highEvents: number;
  readonly lowEvents: number;
  readonly highBytes: number;
  readonly lowBytes: number;
}

/** One pause or resume of a partition, in the order they happened. */
export interface PauseEvent {
  readonly topic: string;
  readonly partition: number;
  readonly action: 'pause' | 'resume';
  /** `now()` when it happened (ms since the epoch by default). */
  readonly at: number;
  readonly bufferedEvents: number;
  readonly bufferedBytes: number;
}

/** Why fetching a partition stopped or restarted: its queue's marks, or an operator. */
export type PauseCause = 'backpressure' | 'operator';

/**
 * Called when a partition's fetching must stop or may restart; the source pauses or
 * resumes it in the consumer. Called only when the combined state changes: a partition
 * paused for both causes is resumed once neither holds.
 */
export interface PauseListener {
  onPause(topic: string, partition: number, cause: PauseCause): void;
  onResume(topic: string, partition: number, cause: PauseCause): void;
}

/** The records buffered for one assigned partition. Read-only outside this module. */
export class PartitionQueue<T extends Sized> {
  /** Items from `head` on are buffered; the prefix is already taken. */
  items: T[] = [];
  head = 0;
  events = 0;
  bytes = 0;
  /** Fetching is paused, for either reason (what `/topology` and the paused gauge show). */
  paused = false;
  /** The queue reached a high mark and was not yet drained to the low marks. */
  full = false;
  /** An operator paused it: take() skips it and draining does not resume it. */
  held = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** The oldest buffered item, if any. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
}

/**
 * Per-partition FIFO queues with high/low-water marks in events and bytes, and a fair take
 * across partitions.
 *
 * The queues never refuse items: the caller (the source's `eachBatch`) pushes a whole fetched
 * batch, and the queue that reaches a high mark is paused, so a queue holds at most its
 * high mark plus one fetched batch. {@link take} serves partitions round-robin, in shares
 * of the remaining demand, so a busy partition cannot starve the others, and resumes every
 * paused queue that it drains to its low marks.
 *
 * An operator's pause ({@link pauseByOperator}) is a second, independent reason to stop
 * fetching a partition: take() leaves its buffered events where they are, and only the
 * operator's resume lifts it, whatever demand drains meanwhile.
 */
export class PartitionQueues<T extends Sized> {
  private readonly byTopic = new Map<string, Map<number, PartitionQueue<T>>>();
  private ring: PartitionQueue<T>[] = [];
  private cursor = 0;
  private totalEvents = 0;
  private totalBytes = 0;
  private readonly history: PauseEvent[] = [];
  private historyStart = 0;
  private pauses = 0;
  private resumes = 0;
  private readonly operator = new OperatorPauses();
  private heldQueues = 0;

  constructor(
    private readonly marks: WaterMarks,
    private readonly listener: PauseListener,
    private readonly now: () => number = Date.now,
    /** Pause events kept (oldest dropped first); the totals count all of them. */
    private readonly historyLimit = 10_000,
  ) {}

  /** Events buffered across all partitions. */
  get bufferedEvents(): number {
    return this.totalEvents;
  }

  /** Bytes buffered across all partitions. */
  get bufferedBytes(): number {
    return this.totalBytes;
  }

  /** Pauses and resumes since construction (including those dropped from the history). */
  get counts(): { readonly pauses: number; readonly resumes: number } {
    return { pauses: this.pauses, resumes: this.resumes };
  }

  /** The most recent pause and resume events, oldest first. */
  pauseHistory(): PauseEvent[] {
    return this.history.slice(this.historyStart).concat(this.history.slice(0, this.historyStart));
  }

  /** Every queue, in the order take() serves them. */
  queues(): readonly PartitionQueue<T>[] {
    return this.ring;
  }

  /** The queue of an assigned partition, if it is assigned. */
  get(topic: string, partition: number): PartitionQueue<T> | undefined {
    return this.byTopic.get(topic)?.get(partition);
  }

  /** Adds an empty queue for a newly assigned partition (or returns the existing one). */
  add(topic: string, partition: number): PartitionQueue<T> {
    let partitions = this.byTopic.get(topic);
    if (!partitions) {
      partitions = new Map();
      this.byTopic.set(topic, partitions);
    }
    let queue = partitions.get(partition);
    if (!queue) {
      queue = new PartitionQueue<T>(topic, partition);
      partitions.set(partition, queue);
      this.ring.push(queue);
      if (this.operator.holds(topic, partition)) this.setHeld(queue, true);
    }
    return queue;
  }

  /**
   * Pauses what `scope` names for the operator, now and for partitions assigned later.
   * Buffered events of a paused partition stay buffered (take() skips them) until it is
   * resumed. Returns false when it was already paused.
   */
  pauseByOperator(scope: PauseScope): boolean {
    const changed = this.operator.pause(scope);
    this.applyOperator();
    return changed;
  }

  /**
   * Lifts the operator's pause of `scope` (and narrower ones inside it). A partition whose
   * queue is still over its marks stays paused until demand drains it. Returns false when
   * nothing was paused there; throws `WiderPauseHolds` when a wider pause covers it.
   */
  resumeByOperator(scope: PauseScope): boolean {
    const changed = this.operator.resume(scope);
    this.applyOperator();
    return changed;
  }

  /** The operator's pauses in force, widest first. */
  operatorPauses(): PauseScope[] {
    return this.operator.list();
  }

  private applyOperator(): void {
    for (const queue of this.ring) {
      const held = this.operator.holds(queue.topic, queue.partition);
      if (held !== queue.held) this.setHeld(queue, held);
    }
  }

  private setHeld(queue: PartitionQueue<T>, held: boolean): void {
    queue.held = held;
    this.heldQueues += held ? 1 : -1;
    if (queue.full) return; // fetching stays paused for the marks either way
    queue.paused = held;
    if (held) this.listener.onPause(queue.topic, queue.partition, 'operator');
    else this.listener.onResume(queue.topic, queue.partition, 'operator');
  }

  /**
   * Drops every queue (all partitions revoked) and returns how many buffered events went
   * with them. No resume is reported: the partitions are no longer this member's.
   */
  clear(): number {
    const dropped = this.totalEvents;
    for (const queue of this.ring) {
      queue.items = [];
      queue.head = 0;
      queue.events = 0;
      queue.bytes = 0;
    }
    this.byTopic.clear();
    this.ring = [];
    this.heldQueues = 0;
    this.cursor = 0;
    this.totalEvents = 0;
    this.totalBytes = 0;
    return dropped;
  }

  /**
   * Appends `items` to `queue` and pauses it if that reaches a high mark. The items must be
   * in offset order and newer than everything already in the queue. The queue takes
   * ownership of the array (an empty queue adopts it without copying): do not change it.
   */
  push(queue: PartitionQueue<T>, items: T[]): void {
    let bytes = 0;
    for (let i = 0; i < items.length; i++) bytes += items[i]!.size;
    if (queue.events === 0) {
      queue.items = items;
      queue.head = 0;
    } else {
      const target = queue.items;
      for (let i = 0; i < items.length; i++) target.push(items[i]!);
    }
    const added = items.length;
    queue.events += added;
    queue.bytes += bytes;
    this.totalEvents += added;
    this.totalBytes += bytes;
    if (
      !queue.full &&
      (queue.events >= this.marks.highEvents || queue.bytes >= this.marks.highBytes)
    ) {
      queue.full = true;
      this.record(queue, 'pause');
      if (!queue.held) {
        queue.paused = true;
        this.listener.onPause(queue.topic, queue.partition, 'backpressure');
      }
    }
  }

  /**
   * Takes up to `demand` items, fairly across partitions: each round gives every non-empty
   * queue an equal share of what is still wanted (at least one), starting after the queue
   * served last. Order within a partition is kept. Partitions an operator paused are skipped.
   */
  take(demand: number): T[] {
    const wanted = Math.min(demand, this.heldQueues > 0 ? this.takeable() : this.totalEvents);
    if (wanted <= 0) return [];
    const out = new Array<T>(wanted);
    let filled = 0;
    const ring = this.ring;
    while (filled < wanted) {
      let nonEmpty = 0;
      for (const queue of ring) if (queue.events > 0 && !queue.held) nonEmpty += 1;
      const share = Math.max(1, Math.floor((wanted - filled) / nonEmpty));
      const start = this.cursor;
      for (let step = 0; step < ring.length && filled < wanted; step++) {
        const index = (start + step) % ring.length;
        const queue = ring[index]!;
        if (queue.events === 0 || queue.held) continue;
        const count = Math.min(share, queue.events, wanted - filled);
        filled = this.takeFrom(queue, count, out, filled);
        this.cursor = (index + 1) % ring.length;
      }
    }
    return out;
  }

  /** Events in queues take() may serve (not operator-paused). */
  private takeable(): number {
    let n = 0;
    for (const queue of this.ring) if (!queue.held) n += queue.events;
    return n;
  }

  private takeFrom(queue: PartitionQueue<T>, count: number, out: T[], at: number): number {
    const items = queue.items;
    let head = queue.head;
    let bytes = 0;
    const end = head + count;
    for (; head < end; head++) {
      const item = items[head]!;
      out[at++] = item;
      bytes += item.size;
    }
    queue.events -= count;
    queue.bytes -= bytes;
    this.totalEvents -= count;
    this.totalBytes -= bytes;
    if (queue.events === 0) {
      queue.items = [];
      queue.head = 0;
    } else if (head > 4096 && head * 2 > items.length) {
      // Compact so a queue that is never fully drained does not keep taken items alive.
      queue.items = items.slice(head);
      queue.head = 0;
    } else {
      queue.head = head;
    }
    if (queue.full && queue.events <= this.marks.lowEvents && queue.bytes <= this.marks.lowBytes) {
      queue.full = false;
      this.record(queue, 'resume');
      // An operator's pause outlives the drain: only the operator's resume lifts it.
      if (!queue.held) {
        queue.paused = false;
        this.listener.onResume(queue.topic, queue.partition, 'backpressure');
      }
    }
    return at;
  }

  private record(queue: PartitionQueue<T>, action: 'pause' | 'resume'): void {
    if (action === 'pause') this.pauses += 1;
    else this.resumes += 1;
    const event: PauseEvent = {
      topic: queue.topic,
      partition: queue.partition,
      action,
      at: this.now(),
      bufferedEvents: queue.events,
      bufferedBytes: queue.bytes,
    };
    if (this.history.length < this.historyLimit) {
      this.history.push(event);
    } else {
      this.history[this.historyStart] = event;
      this.historyStart = (this.historyStart + 1) % this.historyLimit;
    }
  }
}
