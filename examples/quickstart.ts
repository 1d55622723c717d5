// Your own pipeline: orders in, priced orders out, bad ones to a dead-letter topic; Prometheus
// metrics on :9464/metrics, OpenTelemetry traces to the exporter the OTEL_* variables name.
import {
  clientOptionsFromEnv,
  createPipeline,
  createTelemetry,
  exitOnSignals,
  httpOptionsFromEnv,
  markFailed,
  startHttpServer,
  startTracingSdk,
} from 'kafka-stages';

type Order = { id: string; qty: number; price: number; total?: number };
const topic = (name: string) => process.env[`${name.toUpperCase()}_TOPIC`] ?? name;

const tracing = startTracingSdk({ serviceName: 'orders', handleSignals: false });
const telemetry = createTelemetry({ pipeline: 'orders', consumerGroup: topic('orders') });
const pipeline = createPipeline({
  name: 'orders',
  source: { client: clientOptionsFromEnv(), groupId: topic('orders'), topics: [topic('orders')] },
  decode: (value) => JSON.parse(String(value)) as Order, // a throw: dead letter, reason decode
  processors: {
    concurrency: 2,
    handleMessage: (message) => {
      const order = message.data as Order;
      if (order.qty > 0) order.total = order.qty * order.price;
      else markFailed(message, 'invalid'); // dead-lettered, never retried
    },
  },
  batchers: { default: { batchSize: 100, batchTimeoutMs: 50 } },
  sinks: { default: { topic: topic('priced') } }, // KafkaSink options: same brokers as the source
  deadLetter: { topic: topic('dlq') },
  telemetry,
});
const server = await startHttpServer({
  ...httpOptionsFromEnv(),
  registry: telemetry.registry,
  readiness: () => telemetry.ready,
  topology: () => telemetry.topology(),
});
await pipeline.start();
// SIGTERM: not ready, drain and commit, flush the spans, close, exit 0.
const stopAll = () => pipeline.stop().then(tracing.shutdown).then(server.close);
exitOnSignals([{ stop: stopAll }], { beforeStop: () => server.setShuttingDown() });
