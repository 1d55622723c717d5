import { createHash, timingSafeEqual } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { formatOptionProblem } from '../../stages/index';
import { type Logger, logger as rootLogger } from '../log/logger';
import { parsePauseBody, parseSetBody } from './control-body';
import {
  ControlError,
  type ControlErrorCode,
  type Controllable,
  type PauseScope,
  type RuntimeSettings,
} from './controllable';

/** Environment variable holding the bearer token; unset means read only. */
export const CONTROL_TOKEN_ENV = 'CONTROL_TOKEN';

export type ControlAction = 'pause' | 'resume' | 'set';
const ACTIONS: readonly ControlAction[] = ['pause', 'resume', 'set'];

/** One action as the live page lists it (newest last). */
export interface ActionRecord {
  /** `Date.now()` when it was handled. */
  readonly at: number;
  readonly action: ControlAction;
  readonly pipeline?: string;
  /** `applied`, `unchanged` (already so) or `refused`. */
  readonly outcome: 'applied' | 'unchanged' | 'refused';
  /** What it did or why it was refused, in words. */
  readonly message: string;
  /** The refusal's code, when refused. */
  readonly code?: ControlErrorCode;
}

/** What a successful action answers (the HTTP body). */
export interface ActionResult {
  readonly pipeline: string;
  readonly action: ControlAction;
  readonly changed: boolean;
  readonly message: string;
  readonly paused: readonly PauseScope[];
  readonly settings: RuntimeSettings | null;
}

/** What `GET /control` answers: whether actions are possible, and on what. */
export interface ControlDescription {
  /** False when no token is configured: the page is read only. */
  readonly enabled: boolean;
  readonly pipelines: readonly {
    readonly pipeline: string;
    readonly topics: readonly string[];
    readonly paused: readonly PauseScope[];
    readonly settings: RuntimeSettings | null;
  }[];
  readonly recent: readonly ActionRecord[];
}

export interface ControlCenterOptions {
  /** The bearer token; `undefined` or empty disables every action (read only). */
  readonly token?: string;
  /** The pipelines that can be steered. */
  readonly targets: readonly Controllable[];
  /** Where `kafka_stages_control_actions_total` goes (the pipeline's registry). */
  readonly registry: Registry;
  readonly logger?: Logger;
  /** Actions kept for the page. */
  readonly keep?: number;
  readonly now?: () => number;
}

/** Operator actions: checks the token and the body, applies, logs, counts, remembers. */
export interface ControlCenter {
  readonly enabled: boolean;
  /** Throws `unauthorized` / `read_only` unless `authorization` is `Bearer <token>`. */
  authorize(authorization: string | undefined, action: ControlAction): void;
  /** Applies a checked action; throws {@link ControlError} when refused (counted and kept). */
  act(action: ControlAction, body: unknown): Promise<ActionResult>;
  /** Counts and keeps an action refused before `act` (by `authorize`). */
  refused(action: ControlAction, error: ControlError): void;
  describe(): ControlDescription;
  /** Called after every action, applied or refused (the live feed pushes it). */
  onAction(listener: (record: ActionRecord) => void): () => void;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

function describeScope(scope: PauseScope): string {
  if (scope.topic === undefined) return 'the whole pipeline';
  if (scope.partition === undefined) return `topic '${scope.topic}'`;
  return `partition ${scope.topic}/${scope.partition}`;
}

function counters(registry: Registry) {
  const existing = registry.getSingleMetric('kafka_stages_control_actions_total') as
    | Counter<'pipeline' | 'action'>
    | undefined;
  const actions =
    existing ??
    new Counter({
      name: 'kafka_stages_control_actions_total',
      help: 'Operator actions applied (pause, resume, set) through the control API or the live page',
      labelNames: ['pipeline', 'action'],
      registers: [registry],
    });
  const refused =
    (registry.getSingleMetric('kafka_stages_control_refused_total') as
      | Counter<'action' | 'reason'>
      | undefined) ??
    new Counter({
      name: 'kafka_stages_control_refused_total',
      help: 'Operator actions refused, by reason (unauthorized, read_only, bad_request, not_found, conflict, unsupported)',
      labelNames: ['action', 'reason'],
      registers: [registry],
    });
  return { actions, refused };
}

/**
 * Creates the control of the given pipelines. Without a token every action is refused as
 * `read_only` (403), so a deployment that sets no `CONTROL_TOKEN` exposes nothing that
 * changes the pipeline.
 *
 * The token is compared in constant time (SHA-256 digests of equal length go through
 * `timingSafeEqual`), so response times do not leak how much of a guess was right.
 */
export function createControlCenter(options: ControlCenterOptions): ControlCenter {
  const token = options.token && options.token.length > 0 ? options.token : undefined;
  const expected = token === undefined ? undefined : digest(token);
  const log = (options.logger ?? rootLogger()).child({ component: 'control' });
  const now = options.now ?? Date.now;
  const keep = options.keep ?? 50;
  const { actions, refused } = counters(options.registry);
  for (const target of options.targets) {
    for (const action of ACTIONS) actions.inc({ pipeline: target.name, action }, 0);
  }
  const recent: ActionRecord[] = [];
  const listeners = new Set<(record: ActionRecord) => void>();

  function remember(record: ActionRecord): void {
    recent.push(record);
    if (recent.length > keep) recent.splice(0, recent.length - keep);
    for (const listener of listeners) {
      try {
        listener(record);
      } catch (error) {
        log.warn({ err: error }, 'control action listener failed');
      }
    }
  }

  function refuse(action: ControlAction, error: ControlError, pipeline?: string): void {
    refused.inc({ action, reason: error.reason });
    log.warn(
      { action, pipeline, code: error.reason, reason: error.message },
      'control action refused',
    );
    remember({
      at: now(),
      action,
      ...(pipeline !== undefined ? { pipeline } : {}),
      outcome: 'refused',
      message: error.message,
      code: error.reason,
    });
  }

  function target(name: string | undefined): Controllable {
    const targets = options.targets;
    if (targets.length === 0) {
      throw new ControlError('not_found', 'no pipeline is running in this process');
    }
    const names = () => targets.map((t) => `'${t.name}'`).join(', ');
    if (name === undefined) {
      if (targets.length === 1) return targets[0]!;
      throw new ControlError(
        'bad_request',
        formatOptionProblem('control', {
          path: 'pipeline',
          is: 'missing',
          allowed: `one of ${names()} (this process runs ${targets.length} pipelines)`,
        }),
      );
    }
    const found = targets.find((t) => t.name === name);
    if (!found) {
      throw new ControlError(
        'not_found',
        formatOptionProblem('control', {
          path: 'pipeline',
          value: name,
          allowed: `one of ${names()} (the pipelines running here)`,
        }),
      );
    }
    return found;
  }

  async function apply(action: ControlAction, body: unknown): Promise<ActionResult> {
    if (action === 'set') {
      const request = parseSetBody(body);
      const t = target(request.pipeline);
      const parts: string[] = [];
      if (request.batcher) {
        await t.setBatcher(request.batcher.name, request.batcher.settings);
        const s = request.batcher.settings;
        parts.push(
          `batcher '${request.batcher.name}'` +
            (s.batchSize !== undefined ? ` batchSize ${s.batchSize}` : '') +
            (s.batchTimeoutMs !== undefined ? ` batchTimeoutMs ${s.batchTimeoutMs}` : ''),
        );
      }
      if (request.processors) {
        await t.setProcessors(request.processors);
        parts.push(`processors concurrency ${request.processors.concurrency}`);
      }
      return {
        pipeline: t.name,
        action,
        changed: true,
        message: `set ${parts.join(', ')}`,
        paused: t.paused(),
        settings: t.settings(),
      };
    }
    const request = parsePauseBody(body, action);
    const t = target(request.pipeline);
    const outcome = action === 'pause' ? t.pause(request.scope) : t.resume(request.scope);
    const what = describeScope(request.scope);
    const message = outcome.changed
      ? `${action === 'pause' ? 'paused' : 'resumed'} ${what}`
      : action === 'pause'
        ? `${what} was already paused`
        : `${what} was not paused`;
    return {
      pipeline: t.name,
      action,
      changed: outcome.changed,
      message,
      paused: outcome.paused,
      settings: t.settings(),
    };
  }

  return {
    enabled: token !== undefined,

    authorize(authorization: string | undefined, action: ControlAction): void {
      if (expected === undefined) {
        throw new ControlError(
          'read_only',
          `control is off: this process was started without ${CONTROL_TOKEN_ENV}, so ${action} and every other action are refused (the page is read only)`,
        );
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        throw new ControlError(
          'unauthorized',
          match
            ? 'the bearer token is not the one this process was started with'
            : 'missing token: send the header Authorization: Bearer <CONTROL_TOKEN>',
        );
      }
    },

    async act(action: ControlAction, body: unknown): Promise<ActionResult> {
      let result: ActionResult;
      try {
        result = await apply(action, body);
      } catch (error) {
        const refusal =
          error instanceof ControlError
            ? error
            : new ControlError('conflict', `${action} failed: ${(error as Error).message}`, {
                cause: error,
              });
        const named = (body as { pipeline?: unknown } | null)?.pipeline;
        const pipeline = options.targets.find((t) => t.name === named)?.name;
        refuse(
          action,
          refusal,
          pipeline ?? (options.targets.length === 1 ? options.targets[0]!.name : undefined),
        );
        throw refusal;
      }
      actions.inc({ pipeline: result.pipeline, action });
      log.info(
        { action, pipeline: result.pipeline, changed: result.changed, body },
        `control: ${result.message}`,
      );
      remember({
        at: now(),
        action,
        pipeline: result.pipeline,
        outcome: result.changed ? 'applied' : 'unchanged',
        message: result.message,
      });
      return result;
    },

    refused(action: ControlAction, error: ControlError): void {
      refuse(action, error);
    },

    describe(): ControlDescription {
      return {
        enabled: token !== undefined,
        pipelines: options.targets.map((t) => ({
          pipeline: t.name,
          topics: [...t.topics()],
          paused: t.paused(),
          settings: t.settings(),
        })),
        recent: [...recent],
      };
    },

    onAction(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
