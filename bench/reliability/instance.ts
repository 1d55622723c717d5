// One pipeline instance of `make reliability`, run as a child process so that the
// scenarios can SIGKILL, SIGTERM and restart it like an orchestrator would. Its settings
// come as JSON in RELIABILITY_INSTANCE (see InstanceConfig). It prints one JSON line per
// event on stdout: {"t":"ready"} once joined, then {"t":"status",...} every 250 ms (RSS,
// assignments, pauses, buffered), and stops gracefully on SIGTERM (exit 0).

import { createPipeline } from '../../platform/kafka/index';
import type { KafkaSource } from '../../platform/kafka/source/kafka-source';
import { createLogger } from '../../platform/log/logger';
import { exitOnSignals } from '../../platform/pipeline/shutdown';
import { type InstanceConfig, workloadPipeline } from './workloads';

// kafkajs 2.2.4 sets timers with negative delays; Node 24 warns each time (#1751).
process.removeAllListeners('warning');

const config = JSON.parse(process.env.RELIABILITY_INSTANCE ?? '{}') as InstanceConfig;
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', format: 'json' });
const built = workloadPipeline(config);
const pipeline = createPipeline(built.options, { logger });
const source = pipeline.source as unknown as KafkaSource;
let assignments = 0;
let revocations = 0;
source.events.on('assigned', () => assignments++);
let exposed = 0;
source.events.on('revoked', (r) => {
  // A stop reports its exposure too; only lost assignments count as revocations.
  if (r.cause !== 'stop') revocations++;
  exposed += r.exposure;
});

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const status = setInterval(() => {
  const { pauses, resumes } = source.pauseCounts();
  say({
    t: 'status',
    rss: process.memoryUsage.rss(),
    assignments,
    revocations,
    exposed,
    pauses,
    resumes,
    buffered: source.bufferedEvents,
  });
}, 250);
status.unref();

// The pipeline drains first; what the workload set up around it stops after.
const instance = {
  stop: async () => {
    const report = await pipeline.stop();
    // The stop's own exposure (event revoked, cause stop) was counted in `exposed` by now.
    say({
      t: 'stopped',
      drained: report.drained,
      unacknowledged: report.unacknowledged,
      exposed,
    });
    await built.stop();
  },
};
exitOnSignals([instance], {
  logger,
  beforeStop: () => say({ t: 'stopping' }),
});
built
  .start()
  .then(() => pipeline.start())
  .then(
    () => say({ t: 'ready' }),
    (error: unknown) => {
      logger.error({ err: error }, 'start failed');
      process.exit(1);
    },
  );
void pipeline.done().then((reason) => {
  if (reason instanceof Error) {
    logger.error({ err: reason }, 'pipeline failed');
    process.exit(2);
  }
});
