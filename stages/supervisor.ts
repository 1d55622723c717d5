import { InvalidOptionError, RestartLimitError } from './errors';
import { checkObject, integer, oneOf, text } from './options';
import type { StageStats } from './stats';
import type { StopReason } from './subscription';

/** What a supervisor needs of a stage; every Producer, ProducerConsumer and Consumer. */
export interface SupervisedStage {
  readonly name: string;
  start(): unknown;
  stop(reason?: StopReason): Promise<StopReason>;
  kill(reason?: StopReason): Promise<StopReason>;
  done(): Promise<StopReason>;
  stats(): StageStats;
  /** @internal */
  onExit(listener: (reason: StopReason) => void): void;
}

/**
 * When a child is restarted: `'permanent'` (default) always, `'transient'` only after it
 * failed (an Error reason), `'temporary'` never.
 */
export type RestartPolicy = 'permanent' | 'transient' | 'temporary';

/** One child of a supervisor. */
export interface ChildSpec<S extends SupervisedStage = SupervisedStage> {
  /** Unique among the children; what {@link Supervisor.get} takes. */
  readonly id: string;
  /**
   * Creates a fresh, not yet started stage. Called at start and at each restart, so
   * `subscribeTo: [supervisor.get('producer')]` resubscribes to the current instance.
   */
  readonly start: (supervisor: Supervisor) => S;
  readonly restart?: RestartPolicy;
}

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  name?: string;
  /**
   * `'one_for_one'` (default): restart only the child that stopped. `'rest_for_one'`:
   * also stop and restart every child started after it (its consumers, when children are
   * listed producers first).
   */
  strategy?: 'one_for_one' | 'rest_for_one';
  /** Restart budget: at most this many restarts … Default 3. */
  maxRestarts?: number;
  /** … within this many milliseconds; one more and the supervisor gives up. Default 5000. */
  withinMs?: number;
  /**
   * How long a child may take to stop (finish its handler and mailbox) before it is
   * killed, so a stuck handler never hangs a shutdown or a restart. Default 5000.
   */
  shutdownMs?: number;
}

interface Child {
  readonly spec: ChildSpec;
  instance: SupervisedStage | undefined;
  /** Stopped on purpose by the supervisor: its exit is not a failure. */
  expected: boolean;
}

let supervisors = 0;

/**
 * Starts stages in order and restarts them when they stop, within a restart budget, as
 * an OTP supervisor does. Children listed producers first; with `rest_for_one`, a failed
 * producer takes its consumers down and back up with it, and they resubscribe.
 *
 * ```ts
 * const sup = new Supervisor([
 *   { id: 'counter', start: () => new Counter() },
 *   { id: 'printer', start: (s) => new Printer({ subscribeTo: [s.get<Counter>('counter')] }) },
 * ], { strategy: 'rest_for_one' }).start();
 * ```
 */
export class Supervisor {
  readonly name: string;
  readonly strategy: 'one_for_one' | 'rest_for_one';
  readonly maxRestarts: number;
  readonly withinMs: number;
  readonly shutdownMs: number;
  /** Restarts so far, in total. */
  restarts = 0;
  private readonly children: Child[];
  private readonly restartTimes: number[] = [];
  private state: 'idle' | 'running' | 'restarting' | 'stopping' | 'stopped' = 'idle';
  private resolveDone!: (reason: StopReason) => void;
  private readonly donePromise = new Promise<StopReason>((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(children: readonly ChildSpec[], options: SupervisorOptions = {}) {
    const first = 'supervisor';
    const raw = checkObject(first, '', options, [
      'name',
      'strategy',
      'maxRestarts',
      'withinMs',
      'shutdownMs',
    ]);
    this.name = text(first, 'name', raw.name, '') || `Supervisor#${++supervisors}`;
    const component = `supervisor '${this.name}'`;
    this.strategy = oneOf(
      component,
      'strategy',
      raw.strategy,
      ['one_for_one', 'rest_for_one'] as const,
      'one_for_one',
    );
    this.maxRestarts = integer(component, 'maxRestarts', raw.maxRestarts, 3, 0);
    this.withinMs = integer(component, 'withinMs', raw.withinMs, 5000, 1);
    this.shutdownMs = integer(component, 'shutdownMs', raw.shutdownMs, 5000, 0);
    if (!Array.isArray(children) || children.length === 0) {
      throw new InvalidOptionError(
        component,
        'children',
        children,
        'a non-empty array of { id, start, restart? }',
      );
    }
    const ids = new Set<string>();
    this.children = children.map((spec, index) => {
      const child = checkObject(component, `children[${index}]`, spec, ['id', 'start', 'restart']);
      const id = text(component, `children[${index}].id`, child.id, '');
      if (!id || ids.has(id)) {
        throw new InvalidOptionError(
          component,
          `children[${index}].id`,
          child.id,
          'a unique non-empty string',
        );
      }
      ids.add(id);
      if (typeof child.start !== 'function') {
        throw new InvalidOptionError(
          component,
          `children[${index}].start`,
          child.start,
          'a function (supervisor) => stage',
        );
      }
      oneOf(
        component,
        `children[${index}].restart`,
        child.restart,
        ['permanent', 'transient', 'temporary'] as const,
        'permanent',
      );
      return { spec, instance: undefined, expected: false };
    });
  }

  /** Starts every child, in order. Throws (after stopping those started) if one cannot start. */
  start(): this {
    if (this.state !== 'idle') return this;
    this.state = 'running';
    for (const child of this.children) this.launch(child);
    return this;
  }

  /**
   * Adds a child and starts it at once when the supervisor runs (OTP's `start_child`), for
   * a pool that grows at run time. Throws for a duplicate id or a spec without `start`.
   */
  startChild(spec: ChildSpec): SupervisedStage | undefined {
    const component = `supervisor '${this.name}'`;
    const child = checkObject(component, 'startChild(spec)', spec, ['id', 'start', 'restart']);
    const id = text(component, 'startChild(spec).id', child.id, '');
    if (!id || this.children.some((c) => c.spec.id === id)) {
      throw new InvalidOptionError(
        component,
        'startChild(spec).id',
        child.id,
        'a new non-empty id',
      );
    }
    if (typeof child.start !== 'function') {
      throw new InvalidOptionError(
        component,
        'startChild(spec).start',
        child.start,
        'a function (supervisor) => stage',
      );
    }
    oneOf(
      component,
      'startChild(spec).restart',
      child.restart,
      ['permanent', 'transient', 'temporary'] as const,
      'permanent',
    );
    const entry: Child = { spec, instance: undefined, expected: false };
    this.children.push(entry);
    if (this.state === 'running') this.launch(entry);
    return entry.instance;
  }

  /**
   * Stops a child on purpose and forgets it (OTP's `terminate_child` then `delete_child`):
   * its exit, whatever the reason, is not restarted. `stop` says how it stops (default:
   * `stage.stop('shutdown')`; a pool that shrinks passes a graceful drain); past
   * `shutdownMs` it is killed. Resolves with the reason it stopped with.
   */
  async terminateChild(
    id: string,
    stop: (stage: SupervisedStage) => Promise<StopReason> = (s) => s.stop('shutdown'),
  ): Promise<StopReason> {
    const child = this.children.find((c) => c.spec.id === id);
    if (!child) {
      throw new InvalidOptionError(
        `supervisor '${this.name}'`,
        'terminateChild(id)',
        id,
        `a child: ${this.children.map((c) => `'${c.spec.id}'`).join(', ')}`,
      );
    }
    child.expected = true;
    const instance = child.instance;
    let reason: StopReason = 'normal';
    if (instance) {
      let timer: NodeJS.Timeout | undefined;
      reason = await Promise.race([
        stop(instance),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.shutdownMs);
        }).then(() => instance.kill('shutdown')),
      ]);
      clearTimeout(timer);
    }
    const index = this.children.indexOf(child);
    if (index >= 0) this.children.splice(index, 1);
    return reason;
  }

  /** The ids of the children, in order. */
  childIds(): string[] {
    return this.children.map((c) => c.spec.id);
  }

  /** The current instance of a child (changes at each restart). */
  get<S extends SupervisedStage>(id: string): S {
    const child = this.children.find((c) => c.spec.id === id);
    if (!child?.instance) {
      throw new InvalidOptionError(
        `supervisor '${this.name}'`,
        'get(id)',
        id,
        `a running child: ${this.children.map((c) => `'${c.spec.id}'`).join(', ')}`,
      );
    }
    return child.instance as S;
  }

  /** Stops every child, last first, with `reason` (default `'shutdown'`). */
  async stop(reason: StopReason = 'shutdown'): Promise<StopReason> {
    if (this.state === 'stopped' || this.state === 'stopping') return this.donePromise;
    this.state = 'stopping';
    await this.stopChildren(0, reason);
    this.finish(reason);
    return this.donePromise;
  }

  /**
   * Resolves when the supervisor has stopped: `'normal'` once every child ended for good,
   * the `stop` reason, or a {@link RestartLimitError} when the budget ran out.
   */
  done(): Promise<StopReason> {
    return this.donePromise;
  }

  /** Stats of every running child, in order. */
  stats(): StageStats[] {
    return this.children.flatMap((c) => (c.instance ? [c.instance.stats()] : []));
  }

  private launch(child: Child): void {
    const instance = child.spec.start(this);
    child.instance = instance;
    child.expected = false;
    instance.onExit((reason) => this.exited(child, instance, reason));
    instance.start();
  }

  private exited(child: Child, instance: SupervisedStage, reason: StopReason): void {
    if (child.instance !== instance) return;
    if (child.expected || this.state !== 'running') {
      if (this.state !== 'restarting') child.instance = undefined;
      return;
    }
    const policy = child.spec.restart ?? 'permanent';
    if (policy === 'temporary' || (policy === 'transient' && !(reason instanceof Error))) {
      child.instance = undefined;
      if (this.children.every((c) => c.instance === undefined)) this.finish('normal');
      return;
    }
    if (!this.withinBudget()) {
      this.giveUp(
        new RestartLimitError(this.name, child.spec.id, this.maxRestarts, this.withinMs, reason),
      );
      return;
    }
    this.restarts++;
    const index = this.children.indexOf(child);
    if (this.strategy === 'one_for_one' || index === this.children.length - 1) {
      this.relaunch(child);
      return;
    }
    this.state = 'restarting';
    void this.stopChildren(index + 1, 'shutdown').then(() => {
      if (this.state !== 'restarting') return;
      this.state = 'running';
      for (const later of this.children.slice(index)) {
        if (this.state === 'running') this.relaunch(later);
      }
    });
  }

  private relaunch(child: Child): void {
    try {
      this.launch(child);
    } catch (error) {
      // A start that throws (e.g. its producer is gone) counts as a failure like any other.
      child.instance = undefined;
      if (!this.withinBudget()) {
        this.giveUp(
          new RestartLimitError(this.name, child.spec.id, this.maxRestarts, this.withinMs, error),
        );
      } else {
        this.restarts++;
        queueMicrotask(() => this.state === 'running' && this.relaunch(child));
      }
    }
  }

  private withinBudget(): boolean {
    const now = Date.now();
    while (this.restartTimes.length > 0 && now - this.restartTimes[0]! > this.withinMs) {
      this.restartTimes.shift();
    }
    if (this.restartTimes.length >= this.maxRestarts) return false;
    this.restartTimes.push(now);
    return true;
  }

  private giveUp(error: RestartLimitError): void {
    this.state = 'stopping';
    void this.stopChildren(0, 'shutdown').then(() => this.finish(error));
  }

  /** Stops children from `from` on, last first, and waits for each. */
  private async stopChildren(from: number, reason: StopReason): Promise<void> {
    for (let i = this.children.length - 1; i >= from; i--) {
      const child = this.children[i]!;
      const instance = child.instance;
      if (!instance) continue;
      child.expected = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        instance.stop(reason),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.shutdownMs);
        }).then(() => instance.kill(reason)),
      ]);
      clearTimeout(timer);
      if (child.instance === instance && this.state !== 'restarting') child.instance = undefined;
    }
  }

  private finish(reason: StopReason): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.resolveDone(reason);
  }
}
