import { closeSync, openSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BrokerStartError, BrokerStartTimeoutError } from './errors';
import { kafkaClasspath, resolveJava } from './java';
import type { LocalBroker } from './local-broker';
import { logTail } from './log-tail';
import { DEFAULT_KAFKA_VERSION, projectRoot } from './options';
import { isAlive, terminate } from './processes';
import { waitUntilReady } from './wait-ready';
import { spawnUnderWatchdog } from './watchdog';

/** What a restart needs of the broker that was stopped. */
export type StoppedBroker = Pick<LocalBroker, 'home' | 'bootstrap' | 'kafkaVersion'>;

/** A broker started again by {@link restartLocalBroker}. */
export interface RestartedBroker {
  readonly bootstrap: string;
  /** The broker JVM's pid. */
  readonly pid: number;
  readonly home: string;
  readonly clusterId: string;
  /** Milliseconds from spawning the JVM until it answered. */
  readonly startupMs: number;
  /** Stops it again (SIGTERM, SIGKILL after `stopGraceMs`); keeps its home. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link restartLocalBroker}; every field is optional. */
export interface RestartOptions {
  readonly heap?: string;
  readonly readyTimeoutMs?: number;
  readonly stopGraceMs?: number;
  readonly java?: string;
  readonly kafkaHome?: string;
}

function clusterIdOf(dataDir: string): string {
  const meta = readFileSync(path.join(dataDir, 'meta.properties'), 'utf8');
  const id = /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim();
  if (!id) throw new BrokerStartError(`local broker: no cluster.id in ${dataDir}/meta.properties`);
  return id;
}

/**
 * Starts a stopped local broker again on the same data directory, configuration and ports:
 * a real restart, as after a crash or a node reboot, with every topic, record and committed
 * offset kept (unlike {@link startLocalBroker}, which formats a fresh data directory).
 *
 * The broker must have been started with an explicit `home` (a temporary home is removed
 * by `stop()`) and with fixed `port`/`controllerPort` when clients must find it again at
 * the same address (free ports picked at random are written to its server.properties, so
 * they are reused too, but may have been taken meanwhile). Like the first start, the JVM
 * runs under the watchdog, so it never outlives this process.
 */
export async function restartLocalBroker(
  stopped: StoppedBroker,
  options: RestartOptions = {},
): Promise<RestartedBroker> {
  const { home, bootstrap } = stopped;
  const dataDir = path.join(home, 'data');
  const clusterId = clusterIdOf(dataDir);
  const kafkaVersion = stopped.kafkaVersion || DEFAULT_KAFKA_VERSION;
  const kafkaHome =
    options.kafkaHome ?? path.join(projectRoot(__dirname), '.tools', `kafka-${kafkaVersion}`);
  const java = options.java ?? resolveJava();
  const graceMs = options.stopGraceMs ?? 10_000;
  const logFile = path.join(home, 'broker.log');
  const logFd = openSync(logFile, 'a');
  const spawned = Date.now();
  const wrapper = spawnUnderWatchdog({
    command: [
      java,
      `-Xmx${options.heap ?? '512m'}`,
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
      '-cp',
      kafkaClasspath(kafkaHome, kafkaVersion),
      'kafka.Kafka',
      path.join(home, 'server.properties'),
    ],
    pidFile: path.join(home, 'broker.pid'),
    graceMs,
    outputFd: logFd,
    cwd: home,
  });
  closeSync(logFd);
  const readPid = () => {
    try {
      return Number.parseInt(readFileSync(path.join(home, 'broker.pid'), 'utf8').trim(), 10) || -1;
    } catch {
      return -1;
    }
  };
  const stop = () => terminate(wrapper.pid!, readPid(), graceMs);
  const notReady = await waitUntilReady(bootstrap, clusterId, {
    deadline: spawned + (options.readyTimeoutMs ?? 60_000),
    failure: () =>
      wrapper.exitCode !== null || wrapper.signalCode !== null
        ? `the broker exited (code ${wrapper.exitCode}, signal ${wrapper.signalCode}) while restarting`
        : null,
  });
  if (notReady) {
    await stop();
    const why = notReady.kind === 'failed' ? notReady.reason : `not ready: ${notReady.lastError}`;
    const message = `local broker: restart on ${bootstrap} failed: ${why}; last lines of ${logFile}:\n${logTail(logFile)}`;
    throw notReady.kind === 'failed'
      ? new BrokerStartError(message)
      : new BrokerStartTimeoutError(message);
  }
  wrapper.unref();
  const onExit = () => {
    if (isAlive(wrapper.pid!)) process.kill(wrapper.pid!, 'SIGTERM');
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  return {
    bootstrap,
    pid: readPid(),
    home,
    clusterId,
    startupMs: Date.now() - spawned,
    stop: () => {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        await stop();
      })();
      return stopping;
    },
  };
}
