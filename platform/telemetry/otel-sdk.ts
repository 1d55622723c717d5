// Types only at the top: the SDK itself is loaded when an entry point starts it, so library
// code that imports the platform (which exports this function) never loads it.
import type * as SdkNode from '@opentelemetry/sdk-node';

/** The tracing SDK of an application process. */
export interface TracingSdk {
  /** False when `OTEL_SDK_DISABLED=true` (nothing was registered). */
  readonly enabled: boolean;
  /** Exports what is buffered and stops the SDK. Idempotent. */
  shutdown(): Promise<void>;
}

export interface TracingSdkOptions {
  /** `service.name` when `OTEL_SERVICE_NAME` is not set. Default `kafka-stages`. */
  serviceName?: string;
  /**
   * Flush and shut down on SIGTERM and SIGINT. Default true. An application that drains
   * its pipeline on SIGTERM should pass false and call `shutdown()` after draining, so the
   * spans of the drain are exported too.
   */
  handleSignals?: boolean;
  /** Longest wait for the final export, in milliseconds. Default 5000. */
  shutdownTimeoutMs?: number;
  /** Defaults to `process.env`; only `OTEL_SDK_DISABLED` and `OTEL_SERVICE_NAME` are read here. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Wires the OpenTelemetry SDK for an application entry point — never call it from library
 * code, which depends on `@opentelemetry/api` only.
 *
 * Everything is configured by the standard `OTEL_*` variables that NodeSDK reads: exporter
 * (`OTEL_TRACES_EXPORTER`, default `otlp`), endpoint and protocol
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `…_PROTOCOL`, default
 * OTLP over HTTP), sampler (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`), batching
 * (`OTEL_BSP_*`), resource (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`).
 * `OTEL_SDK_DISABLED=true` turns it off. It registers the AsyncLocalStorage context manager
 * and the W3C propagator. Metrics stay with prom-client (no OTel metric or log exporters).
 */
export function startTracingSdk(options: TracingSdkOptions = {}): TracingSdk {
  const env = options.env ?? process.env;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') {
    return { enabled: false, shutdown: async () => {} };
  }
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof SdkNode;
  const sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: options.serviceName ?? 'kafka-stages' }),
    // prom-client serves the metrics; without these NodeSDK would start OTLP metric and log
    // exporters towards a collector that may not exist.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  const timeoutMs = options.shutdownTimeoutMs ?? 5000;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      try {
        await Promise.race([sdk.shutdown(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
  function onSignal(signal: NodeJS.Signals): void {
    // Our listener replaced Node's default exit on the signal; when nobody else handles
    // it, exit after the flush as the default would have (128 + signal number).
    const othersListen = process.listenerCount(signal) > 0;
    void shutdown().finally(() => {
      if (!othersListen) process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  if (options.handleSignals ?? true) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { enabled: true, shutdown };
}
