import { formatOptionProblem, type OptionProblem } from '../../stages/index';
import type { BatcherSettings, PauseScope, ProcessorSettings } from './controllable';
import { ControlError } from './controllable';

/** A checked `POST /control/pause` or `/control/resume` body. */
export interface PauseRequest {
  /** Needed only when the server runs several pipelines. */
  readonly pipeline?: string;
  readonly scope: PauseScope;
}

/** A checked `POST /control/set` body: one batcher's sizes and/or the processors'. */
export interface SetRequest {
  readonly pipeline?: string;
  readonly batcher?: { readonly name: string; readonly settings: BatcherSettings };
  readonly processors?: ProcessorSettings;
}

const PAUSE_KEYS = ['pipeline', 'topic', 'partition'];
const SET_KEYS = ['pipeline', 'batcher', 'batchSize', 'batchTimeoutMs', 'concurrency'];

/** A refused body, in the one shape of option problems: `<what>: option '<field>' is …`. */
function badRequest(what: string, problem: OptionProblem): ControlError {
  return new ControlError('bad_request', formatOptionProblem(what, problem));
}

function object(body: unknown, what: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(what, {
      path: '',
      value: body,
      allowed: 'a JSON object (Content-Type: application/json)',
    });
  }
  const unknown = Object.keys(body).find((k) => !keys.includes(k));
  if (unknown !== undefined) {
    throw badRequest(what, {
      path: [unknown],
      is: 'unknown',
      allowed: `one of the keys ${keys.join(', ')}`,
    });
  }
  return body as Record<string, unknown>;
}

function name(o: Record<string, unknown>, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 249) {
    throw badRequest(what, {
      path: [key],
      value: v,
      allowed: 'a non-empty string of at most 249 characters',
    });
  }
  return v;
}

function integer(
  o: Record<string, unknown>,
  key: string,
  what: string,
  min: number,
  max: number,
): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw badRequest(what, { path: [key], value: v, allowed: `an integer from ${min} to ${max}` });
  }
  return v;
}

/**
 * Checks a pause or resume body: `{}` (the whole pipeline), `{"topic": T}` or
 * `{"topic": T, "partition": P}`, each optionally with `"pipeline"`.
 */
export function parsePauseBody(body: unknown, action: 'pause' | 'resume'): PauseRequest {
  const what = `POST /control/${action}`;
  const o = object(body ?? {}, what, PAUSE_KEYS);
  const pipeline = name(o, 'pipeline', what);
  const topic = name(o, 'topic', what);
  const partition = integer(o, 'partition', what, 0, 2 ** 31 - 1);
  if (partition !== undefined && topic === undefined) {
    throw badRequest(what, {
      path: ['topic'],
      is: 'missing',
      allowed: `the topic of partition ${partition} (a partition is named by its topic and number)`,
    });
  }
  const scope: PauseScope =
    topic === undefined ? {} : partition === undefined ? { topic } : { topic, partition };
  return pipeline === undefined ? { scope } : { pipeline, scope };
}

/**
 * Checks a set body: `{"batcher": B, "batchSize"?: N, "batchTimeoutMs"?: MS}` and/or
 * `{"concurrency": C}` (the processors), each optionally with `"pipeline"`.
 */
export function parseSetBody(body: unknown): SetRequest {
  const what = 'POST /control/set';
  const o = object(body ?? {}, what, SET_KEYS);
  const pipeline = name(o, 'pipeline', what);
  const batcher = name(o, 'batcher', what);
  const batchSize = integer(o, 'batchSize', what, 1, 1_000_000);
  const batchTimeoutMs = integer(o, 'batchTimeoutMs', what, 1, 3_600_000);
  const concurrency = integer(o, 'concurrency', what, 1, 1024);
  if ((batchSize !== undefined || batchTimeoutMs !== undefined) && batcher === undefined) {
    throw badRequest(what, {
      path: ['batcher'],
      is: 'missing',
      allowed: "the name of the batcher to change (needed with 'batchSize' and 'batchTimeoutMs')",
    });
  }
  if (batcher !== undefined && batchSize === undefined && batchTimeoutMs === undefined) {
    throw badRequest(what, {
      path: ['batchSize'],
      is: 'missing',
      allowed: `'batchSize' and/or 'batchTimeoutMs' with batcher '${batcher}' (nothing to change otherwise)`,
    });
  }
  if (batcher === undefined && concurrency === undefined) {
    throw badRequest(what, {
      path: '',
      value: o,
      allowed:
        "'batcher' with 'batchSize' and/or 'batchTimeoutMs', or 'concurrency' (processors); nothing to change otherwise",
    });
  }
  const settings: BatcherSettings = {
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(batchTimeoutMs !== undefined ? { batchTimeoutMs } : {}),
  };
  return {
    ...(pipeline !== undefined ? { pipeline } : {}),
    ...(batcher !== undefined ? { batcher: { name: batcher, settings } } : {}),
    ...(concurrency !== undefined ? { processors: { concurrency } } : {}),
  };
}
