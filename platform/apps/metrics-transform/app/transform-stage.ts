import { Consumer, type ConsumerOptions } from '../../../../stages';
import type { Acknowledger, Message } from '../../../message/message';
import { DEAD_LETTER_HEADERS } from '../../../pipeline/dead-letter';
import type { Telemetry } from '../../../telemetry/telemetry';
import type { MetricTransformer } from '../transformer';
import type { TransformMetrics } from './transform-metrics';

/** A record for the output or dead-letter topic, as the producers take it. */
export interface OutRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer>;
}

export interface TransformStageOptions extends ConsumerOptions<Message<Buffer | string | null>> {
  transformer: MetricTransformer<Message<Buffer | string | null>>;
  pipeline: string;
  outputTopic: string;
  deadLetterTopic: string;
  /** Produces output records; resolves once the broker confirmed them. */
  send: (records: OutRecord[]) => Promise<unknown>;
  /** Produces dead-letter records; resolves once the broker confirmed them. */
  sendDeadLetters: (records: OutRecord[]) => Promise<unknown>;
  /** How often the watermark is re-evaluated without input (idle partitions). Default 1 000 ms. */
  tickIntervalMs?: number;
  telemetry?: Telemetry;
  metrics?: TransformMetrics;
  now?: () => number;
  /** Called after each batch was ingested (instrumentation for benchmarks and tests). */
  onBatch?: (messages: readonly Message[], now: number) => void;
}

const TICK = Symbol('transform-stage:tick');

/**
 * The consumer stage that runs the metric transformer on Kafka messages.
 *
 * Per batch: every message goes through {@link MetricTransformer.ingest}; then the
 * watermark is advanced and closed windows emitted. Output and dead-letter records are
 * produced and confirmed **before** any message is acknowledged, and a message is
 * acknowledged only when the transformer reports it done (every window its samples went
 * into was emitted), so a crash at any point re-delivers whatever did not reach the
 * output. A timer re-evaluates the watermark when no input arrives, so idle partitions
 * stop holding windows back after the configured idle timeout.
 *
 * Messages waiting for their windows keep only their envelope: the record value is
 * dropped after parsing.
 */
export class TransformStage extends Consumer<Message<Buffer | string | null>> {
  private readonly o: TransformStageOptions;
  private timer: NodeJS.Timeout | undefined;
  private confirmed = Number.NEGATIVE_INFINITY;
  /** Per partition, the assignment generation of the messages being handled. */
  private readonly generations = new Map<string, number>();
  private readonly now: () => number;

  constructor(options: TransformStageOptions) {
    const {
      transformer: _t,
      pipeline: _p,
      outputTopic: _o,
      deadLetterTopic: _d,
      send: _s,
      sendDeadLetters: _sd,
      tickIntervalMs: _ti,
      telemetry: _te,
      metrics: _m,
      now: _n,
      onBatch: _ob,
      ...stage
    } = options;
    super({ name: 'metrics-transform', ...stage });
    this.o = options;
    this.now = options.now ?? Date.now;
  }

  /**
   * The watermark whose windows were all emitted and confirmed by the broker: what to store
   * with committed offsets (commit metadata) so a restart can `restorePartition` with it.
   */
  get confirmedWatermark(): number {
    return this.confirmed;
  }

  override init(): void {
    const every = this.o.tickIntervalMs ?? 1_000;
    this.timer = setInterval(() => this.sendInfo(TICK), every);
    this.timer.unref();
  }

  override terminate(): void {
    clearInterval(this.timer);
  }

  handleEvents(messages: Message<Buffer | string | null>[]): Promise<void> {
    const telemetry = this.o.telemetry;
    if (!telemetry || messages.length === 0) return this.handleBatch(messages);
    // One `process <topic>` span per batch, linked to each message's upstream context; the
    // output and dead-letter sends inside it become its children.
    return telemetry.traceBatch(this.name, messages[0]!.topic, messages, () =>
      this.handleBatch(messages),
    );
  }

  private async handleBatch(messages: Message<Buffer | string | null>[]): Promise<void> {
    const started = performance.now();
    const now = this.now();
    const { transformer } = this.o;
    const outputs: OutRecord[] = [];
    const deadLetters: OutRecord[] = [];
    const ackNow: Message[] = [];
    const reasons = new Map<string, number>();
    for (const m of messages) {
      if (this.stale(m)) continue;
      const r = transformer.ingest(
        { topic: m.topic, partition: m.partition, value: m.data, timestamp: m.timestamp },
        m,
        now,
      );
      for (const o of r.outputs)
        outputs.push({ topic: this.o.outputTopic, key: o.key, value: o.value });
      for (const d of r.deadLetters) {
        reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
        deadLetters.push(this.deadLetter(m, d.reason, d.detail, d.excerpt));
      }
      if (r.done) ackNow.push(m);
      else m.data = null; // held for its windows: keep the envelope, not the bytes
    }
    this.o.onBatch?.(messages, now);
    const tick = transformer.tick(now);
    for (const o of tick.outputs)
      outputs.push({ topic: this.o.outputTopic, key: o.key, value: o.value });
    await this.deliver(outputs, deadLetters);
    for (const [reason, count] of reasons) {
      this.o.telemetry?.recordDeadLettered(this.o.deadLetterTopic, reason, count);
    }
    this.acknowledge([...ackNow, ...tick.done]);
    this.o.metrics?.sync(transformer.counts);
    this.o.telemetry?.recordBatch(this.name, {
      eventsIn: messages.length,
      eventsOut: outputs.length,
      seconds: (performance.now() - started) / 1000,
      // Refused samples are this stage's failed messages (dashboards and alerts count them).
      ...(reasons.size > 0 ? { failures: Object.fromEntries(reasons) } : {}),
    });
  }

  override async handleInfo(message: unknown): Promise<undefined> {
    if (message !== TICK) return undefined;
    const tick = this.o.transformer.tick(this.now());
    const emitted = this.o.transformer.emittedWatermark;
    if (tick.outputs.length > 0) {
      await this.deliver(
        tick.outputs.map((o) => ({ topic: this.o.outputTopic, key: o.key, value: o.value })),
        [],
      );
    }
    this.confirmed = emitted;
    this.acknowledge(tick.done);
    this.o.metrics?.sync(this.o.transformer.counts);
    return undefined;
  }

  /**
   * Kafka source messages carry their assignment generation. A newer one means a
   * rebalance happened: every partition is read again from its committed offset, so the
   * transformer starts over (held records cannot be acknowledged any more). An older one
   * is a message from before it: skipped, since it is delivered again.
   */
  private stale(m: Message): boolean {
    const generation = (m as { generation?: unknown }).generation;
    if (typeof generation !== 'number') return false;
    const key = `${m.topic}\u0000${m.partition}`;
    const known = this.generations.get(key);
    if (known === undefined || generation === known) {
      this.generations.set(key, generation);
      return false;
    }
    if (generation < known) return true;
    this.o.transformer.reset();
    this.generations.clear();
    this.generations.set(key, generation);
    return false;
  }

  private async deliver(outputs: OutRecord[], deadLetters: OutRecord[]): Promise<void> {
    await Promise.all([
      outputs.length > 0 ? this.o.send(outputs) : undefined,
      deadLetters.length > 0 ? this.o.sendDeadLetters(deadLetters) : undefined,
    ]);
  }

  private acknowledge(done: readonly Message[]): void {
    if (done.length === 0) return;
    const byAcknowledger = new Map<Acknowledger, Message[]>();
    for (const m of done) {
      const list = byAcknowledger.get(m.acknowledger);
      if (list) list.push(m);
      else byAcknowledger.set(m.acknowledger, [m]);
    }
    for (const [acknowledger, list] of byAcknowledger) acknowledger.ack(list, []);
    this.o.telemetry?.recordDelivered(this.o.outputTopic, done, this.now());
  }

  private deadLetter(
    m: Message<Buffer | string | null>,
    reason: string,
    detail: string,
    excerpt: string,
  ): OutRecord {
    const headers: Record<string, string | Buffer> = {
      [DEAD_LETTER_HEADERS.originTopic]: m.topic,
      [DEAD_LETTER_HEADERS.originPartition]: String(m.partition),
      [DEAD_LETTER_HEADERS.originOffset]: String(m.offset),
      [DEAD_LETTER_HEADERS.originTimestamp]: String(m.timestamp),
      [DEAD_LETTER_HEADERS.pipeline]: this.o.pipeline,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.errorClass]: 'InvalidSample',
      [DEAD_LETTER_HEADERS.errorMessage]: detail.slice(0, 1000),
      [DEAD_LETTER_HEADERS.attempts]: '1',
    };
    // The refused line or sample, not the whole record (a record may hold many lines).
    return { topic: this.o.deadLetterTopic, key: m.key, value: excerpt, headers };
  }
}
