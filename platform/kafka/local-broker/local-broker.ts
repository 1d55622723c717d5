import type { ChildProcess } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BrokerStartError, BrokerStartTimeoutError } from './errors';
import { kafkaClasspath, resolveJava } from './java';
import { firstErrorLine, logTail } from './log-tail';
import { type LocalBrokerOptions, resolveLocalBrokerOptions } from './options';
import { assertPortFree, freePorts } from './ports';
import { isAlive, terminate } from './processes';
import {
  makeTlsMaterial,
  newBrokerUser,
  protocolOf,
  type SecurityProtocol,
  scramFormatArguments,
  securityProperties,
  type TlsMaterial,
} from './security';
import { formatProperties, newClusterId, serverProperties } from './server-properties';
import { waitUntilReady } from './wait-ready';
import { spawnUnderWatchdog } from './watchdog';

/** Loopback only: the test broker is never reachable from other machines. */
const HOST = '127.0.0.1';

/** A running single-node Kafka broker (KRaft, combined broker and controller). */
export interface LocalBroker {
  /** `host:port` for clients, e.g. `127.0.0.1:40123`. */
  readonly bootstrap: string;
  readonly port: number;
  readonly controllerPort: number;
  /** The broker JVM's pid. */
  readonly pid: number;
  /** The pid of the watchdog shell the JVM runs under (its process group leader). */
  readonly watchdogPid: number;
  /** The broker's folder: server.properties, broker.log, data/. */
  readonly home: string;
  /** The KRaft log directory. */
  readonly dataDir: string;
  /** The JVM's stdout and stderr (slf4j-simple writes its log there). */
  readonly logFile: string;
  readonly kafkaVersion: string;
  readonly clusterId: string;
  /** Milliseconds from spawning the broker JVM until it answered describeCluster. */
  readonly startupMs: number;
  /** Milliseconds the StorageTool format step took (a JVM of its own). */
  readonly formatMs: number;
  /**
   * What the client listener speaks: PLAINTEXT, or with the `sasl` and `tls` options
   * SASL_PLAINTEXT (SCRAM-SHA-256 and -512), SSL or SASL_SSL.
   */
  readonly securityProtocol: SecurityProtocol;
  /** With `tls`: PEM of the CA that signed the broker's certificate, for clients' `ssl.ca`. */
  readonly tlsCa?: string;
  /**
   * Stops the broker: SIGTERM, SIGKILL after the grace period; removes a temporary home.
   * Idempotent; resolves once no process of the broker is left.
   */
  stop(): Promise<void>;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

function readPid(file: string): number {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : -1;
  } catch {
    return -1;
  }
}

function withTail(message: string, logFile: string): string {
  const tail = logTail(logFile);
  if (tail === '') return `${message} (${logFile} is empty)`;
  const first = firstErrorLine(logFile);
  const cause = first === undefined ? '' : `; first error: ${first}`;
  return `${message}${cause}; last lines of ${logFile}:\n${tail}`;
}

/**
 * Starts a fresh single-node broker on loopback ports and resolves once it answers.
 *
 * Formats a new KRaft data directory, writes `server.properties`, starts
 * `java -cp '<kafkaHome>/libs/*' kafka.Kafka server.properties` under a watchdog shell and
 * waits until an admin client's describeCluster answers with the new cluster id.
 *
 * No JVM outlives its parent: `stop()`, a hook on process exit, and the watchdog (which
 * notices within half a second that this process died, even by SIGKILL) all stop it. A
 * `detached` broker is the exception by request: it runs until `kafka down` or `stop()`.
 *
 * Fails, leaving nothing running, with a BrokerError: BROKER_JAVA_NOT_FOUND,
 * BROKER_JARS_MISSING, BROKER_PORT_IN_USE, BROKER_OPTIONS_INVALID, BROKER_START_FAILED (with
 * the log tail) or BROKER_START_TIMEOUT.
 */
export async function startLocalBroker(
  options: LocalBrokerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalBroker> {
  const o = resolveLocalBrokerOptions(options, env);
  const java = o.java ?? resolveJava(env);
  const classpath = kafkaClasspath(o.kafkaHome, o.kafkaVersion);
  if (o.port !== 0) await assertPortFree(HOST, o.port, 'port');
  if (o.controllerPort !== 0) await assertPortFree(HOST, o.controllerPort, 'controllerPort');
  const free = await freePorts(HOST, 2);
  const port = o.port || free.find((p) => p !== o.controllerPort)!;
  const controllerPort = o.controllerPort || free.find((p) => p !== port)!;

  const temporary = o.home === undefined;
  const home = o.home ?? mkdtempSync(path.join(tmpdir(), 'kafka-stages-broker-'));
  const dataDir = path.join(home, 'data');
  const logFile = path.join(home, 'broker.log');
  const propertiesFile = path.join(home, 'server.properties');
  const detachFile = path.join(home, 'detached');
  const clusterId = newClusterId();
  const bootstrap = `${HOST}:${port}`;
  const protocol = protocolOf(o.sasl !== undefined, o.tls);
  // The broker's own SCRAM user, new on every start: its password is in server.properties.
  const brokerUser = o.sasl ? newBrokerUser() : undefined;
  let tls: TlsMaterial | undefined;
  let wrapper: ChildProcess | undefined;
  let jvmPid = -1;
  let logFd = -1;

  const cleanUp = async () => {
    if (wrapper?.pid !== undefined) {
      await terminate(wrapper.pid, jvmPid, o.stopGraceMs);
    }
    if (temporary) rmSync(home, { recursive: true, force: true });
  };

  try {
    mkdirSync(home, { recursive: true });
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(detachFile, { force: true });
    if (o.tls) {
      const tlsDir = path.join(home, 'tls');
      rmSync(tlsDir, { recursive: true, force: true });
      tls = makeTlsMaterial(tlsDir);
    }
    const properties = serverProperties({
      host: HOST,
      port,
      controllerPort,
      logDir: dataDir,
      kafkaVersion: o.kafkaVersion,
      protocol,
      security: securityProperties({ protocol, brokerUser, tls }),
      overrides: o.properties,
    });
    writeFileSync(propertiesFile, formatProperties(properties));
    logFd = openSync(logFile, 'w');

    // Formatting is a JVM too, so it also runs under the watchdog.
    const formatStarted = Date.now();
    const format = spawnUnderWatchdog({
      command: [
        java,
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        propertiesFile,
        // SCRAM credentials live in the metadata log, so users are made at format time.
        // (They are on this short-lived JVM's command line: fine for a loopback test broker.)
        ...(brokerUser && o.sasl ? scramFormatArguments([brokerUser, ...o.sasl.users]) : []),
      ],
      pidFile: path.join(home, 'format.pid'),
      graceMs: 2_000,
      outputFd: logFd,
      cwd: home,
    });
    const formatCode = await exitOf(format);
    const formatMs = Date.now() - formatStarted;
    if (formatCode !== 0) {
      throw new BrokerStartError(
        withTail(
          `local broker: formatting ${dataDir} failed (StorageTool exit code ${formatCode})`,
          logFile,
        ),
      );
    }

    const spawned = Date.now();
    wrapper = spawnUnderWatchdog({
      command: [
        java,
        `-Xmx${o.heap}`,
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        '-Dorg.slf4j.simpleLogger.showDateTime=true',
        '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
        '-cp',
        classpath,
        'kafka.Kafka',
        propertiesFile,
      ],
      pidFile: path.join(home, 'broker.pid'),
      removeDir: temporary ? home : undefined,
      graceMs: o.stopGraceMs,
      detachFile: o.detached ? detachFile : undefined,
      outputFd: logFd,
      cwd: home,
    });
    const running = wrapper;
    const exited = exitOf(running);
    let exitCode: number | null | undefined;
    void exited.then((code) => {
      exitCode = code;
    });
    const notReady = await waitUntilReady(
      bootstrap,
      clusterId,
      {
        deadline: spawned + o.readyTimeoutMs,
        failure: () =>
          exitCode !== undefined || running.exitCode !== null || running.signalCode !== null
            ? `the broker exited (code ${running.exitCode ?? exitCode}, signal ${running.signalCode}) before it was ready`
            : null,
      },
      {
        sasl: brokerUser && { mechanism: 'scram-sha-512', ...brokerUser },
        // The certificate names localhost too; an IP as TLS server name is deprecated in Node.
        ssl: tls && { ca: [tls.caPem], servername: 'localhost' },
      },
    );
    jvmPid = readPid(path.join(home, 'broker.pid'));
    if (notReady?.kind === 'failed') {
      throw new BrokerStartError(withTail(`local broker: ${notReady.reason}`, logFile));
    }
    if (notReady?.kind === 'timeout') {
      throw new BrokerStartTimeoutError(
        withTail(
          `local broker: not ready on ${bootstrap} after ${o.readyTimeoutMs} ms (last probe: ${notReady.lastError}); raise readyTimeoutMs if the machine is busy`,
          logFile,
        ),
      );
    }
    const startupMs = Date.now() - spawned;
    closeSync(logFd);
    logFd = -1;

    const watchdogPid = running.pid!;
    // From here on the broker never keeps this process alive: a forgotten broker is stopped
    // by the exit hook and the watchdog, not by a process that cannot exit.
    running.unref();
    // Last resort when the process exits without stop(): the watchdog, on SIGTERM, stops the
    // JVM in order and removes a temporary home, even after this process is gone.
    const onExit = () => {
      try {
        process.kill(watchdogPid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    };
    // A detached broker stays; until now the watchdog watched this process, so an
    // interrupted start left nothing behind.
    if (o.detached) writeFileSync(detachFile, `${process.pid}\n`);
    else process.once('exit', onExit);
    let stopping: Promise<void> | undefined;
    return {
      bootstrap,
      port,
      controllerPort,
      pid: jvmPid,
      watchdogPid,
      home,
      dataDir,
      logFile,
      kafkaVersion: o.kafkaVersion,
      clusterId,
      startupMs,
      formatMs,
      securityProtocol: protocol,
      tlsCa: tls?.caPem,
      stop() {
        stopping ??= (async () => {
          process.removeListener('exit', onExit);
          await cleanUp();
        })();
        return stopping;
      },
    };
  } catch (error) {
    if (logFd >= 0) closeSync(logFd);
    await cleanUp();
    throw error;
  }
}

/** True while the broker's JVM runs. */
export function isBrokerRunning(broker: Pick<LocalBroker, 'pid'>): boolean {
  return broker.pid > 0 && isAlive(broker.pid);
}
