/**
 * # platform/http: the observability server
 *
 * {@link startHttpServer}: `/metrics`, `/healthz`, `/readyz`, `/topology` and a live page at
 * `/`. Wire it to a pipeline's telemetry:
 *
 * ```ts
 * const telemetry = createTelemetry({ pipeline: 'orders', consumerGroup: 'orders' });
 * const pipeline = createPipeline({ ...options, telemetry });
 * const server = await startHttpServer({
 *   ...httpOptionsFromEnv(),            // HTTP_PORT, HTTP_HOST
 *   registry: telemetry.registry,
 *   readiness: () => telemetry.ready,   // group joined, partitions assigned
 *   topology: () => telemetry.topology(),
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
