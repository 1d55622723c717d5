// Test environment of the jest project `kafka`: Node's, plus a leak check. When a test
// ends (after its afterEach hooks) every Kafka client or local broker it started and did
// not stop is stopped here and the test FAILS with their names and where they were started;
// when the file ends (after every afterAll) the same for what the file scope started. A
// leaked kafkajs client keeps jest's process alive for ever; this turns it into a failure
// of the test that leaked it, and the run still exits by itself.
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';
import { type LeakRegistry, registryOf, stopLeftovers } from './leak-registry';

function fullName(test: Circus.TestEntry): string {
  const names: string[] = [];
  for (let block: Circus.DescribeBlock | undefined = test.parent; block; block = block.parent) {
    if (block.name !== 'ROOT_DESCRIBE_BLOCK') names.unshift(block.name);
  }
  return [...names, test.name].join(' › ');
}

export default class KafkaTestEnvironment extends NodeEnvironment {
  private readonly registry: LeakRegistry;
  private readonly file: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.registry = registryOf(this.global);
    this.file = context.testPath.replace(`${config.globalConfig.rootDir}/`, '');
  }

  async handleTestEvent(event: Circus.AsyncEvent, state: Circus.State): Promise<void> {
    if (event.name === 'test_start') {
      this.registry.currentTest = fullName(event.test);
    } else if (event.name === 'test_done') {
      const name = this.registry.currentTest;
      this.registry.currentTest = undefined;
      const left = [...this.registry.open].filter((r) => r.owner === name);
      if (left.length === 0) return;
      for (const r of left) this.registry.open.delete(r);
      event.test.errors.push(await stopLeftovers(left, `test "${name}" (${this.file})`));
    } else if (event.name === 'run_finish') {
      const left = [...this.registry.open];
      if (left.length === 0) return;
      this.registry.open.clear();
      // Fails the file ("Test suite failed to run" with this message) rather than one test.
      state.unhandledErrors.push(
        await stopLeftovers(left, `${this.file} (beforeAll/afterAll or module scope)`),
      );
    }
  }
}
