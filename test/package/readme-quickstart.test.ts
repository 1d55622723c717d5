import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

// The README shows examples/quickstart.ts, which quickstart.kafka.test.ts compiles from the
// packed package and runs: the two must not drift apart.
it("README's quickstart is examples/quickstart.ts, verbatim", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quickstart'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBe(readFileSync(join(ROOT, 'examples/quickstart.ts'), 'utf8'));
});
