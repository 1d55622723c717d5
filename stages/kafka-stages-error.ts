/**
 * The one error model of kafka-stages. Every error the library throws (or puts on a failed
 * message) is a {@link KafkaStagesError} with a `code` from the closed set below; the
 * original error, when there is one, is its `cause`. Match on `code`, never on the text.
 *
 * The classes of each layer (`StageError`, `KafkaStageError`, `PipelineError`, …) stay as
 * thin subclasses, so `instanceof` on them keeps working; each carries its code.
 *
 * It lives in `stages/` because the stages core throws these errors too and may not import
 * `platform/`. The README's "Error codes" table is this table (a test keeps them equal).
 */

/** What one code means: when it is thrown and what the caller should do about it. */
export interface ErrorCodeInfo {
  readonly when: string;
  readonly action: string;
}

/**
 * The closed set of error codes. Adding a code means adding a row here (and to the README);
 * a test fails if a code is used nowhere or if a thrown error is not a KafkaStagesError.
 */
export const ERROR_CODES = {
  // Stages core
  STAGE_INVALID_OPTION: {
    when: 'a stage, dispatcher or supervisor option is invalid (at construction or subscription)',
    action: 'fix the option the message names',
  },
  STAGE_INVALID_SUBSCRIPTION: {
    when: 'a subscription cannot be made (not a producer, already subscribed, refused by the dispatcher)',
    action: 'subscribe to a running producer once, with options its dispatcher accepts',
  },
  STAGE_HANDLER_FAILED: {
    when: 'a stage callback threw, rejected or returned something other than what its contract allows',
    action: 'fix the callback; `cause` is what it threw',
  },
  STAGE_NOT_RUNNING: {
    when: 'an operation needs a running stage (ask, call, subscribe on a stopped one)',
    action: 'start the stage first, or stop calling it once it stopped',
  },
  STAGE_RESTART_LIMIT: {
    when: 'a supervisor child failed more often than its restart budget allows',
    action: 'find why the child keeps failing (`cause` is its last failure)',
  },
  STAGE_DISPATCH_FAILED: {
    when: 'a dispatcher cannot place an event (a partition hash returned an unknown partition)',
    action: 'make the hash return one of the configured partitions',
  },
  STAGE_CALL_TIMEOUT: {
    when: '`stage.call` got no reply within its timeout',
    action: 'reply from handleCall, or give the call a longer timeout',
  },
  ARGUMENT_INVALID: {
    when: 'a function was called with an argument it does not accept',
    action: 'pass what the function documents',
  },
  INTERNAL_ERROR: {
    when: 'an internal invariant of kafka-stages broke',
    action: 'a bug of kafka-stages: report it with the message',
  },
  // Pipeline
  PIPELINE_OPTIONS_INVALID: {
    when: 'pipeline options were refused at construction',
    action: 'fix the option the message names',
  },
  PIPELINE_STATE: {
    when: "an operation the pipeline's state does not allow (start twice, push after stop)",
    action: 'call it in the state the method documents',
  },
  PIPELINE_DEAD_LETTER_FAILED: {
    when: 'writing to the dead-letter topic failed after retries',
    action:
      'nothing is lost (the messages are delivered again); check the dead-letter topic and the broker',
  },
  // Kafka
  KAFKA_OPTIONS_INVALID: {
    when: 'Kafka source, sink or client options were refused at construction',
    action: 'fix the option the message names',
  },
  KAFKA_TOPIC_NOT_FOUND: {
    when: 'a configured topic does not exist, or a topic pattern matched none (at start)',
    action: 'create the topic (or let the pipeline create it) or fix its name',
  },
  KAFKA_TOPIC_NOT_READY: {
    when: 'topics created or checked at start have no leader for every partition in time',
    action: 'check the brokers; retriable',
  },
  KAFKA_SOURCE_STATE: {
    when: 'a source method was called in a state that does not allow it (start twice, start after stop)',
    action: 'call it in the state the method documents',
  },
  KAFKA_COMMIT_FAILED: {
    when: 'committing offsets failed',
    action: 'none: the offsets stay pending and a later commit retries them',
  },
  KAFKA_PRODUCE_FAILED: {
    when: 'the broker did not confirm a produced batch',
    action:
      'nothing of the batch was acknowledged upstream; `retriable` says if sending again may work',
  },
  KAFKA_INTERNAL_TOPIC_MISMATCH: {
    when: 'an internal (repartition) topic exists with another partition count or cleanup policy',
    action: 'delete the topic or give the pipeline a new name (results would be wrong otherwise)',
  },
  KAFKA_AUTHENTICATION_FAILED: {
    when: "the broker refused the client's SASL credentials",
    action: 'check the SASL username, password and mechanism',
  },
  KAFKA_PRODUCER_FENCED: {
    when: 'another instance took over a transactional id (it owns the input partition now)',
    action: 'none: the partition is given up and its transaction is void',
  },
  KAFKA_TRANSACTION_FAILED: {
    when: 'a transaction could not be committed and was aborted',
    action: 'nothing of it is visible; `retriable` says if the records may be processed again',
  },
  // Local broker and broker discovery
  BROKER_OPTIONS_INVALID: {
    when: 'an option of the local broker or of the broker provider is invalid',
    action: 'fix the option the message names',
  },
  BROKER_JAVA_NOT_FOUND: {
    when: 'no `java` in JAVA_HOME or on PATH',
    action: 'install a JDK 17+ or set JAVA_HOME',
  },
  BROKER_JARS_MISSING: {
    when: 'the Kafka jars of the wanted version were not resolved',
    action: 'run `make kafka-jars`',
  },
  BROKER_PORT_IN_USE: {
    when: 'a port asked for explicitly is taken',
    action: 'choose another port or 0 (any free port)',
  },
  BROKER_START_FAILED: {
    when: 'formatting the data directory failed or the broker exited before it was ready',
    action: "read the broker log's tail in the message",
  },
  BROKER_START_TIMEOUT: {
    when: 'the broker did not answer before the start timeout',
    action: 'retriable: a slow machine needs a longer readyTimeoutMs',
  },
  BROKER_UNREACHABLE: {
    when: 'KAFKA_BROKERS names brokers that do not answer',
    action: 'check the addresses and that the brokers run; retriable',
  },
  BROKER_DOCKER_UNAVAILABLE: {
    when: 'KAFKA_PROVIDER=testcontainers but no Docker engine answers',
    action: 'start Docker, or use the local JVM broker (the default)',
  },
  // Telemetry and the HTTP server
  TELEMETRY_OPTIONS_INVALID: {
    when: 'telemetry options were refused',
    action: 'fix the option the message names',
  },
  HTTP_OPTIONS_INVALID: {
    when: 'HTTP server options were refused',
    action: 'fix the option the message names',
  },
  HTTP_PORT_IN_USE: {
    when: "the HTTP server's port is taken",
    action: 'choose another port (HTTP_PORT) or 0',
  },
  HTTP_LISTEN_FAILED: {
    when: 'the HTTP server could not listen for another reason',
    action: 'read `cause`',
  },
  // Operator control (live page, control API, `kafka-stages ctl`)
  CONTROL_UNAUTHORIZED: {
    when: 'a control request had no or a wrong bearer token',
    action: 'send the control token',
  },
  CONTROL_READ_ONLY: {
    when: 'the control API is read-only (no token configured)',
    action: 'configure a control token to allow actions',
  },
  CONTROL_BAD_REQUEST: {
    when: 'a control request body or argument is invalid',
    action: 'fix the field the message names',
  },
  CONTROL_NOT_FOUND: {
    when: 'a control request names an unknown pipeline, topic, partition or batcher',
    action: 'use a name the message lists',
  },
  CONTROL_CONFLICT: {
    when: 'a control action conflicts with the current state (a wider pause holds)',
    action: 'resume the wider scope first',
  },
  CONTROL_UNSUPPORTED: {
    when: 'the pipeline cannot change this setting at run time',
    action: 'change it in the configuration and restart',
  },
  // Sinks and applications
  REMOTE_WRITE_OPTIONS_INVALID: {
    when: 'remote-write sink options were refused',
    action: 'fix the option the message names',
  },
  REMOTE_WRITE_REFUSED: {
    when: "the receiver answered 4xx for a message's samples",
    action: 'the message is failed (dead-lettered if configured); the status and body say why',
  },
  REMOTE_WRITE_INVALID_SAMPLE: {
    when: 'a message holds data that is not samples the sink can send',
    action: 'fix the producer of the data, or the `samplesOf` option',
  },
  REMOTE_WRITE_UNAVAILABLE: {
    when: 'the receiver was unreachable (or 5xx/429/408) until the sink closed',
    action: 'none: the messages stay unacknowledged and are delivered again',
  },
  TRANSFORM_CONFIG_INVALID: {
    when: 'the metric transformer configuration was refused',
    action: 'fix every problem listed (one per line, each with its path)',
  },
  TRANSFORM_RECORD_INVALID: {
    when: "a record of the transformer's output is not a sample or window result",
    action: 'read only the output topic of the transformer with this decoder',
  },
  LOG_OPTIONS_INVALID: {
    when: 'the log level or format is invalid',
    action: 'set LOG_LEVEL / --log-level to a level the message lists',
  },
  CLI_USAGE: {
    when: 'a command line was refused (unknown command or flag, bad flag value)',
    action: 'fix the flag the message names; see `--help`',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** One of the closed set of codes (see {@link ERROR_CODES}). */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Base class of every error kafka-stages throws. `code` is stable; `retriable` says
 * whether doing the same thing again may succeed; `cause` chains the original error.
 */
export abstract class KafkaStagesError extends Error {
  abstract readonly code: ErrorCode;
  /** True when trying again without changing anything may succeed. */
  readonly retriable: boolean = false;

  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A function got an argument it does not accept (a programming error of the caller). */
export class InvalidArgumentError extends KafkaStagesError {
  readonly code = 'ARGUMENT_INVALID';
}

/** An internal invariant broke: a bug of kafka-stages, never the caller's fault. */
export class InternalError extends KafkaStagesError {
  readonly code = 'INTERNAL_ERROR';
}
