import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  isOurs,
  type LocalBroker,
  projectRoot,
  startLocalBroker,
  terminate,
} from '../../kafka/local-broker/index';
import { type Command, flagError, UsageError } from '../command';

const HELP = `Usage: kafka-stages kafka up [options]
       kafka-stages kafka down
       kafka-stages kafka status [--json | --bootstrap]

Runs a single-node Kafka broker (KRaft, loopback only) in the background, from the jars that
\`make kafka-jars\` resolved into .tools/kafka-<version>/. Its state (pids, ports, folder) is
kept in .kafka-data/broker.json; its data and log in .kafka-data/broker/.

Subcommands:
  up        start the broker unless it runs already, and print its bootstrap address
  down      stop it (SIGTERM, SIGKILL after 10 s) and remove its data
  status    say whether it runs and where; exit 0 when it runs, 3 when not

Options of up:
  --port N              client port (default 9092; 0 picks a free one)
  --controller-port N   KRaft controller port (default 0: a free one)
  --kafka-version V     Kafka release (default KAFKA_VERSION, else 3.9.1)
  --timeout-ms N        how long to wait until it answers (default 60000)

Options of status:
  --json                the state as one JSON object
  --bootstrap           only the bootstrap address (for scripts)

Environment:
  KAFKA_VERSION         Kafka release to run (make kafka-jars KAFKA_VERSION=4.1.1 first)
  KAFKA_STAGES_STATE_DIR  where the state and data live (default <project>/.kafka-data)

Examples:
  kafka-stages kafka up
  export KAFKA_BROKERS=$(kafka-stages kafka status --bootstrap)
  kafka-stages kafka down
`;

/** What `up` records and `status`/`down` read. */
interface BrokerState {
  bootstrap: string;
  port: number;
  controllerPort: number;
  pid: number;
  watchdogPid: number;
  home: string;
  logFile: string;
  kafkaVersion: string;
  clusterId: string;
  startedAt: string;
}

function stateDir(): string {
  return process.env.KAFKA_STAGES_STATE_DIR || path.join(projectRoot(), '.kafka-data');
}

const stateFile = () => path.join(stateDir(), 'broker.json');

function readState(): BrokerState | undefined {
  if (!existsSync(stateFile())) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile(), 'utf8')) as BrokerState;
  } catch {
    return undefined;
  }
}

/** Whether the recorded broker still runs (checked against its command line, not just pid). */
function isRunning(state: BrokerState): boolean {
  const marker = path.join(state.home, 'server.properties');
  return isOurs(state.pid, marker);
}

function removeState(state: BrokerState | undefined): void {
  if (state) rmSync(state.home, { recursive: true, force: true });
  rmSync(stateFile(), { force: true });
}

function integer(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw))
    throw flagError('kafka', { path: name, value: raw, allowed: 'a non-negative integer' });
  return Number(raw);
}

function describe(state: BrokerState): string {
  return `Kafka ${state.kafkaVersion} broker at ${state.bootstrap} (pid ${state.pid}, log ${state.logFile}, since ${state.startedAt})`;
}

async function up(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      'controller-port': { type: 'string' },
      'kafka-version': { type: 'string' },
      'timeout-ms': { type: 'string' },
    },
  });
  const options = {
    detached: true,
    home: path.join(stateDir(), 'broker'),
    port: integer('--port', values.port, 9092),
    controllerPort: integer('--controller-port', values['controller-port'], 0),
    readyTimeoutMs: integer('--timeout-ms', values['timeout-ms'], 60_000) || 60_000,
    ...(values['kafka-version'] ? { kafkaVersion: values['kafka-version'] } : {}),
  };
  const existing = readState();
  if (existing && isRunning(existing)) {
    process.stdout.write(`already running: ${describe(existing)}\n`);
    return 0;
  }
  removeState(existing);
  mkdirSync(stateDir(), { recursive: true });
  const broker: LocalBroker = await startLocalBroker(options);
  const state: BrokerState = {
    bootstrap: broker.bootstrap,
    port: broker.port,
    controllerPort: broker.controllerPort,
    pid: broker.pid,
    watchdogPid: broker.watchdogPid,
    home: broker.home,
    logFile: broker.logFile,
    kafkaVersion: broker.kafkaVersion,
    clusterId: broker.clusterId,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(stateFile(), `${JSON.stringify(state, null, 2)}\n`);
  process.stdout.write(
    `started: ${describe(state)}, ready in ${broker.startupMs} ms\n` +
      `use it with: export KAFKA_BROKERS=${broker.bootstrap}; stop it with: kafka-stages kafka down\n`,
  );
  return 0;
}

async function down(argv: string[]): Promise<number> {
  parseArgs({ args: argv, strict: true, options: {} });
  const state = readState();
  if (!state) {
    process.stdout.write(`no local broker recorded in ${stateFile()}: nothing to stop\n`);
    return 0;
  }
  if (!isRunning(state)) {
    removeState(state);
    process.stdout.write(
      `the local broker (pid ${state.pid}) was not running; removed its state\n`,
    );
    return 0;
  }
  // The watchdog pid is signalled only if it still is our wrapper (pids get reused).
  const marker = path.join(state.home, 'server.properties');
  const watchdogPid = isOurs(state.watchdogPid, marker) ? state.watchdogPid : state.pid;
  await terminate(watchdogPid, state.pid, 10_000);
  removeState(state);
  process.stdout.write(
    `stopped the Kafka ${state.kafkaVersion} broker at ${state.bootstrap} (pid ${state.pid})\n`,
  );
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { json: { type: 'boolean' }, bootstrap: { type: 'boolean' } },
  });
  const state = readState();
  const running = state !== undefined && isRunning(state);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ running, ...(running ? state : {}) })}\n`);
  } else if (values.bootstrap) {
    if (running) process.stdout.write(`${state.bootstrap}\n`);
    else
      process.stderr.write('no local broker is running (start one with: kafka-stages kafka up)\n');
  } else {
    process.stdout.write(
      running
        ? `running: ${describe(state)}\n`
        : 'not running (start it with: kafka-stages kafka up)\n',
    );
  }
  return running ? 0 : 3;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { up, down, status };

/** `kafka-stages kafka up|down|status`: the local broker in the background. */
export const kafkaCommand: Command = {
  name: 'kafka',
  summary: 'Start, stop or inspect the local Kafka broker (up | down | status)',
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (run === undefined) {
      throw new UsageError(
        sub === undefined
          ? 'missing subcommand: up, down or status'
          : `unknown subcommand '${sub}': up, down or status`,
      );
    }
    try {
      return await run(rest);
    } catch (error) {
      // parseArgs reports unknown options and missing values as TypeErrors with a code.
      if ((error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
        throw new UsageError((error as Error).message);
      }
      throw error;
    }
  },
};
