import { ProducerConsumer, type ProducerConsumerOptions } from '../../../stages';

/** Keeps the even numbers: the business logic, a plain function the stage calls. */
export function keepEven(numbers: readonly number[]): number[] {
  return numbers.filter((n) => n % 2 === 0);
}

/** The lesson's producer-consumer: passes on the even numbers only. */
export class Evens extends ProducerConsumer<number, number> {
  constructor(options: ProducerConsumerOptions<number, number> = {}) {
    super({ name: 'evens', ...options });
  }

  handleEvents(events: number[]): number[] {
    return keepEven(events);
  }
}
