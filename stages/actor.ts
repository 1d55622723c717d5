import { HandlerError, StageError, StageNotRunningError } from './errors';
import { isThenable, type MaybePromise } from './maybe-promise';
import { Queue } from './queue';
import { type Runnable, schedule } from './scheduler';
import type { StageKind } from './stage-options';
import type { StopReason } from './subscription';

/** `'idle'` until `start()`, then `'running'`, then `'stopped'` for good. */
export type StageStatus = 'idle' | 'running' | 'stopped';

/** A mailbox message: runs to completion, or returns a promise the mailbox waits for. */
export type Task = () => Promise<void> | undefined;

/**
 * The actor under every stage: a mailbox processed one message at a time (a message whose
 * handler is async holds the mailbox until it settles, so handlers never overlap), and the
 * lifecycle: start, stop, kill, failure, done. The producer side ({@link Emitter}) and the
 * consumer side ({@link Stage}) build on it.
 */
export abstract class Actor implements Runnable {
  readonly kind: StageKind;
  readonly name: string;
  /** @internal Scheduler bookkeeping. */
  queued = false;

  /** Called once, first thing after `start()`, before any subscription. */
  init?(): MaybePromise<void>;
  /** The stage is stopping: release resources. Its subscriptions end right after. */
  terminate?(reason: StopReason): MaybePromise<void>;

  private _status: StageStatus = 'idle';
  /** Set when the stage begins to stop; from then on messages are dropped. */
  protected exiting = false;
  /** A message's handler is running asynchronously. */
  protected busy = false;
  /** Stop with 'normal' once drained (see checkFinished). */
  protected finishing = false;
  /** Name of the handler running, for error messages. */
  protected runningHandler = '';
  /** Why the stage stops, from the moment it begins to (see {@link exit}). */
  protected exitReason: StopReason | undefined;
  private readonly mailbox = new Queue<Task>();
  private readonly exitListeners: ((reason: StopReason) => void)[] = [];
  private stopReason: StopReason | undefined;
  private resolveDone!: (reason: StopReason) => void;
  private readonly donePromise = new Promise<StopReason>((resolve) => {
    this.resolveDone = resolve;
  });

  protected constructor(kind: StageKind, name: string) {
    this.kind = kind;
    this.name = name;
  }

  /** Where the stage is in its life. */
  get status(): StageStatus {
    return this._status;
  }

  /**
   * Starts the stage: runs `init`, then subscribes to `subscribeTo`. Stages may start in
   * any order; messages to a stage not started yet wait in its mailbox. Returns `this`.
   */
  start(): this {
    if (this._status === 'running') return this;
    if (this._status === 'stopped') throw new StageNotRunningError(this.name, 'start it again');
    this._status = 'running';
    if (this.init) {
      this.mailbox.push(() => {
        this.runningHandler = 'init';
        const result = this.init!();
        return isThenable(result) ? Promise.resolve(result) : undefined;
      });
    }
    this.onStart();
    if (this.mailbox.length > 0) schedule(this);
    return this;
  }

  /**
   * Stops the stage after the messages already in its mailbox, with `reason` (default
   * `'normal'`): `terminate` runs, consumers are told (and stop too if their cancel mode
   * says so), producers forget it. Resolves once stopped.
   */
  stop(reason: StopReason = 'normal'): Promise<StopReason> {
    if (this._status === 'idle') {
      this._status = 'running';
      this.mailbox.clear();
      this.exit(reason);
    } else {
      this.post(() => {
        this.exit(reason);
        return undefined;
      });
    }
    return this.donePromise;
  }

  /**
   * Stops the stage now, without waiting for the handler in progress or the mailbox (OTP's
   * brutal kill): for a stage stuck in a handler that never settles. `terminate` still runs.
   */
  kill(reason: StopReason = 'shutdown'): Promise<StopReason> {
    if (this._status === 'idle') this._status = 'running';
    this.busy = false;
    this.exit(reason);
    return this.donePromise;
  }

  /** Resolves with the reason once the stage has stopped (never rejects). */
  done(): Promise<StopReason> {
    return this.donePromise;
  }

  /** @internal Registers a synchronous exit listener (the supervisor's). */
  onExit(listener: (reason: StopReason) => void): void {
    if (this._status === 'stopped') listener(this.stopReason!);
    else this.exitListeners.push(listener);
  }

  /** Mailbox size, for stats. */
  protected get mailboxLength(): number {
    return this.mailbox.length;
  }

  /** Runs at start, after `init` was queued: subscribe here. */
  protected onStart(): void {}

  /** Drops work queued outside the mailbox when the stage stops. */
  protected dropQueued(): void {}

  /** Stopping: reports what is about to be dropped (the emitter's lost events). */
  protected collectLost(_reason: StopReason): void {}

  /** Tells the other ends of the subscriptions that this stage stopped. */
  protected releaseSubscriptions(_reason: StopReason): void {}

  /** After each message while finishing: stop once nothing is left to pass on. */
  protected checkFinished(): void {
    if (!this.exiting && !this.busy) this.exit('normal');
  }

  /** Producer: stop with `'normal'` once the events handed over so far are dispatched. */
  protected finishWhenDrained(): void {
    this.post(() => {
      this.finishing = true;
      return undefined;
    });
  }

  /** @internal Appends a message; messages to a stopped stage are dropped. */
  post(task: Task): void {
    if (this.exiting) return;
    this.mailbox.push(task);
    if (!this.busy && this._status === 'running') schedule(this);
  }

  /** @internal Runs up to `budget` messages; stops at the first one that awaits. */
  runSlice(budget: number): void {
    while (budget-- > 0 && !this.busy && !this.exiting && this.mailbox.length > 0) {
      const task = this.mailbox.shift()!;
      let result: Promise<void> | undefined;
      try {
        result = task();
      } catch (error) {
        this.fail(error);
        return;
      }
      if (result !== undefined) {
        this.busy = true;
        result.then(this.resume, this.failAsync);
        return;
      }
      if (this.finishing) this.checkFinished();
    }
    if (this.mailbox.length > 0 && !this.busy && !this.exiting) schedule(this);
  }

  private readonly resume = (): void => {
    this.busy = false;
    if (this.exiting) return;
    if (this.finishing) this.checkFinished();
    if (this.mailbox.length > 0) schedule(this);
  };

  private readonly failAsync = (error: unknown): void => {
    this.busy = false;
    this.fail(error);
  };

  private fail(error: unknown): void {
    this.exit(
      error instanceof StageError
        ? error
        : new HandlerError(this.name, this.runningHandler || 'a handler', error),
    );
  }

  protected exit(reason: StopReason): void {
    if (this.exiting) return;
    this.exiting = true;
    this.exitReason = reason;
    this.collectLost(reason);
    this.mailbox.clear();
    this.dropQueued();
    let finishing: unknown;
    if (this.terminate) {
      try {
        finishing = this.terminate(reason);
      } catch {
        // terminate failing must not hide why the stage stopped
      }
    }
    const finish = () => this.exited(reason);
    if (isThenable(finishing)) Promise.resolve(finishing).then(finish, finish);
    else finish();
  }

  private exited(reason: StopReason): void {
    this.releaseSubscriptions(reason);
    this._status = 'stopped';
    this.stopReason = reason;
    this.resolveDone(reason);
    for (const listener of this.exitListeners.splice(0)) listener(reason);
  }
}
