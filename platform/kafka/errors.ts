import { KafkaStagesError } from '../../stages/index';

/** The stable codes of every error the Kafka stages throw (a part of `ErrorCode`). */
export type KafkaStageErrorCode =
  | 'KAFKA_OPTIONS_INVALID'
  | 'KAFKA_TOPIC_NOT_FOUND'
  | 'KAFKA_TOPIC_NOT_READY'
  | 'KAFKA_SOURCE_STATE'
  | 'KAFKA_COMMIT_FAILED'
  | 'KAFKA_PRODUCE_FAILED'
  | 'KAFKA_INTERNAL_TOPIC_MISMATCH'
  | 'KAFKA_AUTHENTICATION_FAILED'
  | 'KAFKA_PRODUCER_FENCED'
  | 'KAFKA_TRANSACTION_FAILED';

/**
 * Base of the closed set of Kafka stage errors. `code` is stable (match on it, not on the
 * message); `retriable` says whether trying the same thing again may succeed; `cause` is the
 * kafkajs or zod error behind it, when there is one.
 */
export abstract class KafkaStageError extends KafkaStagesError {
  abstract override readonly code: KafkaStageErrorCode;
}

/** Options were rejected at construction. The message names the component, path and value. */
export class KafkaOptionsError extends KafkaStageError {
  readonly code = 'KAFKA_OPTIONS_INVALID';
  override readonly retriable = false;

  constructor(
    message: string,
    /** `KafkaSource`, `KafkaSink`, `DeadLetterProducer`, `KafkaClient`. */
    readonly component: string,
    /** Key path of the offending option as messages write it (`client.brokers[0]`), `''` for the whole. */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A configured topic does not exist, or a topic pattern matched none (checked at start). */
export class KafkaTopicNotFoundError extends KafkaStageError {
  readonly code = 'KAFKA_TOPIC_NOT_FOUND';
  override readonly retriable = false;

  constructor(
    message: string,
    readonly topics: readonly string[],
  ) {
    super(message);
  }
}

/** Topics created or checked at start have no leader for every partition in time. */
export class KafkaTopicNotReadyError extends KafkaStageError {
  readonly code = 'KAFKA_TOPIC_NOT_READY';
  override readonly retriable = true;

  constructor(
    message: string,
    readonly topics: readonly string[],
  ) {
    super(message);
  }
}

/** A method was called in a state that does not allow it (start twice, start after stop). */
export class KafkaSourceStateError extends KafkaStageError {
  readonly code = 'KAFKA_SOURCE_STATE';
  override readonly retriable = false;
}

/** Committing offsets failed; the offsets stay pending and a later commit retries them. */
export class KafkaCommitError extends KafkaStageError {
  readonly code = 'KAFKA_COMMIT_FAILED';
  override readonly retriable = true;
}

/**
 * The broker did not confirm a produced batch. Nothing of the batch may be acknowledged
 * upstream; sending it again can duplicate records that did arrive (unless idempotent).
 */
export class KafkaProduceError extends KafkaStageError {
  readonly code = 'KAFKA_PRODUCE_FAILED';
  override readonly retriable: boolean;

  constructor(
    message: string,
    readonly topic: string,
    options: { cause?: unknown; retriable: boolean },
  ) {
    super(message, options);
    this.retriable = options.retriable;
  }
}

/**
 * An internal topic of the pipeline (a repartition topic) exists with settings that would
 * give wrong results: another partition count (keys would land elsewhere than before) or a
 * cleanup policy other than `delete` (compaction would drop records). Checked at start.
 */
export class KafkaInternalTopicError extends KafkaStageError {
  readonly code = 'KAFKA_INTERNAL_TOPIC_MISMATCH';
  override readonly retriable = false;

  constructor(
    message: string,
    readonly topic: string,
  ) {
    super(message);
  }
}

/**
 * The broker refused the client's SASL credentials. Not retriable: the same credentials
 * will be refused again. The message names the user, the mechanism and the brokers, never
 * the password.
 */
export class KafkaAuthenticationError extends KafkaStageError {
  readonly code = 'KAFKA_AUTHENTICATION_FAILED';
  override readonly retriable = false;

  constructor(
    message: string,
    readonly username: string,
    readonly mechanism: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What {@link authenticationError} needs of the client options (no password). */
export interface AuthenticatingClient {
  readonly brokers: readonly string[];
  readonly sasl?: { readonly mechanism: string; readonly username: string };
}

/**
 * The clear error for a kafkajs failure that is a refused SASL authentication, else
 * undefined (the caller rethrows the original). kafkajs says
 * `SASL SCRAM SHA256 authentication failed: Authentication failed during authentication
 * due to invalid credentials with SASL mechanism SCRAM-SHA-256`, the same for a wrong
 * password and an unknown user; this says which user and what to check.
 */
export function authenticationError(
  error: unknown,
  client: AuthenticatingClient,
): KafkaAuthenticationError | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  if (name !== 'KafkaJSSASLAuthenticationError' || client.sasl === undefined) return undefined;
  const mechanism = client.sasl.mechanism.toUpperCase();
  const username = client.sasl.username;
  return new KafkaAuthenticationError(
    `Kafka refused the credentials of user '${username}' (${mechanism}) at ${client.brokers.join(',')}: ` +
      'the user does not exist or the password is wrong; check the SASL username, password and mechanism (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SASL_MECHANISM)',
    username,
    mechanism,
    { cause: error },
  );
}

/**
 * Another instance took over a transactional id (it owns the input partition now): this
 * instance's transaction was refused and is void. Not retriable: give the partition up.
 */
export class KafkaFencedError extends KafkaStageError {
  readonly code = 'KAFKA_PRODUCER_FENCED';
  override readonly retriable = false;

  constructor(
    message: string,
    readonly transactionalId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A transaction could not be committed and was aborted: nothing of it is visible. */
export class KafkaTransactionError extends KafkaStageError {
  readonly code = 'KAFKA_TRANSACTION_FAILED';
  override readonly retriable: boolean;

  constructor(message: string, options: { cause?: unknown; retriable: boolean }) {
    super(message, options);
    this.retriable = options.retriable;
  }
}
