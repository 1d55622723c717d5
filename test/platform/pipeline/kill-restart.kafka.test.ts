import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import {
  consumeAll,
  createTopic,
  deleteTopics,
  produceRecords,
  testBrokers,
  uniqueName,
} from '../../support/kafka';
import {
  committedOffsets,
  endOffsets,
  keyedRecord,
  PARTITIONS,
  recordCount,
  tally,
  waitUntil,
} from './pipeline-kafka';

const RECORDS = 30_000;
const FIXTURES = path.join(__dirname, 'fixtures');

/** Every child started, so afterEach kills what a failed test left running. */
const children: ChildProcess[] = [];

/** Starts the pipeline in a child process; resolves once it printed `ready`. */
function startChild(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(
    process.execPath,
    [path.join(FIXTURES, 'run-ts.js'), path.join(FIXTURES, 'kill-restart-pipeline.ts')],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child not ready in 60 s; stderr:\n${stderr}`)),
      60_000,
    );
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve({ child, stderr: () => stderr });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before ready; stderr:\n${stderr}`));
    });
  });
}

function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('pipeline: killed with SIGKILL mid-run and restarted', () => {
  const input = uniqueName('kill-in');
  const output = uniqueName('kill-out');
  const group = uniqueName('kill-group');

  beforeAll(async () => {
    await createTopic(input, PARTITIONS);
    await createTopic(output, PARTITIONS);
  });
  afterEach(async () => {
    const running = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
    for (const child of running) child.kill('SIGKILL');
    await Promise.all(running.map(exitOf));
  });
  afterAll(() => deleteTopics(input, output));

  it('loses nothing: every record reaches the output after the restart', async () => {
    await produceRecords(
      input,
      Array.from({ length: RECORDS }, (_, i) => keyedRecord(i)),
    );
    const env = {
      KAFKA_BROKERS: testBrokers().join(','),
      INPUT: input,
      OUTPUT: output,
      GROUP: group,
    };

    const first = await startChild(env);
    await waitUntil(
      async () => (await recordCount(output)) >= RECORDS / 4,
      120_000,
      () => 'first run produced too little',
    );
    first.child.kill('SIGKILL');
    const killed = await exitOf(first.child);
    const beforeRestart = await recordCount(output);
    expect(killed.signal).toBe('SIGKILL');
    expect(beforeRestart).toBeLessThan(RECORDS);

    const second = await startChild(env);
    let values: number[] = [];
    await waitUntil(
      async () => {
        const count = await recordCount(output);
        if (count < RECORDS) return false;
        values = (await consumeAll(output, count, { timeoutMs: 60_000 })).map((r) =>
          Number(String(r.value)),
        );
        return tally(values).unique >= RECORDS;
      },
      180_000,
      () => `${tally(values).unique} of ${RECORDS} distinct records in the output`,
      500,
    );
    second.child.kill('SIGTERM');
    const stopped = await exitOf(second.child);

    const { unique, duplicates } = tally(values);
    process.stdout.write(
      `kill-restart: ${beforeRestart} records out before SIGKILL; after restart ${unique} distinct of ${RECORDS}, ` +
        `${duplicates} duplicates (${((100 * duplicates) / RECORDS).toFixed(2)}%)\n`,
    );
    expect(unique).toBe(RECORDS);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(RECORDS - 1);
    // SIGTERM: drained, committed, left the group, exit 0.
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(await committedOffsets(group, input)).toEqual(await endOffsets(input));
  }, 300_000);
});
