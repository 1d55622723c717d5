/**
 * # platform/http: the observability server
 *
 * {@link startHttpServer}: `/metrics`, `/healthz`, `/readyz`, `/topology`, the live page at
 * `/` (pushed over Server-Sent Events from `/events`) and, given a `control`
 * (`platform/control`), `POST /control/pause|resume|set`. Wire it to a pipeline's telemetry:
 *
 * ```ts
 * const telemetry = createTelemetry({ pipeline: 'orders', consumerGroup: 'orders' });
 * const pipeline = createPipeline({ ...options, telemetry });
 * const server = await startHttpServer({
 *   ...httpOptionsFromEnv(),            // HTTP_PORT, HTTP_HOST
 *   registry: telemetry.registry,
 *   readiness: () => telemetry.ready,   // group joined, partitions assigned
 *   topology: () => telemetry.topology(),
 *   // optional: operator actions, read only without CONTROL_TOKEN
 *   control: createControlCenter({ token: process.env.CONTROL_TOKEN, registry: telemetry.registry,
 *     targets: [controlPipeline(pipeline)] }),
 * });
 * await pipeline.start();
 * // on SIGTERM: server.setShuttingDown(); await pipeline.stop(); await server.close();
 * ```
 */
export {
  DEFAULT_HTTP_PORT,
  type HealthReport,
  HTTP_HOST_ENV,
  HTTP_PORT_ENV,
  type HttpServer,
  type HttpServerOptions,
  httpOptionsFromEnv,
  httpServerOptionsSchema,
  startHttpServer,
} from './http-server';
