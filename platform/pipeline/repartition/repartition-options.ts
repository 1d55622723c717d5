import { z } from 'zod';
import type { Message } from '../../message/message';
import type { StatefulFactory } from '../stateful/stateful-handler';

/** One record a message becomes on its way through a repartition hop. */
export interface RepartitionRecord {
  /** The new key: records with equal keys land in one partition, in order. */
  readonly key: string | Buffer;
  readonly value: string | Buffer | null;
  /** Event time, ms since the epoch (default: the message's timestamp). */
  readonly timestamp?: number;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
}

const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { error: `a function ${what}` });

/** Names that end up in topic names and metric labels. */
const STEP = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * `repartition`: the hop between the first part of a pipeline and the next. Every message
 * the first part's processors pass becomes `records(message)` (or one record keyed by
 * `key(message)`), written to the internal topic `<pipeline>-<step>-repartition`, which the
 * next part reads back in every instance, in the same consumer group.
 */
export const repartitionSchema = z
  .strictObject({
    step: z
      .string()
      .regex(STEP)
      .describe('Step name: the internal topic is <pipeline>-<step>-repartition.'),
    partitions: z
      .int()
      .min(1)
      .max(10_000)
      .default(6)
      .describe('Partitions of the internal topic (created at start, or checked when it exists).'),
    replicationFactor: z
      .int()
      .min(1)
      .max(32)
      .default(1)
      .describe('Replication of the internal topic when it is created (3 on a real cluster).'),
    key: fn<(message: Message) => string | Buffer>('(message) => key')
      .optional()
      .describe('One record per message, with this key and the message data as value.'),
    records: fn<(message: Message) => readonly RepartitionRecord[]>('(message) => records')
      .optional()
      .describe('The records a message becomes (any number, each with its key).'),
    idleTimeoutMs: z
      .int()
      .min(100)
      .default(10_000)
      .describe(
        'A writer (input partition) not heard from this long is gone and stops holding the watermark back; one that read its input to the end says so at once.',
      ),
    idleAnnounceMs: z
      .int()
      .min(10)
      .max(60_000)
      .default(1_000)
      .describe('How often writers whose input is read to the end say they are idle.'),
  })
  .superRefine((o, ctx) => {
    if ((o.key === undefined) === (o.records === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: o.key ? ['records'] : ['key'],
        message: `${o.key ? 'is set together with key' : 'is missing'}; allowed: exactly one of key (one record per message) or records (any number)`,
        input: o.key ?? o.records,
        params: { sentence: true },
      });
    }
  });

/** `next.stateful`: a stage that holds state (windows, rates) and the messages in it. */
export const statefulSchema = z.strictObject({
  create: fn<StatefulFactory>('(context) => StatefulHandler').describe(
    'Builds the handler of the stateful stage (one per instance).',
  ),
  tickIntervalMs: z
    .int()
    .min(10)
    .max(60_000)
    .default(200)
    .describe('How often the handler is asked to advance without input (idle partitions).'),
  maxDemand: z.int().min(1).default(2_000).describe('Messages the stage asks for at a time.'),
});

export type RepartitionOptions = z.output<typeof repartitionSchema>;
export type StatefulOptions = z.output<typeof statefulSchema>;

/** The internal topic of a hop. */
export function repartitionTopic(pipeline: string, step: string): string {
  return `${pipeline}-${step}-repartition`;
}
