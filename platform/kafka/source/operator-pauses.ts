import { KafkaStagesError } from '../../../stages/index';

/**
 * What an operator paused: the whole source, whole topics, or single partitions.
 * `topic` absent means every topic; `partition` absent means every partition of `topic`.
 */
export interface PauseScope {
  readonly topic?: string;
  readonly partition?: number;
}

/** Why a resume cannot release a partition: a wider pause still holds it. */
export class WiderPauseHolds extends KafkaStagesError {
  readonly code = 'CONTROL_CONFLICT';
  constructor(
    readonly scope: PauseScope,
    readonly holding: PauseScope,
  ) {
    super(
      `${describeScope(scope)} is paused as part of ${describeScope(holding)}: resume ` +
        `${describeScope(holding)} (${JSON.stringify(holding)}) instead`,
    );
  }
}

/** `the whole source`, `topic 'a'`, `partition a/3`. */
export function describeScope(scope: PauseScope): string {
  if (scope.topic === undefined) return 'the whole source';
  if (scope.partition === undefined) return `topic '${scope.topic}'`;
  return `partition ${scope.topic}/${scope.partition}`;
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The operator's pauses, kept as scopes rather than per assigned partition, so they outlive
 * a rebalance and apply to partitions assigned later (a topic paused here stays paused when
 * its partitions come back after a rejoin). Independent of the back-pressure pauses of the
 * queues: draining a queue never resumes what an operator paused.
 *
 * A resume releases exactly the scope it names and the narrower scopes inside it; resuming a
 * partition or topic that a wider pause holds is refused ({@link WiderPauseHolds}) rather
 * than guessed at, so what is paused always matches what was asked.
 */
export class OperatorPauses {
  private all = false;
  private readonly topics = new Set<string>();
  private readonly partitions = new Map<string, { topic: string; partition: number }>();

  /** True when some operator pause covers the partition. */
  holds(topic: string, partition: number): boolean {
    return (
      this.all || this.topics.has(topic) || this.partitions.has(partitionKey(topic, partition))
    );
  }

  /** True when nothing is paused by an operator. */
  get empty(): boolean {
    return !this.all && this.topics.size === 0 && this.partitions.size === 0;
  }

  /** Adds a pause. Returns false when the scope was already paused (by itself or a wider one). */
  pause(scope: PauseScope): boolean {
    if (this.widerThan(scope) !== undefined) return false;
    if (scope.topic === undefined) {
      if (this.all) return false;
      this.all = true;
      return true;
    }
    if (scope.partition === undefined) {
      if (this.topics.has(scope.topic)) return false;
      this.topics.add(scope.topic);
      return true;
    }
    const key = partitionKey(scope.topic, scope.partition);
    if (this.partitions.has(key)) return false;
    this.partitions.set(key, { topic: scope.topic, partition: scope.partition });
    return true;
  }

  /**
   * Removes the pause of `scope` and every narrower pause inside it. Returns false when
   * nothing was paused there; throws {@link WiderPauseHolds} when a wider pause holds it.
   */
  resume(scope: PauseScope): boolean {
    const wider = this.widerThan(scope);
    if (wider !== undefined) throw new WiderPauseHolds(scope, wider);
    let changed = false;
    if (scope.topic === undefined) {
      changed = !this.empty;
      this.all = false;
      this.topics.clear();
      this.partitions.clear();
      return changed;
    }
    if (scope.partition === undefined) {
      changed = this.topics.delete(scope.topic);
      for (const [key, p] of this.partitions) {
        if (p.topic === scope.topic) changed = this.partitions.delete(key) || changed;
      }
      return changed;
    }
    return this.partitions.delete(partitionKey(scope.topic, scope.partition));
  }

  /** Every pause in force, widest first. */
  list(): PauseScope[] {
    const out: PauseScope[] = [];
    if (this.all) out.push({});
    for (const topic of [...this.topics].sort()) out.push({ topic });
    const parts = [...this.partitions.values()].sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
    for (const p of parts) out.push({ topic: p.topic, partition: p.partition });
    return out;
  }

  /** A pause strictly wider than `scope` that covers it, if any. */
  private widerThan(scope: PauseScope): PauseScope | undefined {
    if (scope.topic === undefined) return undefined;
    if (this.all) return {};
    if (scope.partition !== undefined && this.topics.has(scope.topic)) {
      return { topic: scope.topic };
    }
    return undefined;
  }
}
