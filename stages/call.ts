import { CallTimeoutError, describeValue, InvalidOptionError } from './errors';
import { InvalidArgumentError } from './kafka-stages-error';

/**
 * Who made a `stage.call`: the second argument of `handleCall`. Keep it to reply later
 * (GenStage's `GenStage.reply(from, reply)`), e.g. once the events of the call were
 * dispatched. Only the first reply counts; a reply after the caller gave up is ignored.
 */
export interface CallFrom {
  /** Resolves the caller's promise with `value`. */
  reply(value: unknown): void;
  /** True once replied (or the call timed out or its stage stopped). */
  readonly answered: boolean;
}

/**
 * What `handleCall` returns: `{ reply, events }` answers now (after the events were
 * dispatched or buffered); `{ noreply: true, events }` answers later through `from.reply`.
 * `events` go out as from any handler: dispatched, or buffered under `bufferSize` and
 * `bufferKeep`.
 */
export type CallResult<Out> =
  | { readonly reply: unknown; readonly events?: readonly Out[] }
  | { readonly noreply: true; readonly events?: readonly Out[] };

/** Default time a caller waits for a reply, as GenStage's `call/3`. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;

class PendingCall implements CallFrom {
  answered = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly calls: Set<PendingCall>,
    private readonly resolve: (value: unknown) => void,
    private readonly rejectWith: (error: Error) => void,
  ) {}

  start(stage: string, timeoutMs: number): void {
    if (timeoutMs === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.fail(new CallTimeoutError(stage, timeoutMs)), timeoutMs);
  }

  reply(value: unknown): void {
    if (this.settle()) this.resolve(value);
  }

  fail(error: Error): void {
    if (this.settle()) this.rejectWith(error);
  }

  private settle(): boolean {
    if (this.answered) return false;
    this.answered = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.calls.delete(this);
    return true;
  }
}

/** The calls a stage has not answered yet; all fail when it stops. */
export class PendingCalls {
  private readonly calls = new Set<PendingCall>();

  /** Opens a call: the `from` for `handleCall`, and the caller's promise. */
  open<R>(stage: string, timeoutMs: unknown): { from: CallFrom; reply: Promise<R> } {
    if (
      timeoutMs !== Number.POSITIVE_INFINITY &&
      (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1)
    ) {
      throw new InvalidOptionError(
        `stage '${stage}'`,
        'call(timeoutMs)',
        timeoutMs,
        'an integer >= 1 or Infinity',
      );
    }
    let from!: PendingCall;
    const reply = new Promise<R>((resolve, reject) => {
      from = new PendingCall(this.calls, resolve as (value: unknown) => void, reject);
    });
    this.calls.add(from);
    from.start(stage, timeoutMs as number);
    return { from, reply };
  }

  /** Fails every open call (the stage stopped). */
  failAll(error: Error): void {
    for (const call of [...this.calls]) call.fail(error);
  }
}

/** Reads `handleCall`'s answer; throws a TypeError describing a wrong shape. */
export function readCallResult<Out>(result: unknown): {
  replies: boolean;
  reply: unknown;
  events: readonly Out[] | undefined;
} {
  if (result !== null && typeof result === 'object' && !Array.isArray(result)) {
    const answer = result as { reply?: unknown; noreply?: unknown; events?: unknown };
    const replies = 'reply' in answer;
    if (replies !== (answer.noreply === true)) {
      return {
        replies,
        reply: answer.reply,
        events: answer.events as readonly Out[] | undefined,
      };
    }
  }
  throw new InvalidArgumentError(
    `returned ${describeValue(result)}; expected { reply, events? } or { noreply: true, events? }`,
  );
}
