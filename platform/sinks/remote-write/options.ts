import { Registry } from 'prom-client';
import { z } from 'zod';
import { formatPath } from '../../../stages/index';
import type { Message } from '../../message/message';
import { describeZodError } from '../../options/index';
import { RemoteWriteOptionsError } from './errors';
import type { RemoteWriteSample } from './write-request';

/** Reads the samples a message carries; a throw fails that message (`remote_write_invalid`). */
export type SamplesOf = (message: Message) => readonly RemoteWriteSample[];

// The protocol's own headers: the sink sets them, a user header may not replace them.
const PROTOCOL_HEADERS = ['content-encoding', 'content-type', 'x-prometheus-remote-write-version'];

const isFunction = (v: unknown) => typeof v === 'function';

/**
 * Where the sink reports its `kafka_stages_remote_write_*` metrics: the pipeline's
 * telemetry (`createTelemetry`'s result has both fields).
 */
export interface RemoteWriteTelemetry {
  readonly registry: Registry;
  /** The `pipeline` label, as `createTelemetry` accepts it. */
  readonly pipeline: string;
}

const PIPELINE_LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
const isTelemetry = (v: unknown): v is RemoteWriteTelemetry => {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<RemoteWriteTelemetry>;
  return (
    t.registry instanceof Registry &&
    typeof t.pipeline === 'string' &&
    PIPELINE_LABEL.test(t.pipeline)
  );
};

/** The options of {@link RemoteWriteSink}: one schema, validated once at construction. */
export const remoteWriteOptionsSchema = z
  .strictObject({
    url: z
      .string()
      .refine(
        (s) => {
          try {
            const u = new URL(s);
            return u.protocol === 'http:' || u.protocol === 'https:';
          } catch {
            return false;
          }
        },
        { error: 'an http:// or https:// URL, e.g. http://127.0.0.1:9090/api/v1/write' },
      )
      .describe(
        'The receiver: Prometheus serves /api/v1/write with --web.enable-remote-write-receiver.',
      ),
    timeoutMs: z
      .int()
      .min(1)
      .max(600_000)
      .default(30_000)
      .describe('One request may take this long; then it counts as failed and is retried.'),
    initialBackoffMs: z.int().min(1).default(100).describe('Wait before the first retry.'),
    maxBackoffMs: z
      .int()
      .min(1)
      .default(5_000)
      .describe('Longest wait between retries (also caps a Retry-After).'),
    maxSamplesPerRequest: z
      .int()
      .min(1)
      .max(1_000_000)
      .default(2_000)
      .describe('Samples per HTTP request, at most (one message is never split).'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe('Extra request headers (authorization, tenant id).'),
    samplesOf: z
      .custom<SamplesOf>(isFunction, { error: 'a function (message) => samples' })
      .optional()
      .describe('Default: message.data is one sample or an array of samples.'),
    telemetry: z
      .custom<RemoteWriteTelemetry>(isTelemetry, {
        error:
          'the pipeline telemetry (createTelemetry) or {registry: a prom-client Registry, pipeline: 1-64 of A-Z a-z 0-9 _ . : -}',
      })
      .optional()
      .describe('Where the kafka_stages_remote_write_* metrics go. Default: not reported.'),
  })
  .superRefine((o, ctx) => {
    if (o.initialBackoffMs > o.maxBackoffMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['initialBackoffMs'],
        input: o.initialBackoffMs,
        message: `a delay <= maxBackoffMs (${o.maxBackoffMs})`,
      });
    }
    for (const name of Object.keys(o.headers)) {
      if (PROTOCOL_HEADERS.includes(name.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: ['headers', name],
          input: o.headers[name],
          message: `any header but ${PROTOCOL_HEADERS.join(', ')} (the sink sets those)`,
        });
      }
    }
  });

export type RemoteWriteOptionsInput = z.input<typeof remoteWriteOptionsSchema>;
export type RemoteWriteOptions = z.output<typeof remoteWriteOptionsSchema>;

/**
 * Validates the options once. Throws {@link RemoteWriteOptionsError} naming the first bad
 * key, its value and what is allowed, e.g.
 * `RemoteWriteSink: option 'timeoutMs' is 0; allowed: a number >= 1`.
 */
export function validateRemoteWriteOptions(input: unknown): RemoteWriteOptions {
  const result = remoteWriteOptionsSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const { message, problems } = describeZodError(
    'RemoteWriteSink',
    result.error,
    remoteWriteOptionsSchema,
    input,
    true,
  );
  throw new RemoteWriteOptionsError(message, formatPath(problems[0]?.path ?? ''));
}
