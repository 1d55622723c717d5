import {
  Consumer,
  type ConsumerOptions,
  ProducerConsumer,
  type ProducerConsumerOptions,
  type Subscription,
} from '../../stages/index';
import type { Message } from '../message/message';
import { type ProcessorStepSettings, processorStep } from './processor-step';

/**
 * A processor between the source and the batchers: handles the messages it receives and
 * passes on the ones that did not fail. Several of them share the source's events (demand
 * dispatcher), or take one partition each (partition dispatcher, `processors.partitionBy`).
 */
export class ProcessorStage extends ProducerConsumer<Message, Message> {
  private input: Subscription | undefined;

  constructor(
    options: ProducerConsumerOptions<Message, Message>,
    private readonly step: ProcessorStepSettings,
  ) {
    super(options);
  }

  override handleSubscribe(kind: 'producer' | 'consumer', subscription: Subscription): undefined {
    if (kind === 'producer') this.input = subscription;
    return undefined;
  }

  override handleEvents(messages: Message[]): Message[] | Promise<Message[]> {
    return processorStep(messages, this.step);
  }

  /**
   * Leaves the pool: cancels the subscription to the source, handles and passes on what it
   * already received, then stops with `'normal'` (its batchers flush nothing early).
   */
  retire(): void {
    if (this.input) this.cancel(this.input, 'normal');
    else void this.stop('normal');
  }
}

/**
 * A processor at the end of a pipeline without batchers: handles the messages and
 * acknowledges them itself (Broadway's processors without batchers do the same).
 */
export class TerminalProcessorStage extends Consumer<Message> {
  private input: Subscription | undefined;

  constructor(
    options: ConsumerOptions<Message>,
    private readonly step: ProcessorStepSettings,
  ) {
    super(options);
  }

  override handleSubscribe(kind: 'producer' | 'consumer', subscription: Subscription): undefined {
    if (kind === 'producer') this.input = subscription;
    return undefined;
  }

  override handleEvents(messages: Message[]): undefined | Promise<void> {
    const result = processorStep(messages, this.step);
    return Array.isArray(result) ? undefined : result.then(() => undefined);
  }

  /** Leaves the pool: cancels its subscription, handles what it received, then stops. */
  retire(): void {
    if (this.input) this.cancel(this.input, 'normal');
    else void this.stop('normal');
  }
}
