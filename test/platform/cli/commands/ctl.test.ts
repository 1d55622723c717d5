import { Registry } from 'prom-client';
import { main } from '../../../../platform/cli/main';
import { createControlCenter } from '../../../../platform/control/control-center';
import type { Controllable, PauseScope } from '../../../../platform/control/controllable';
import { type HttpServer, startHttpServer } from '../../../../platform/http/http-server';
import { createLogger } from '../../../../platform/log/logger';

// `kafka-stages ctl` against a real HTTP server with the real control routes; the pipeline
// behind it is a stand-in that records calls (pausing a real pipeline is covered by the
// live page's Kafka test).
const logger = createLogger({ level: 'silent' });
let server: HttpServer;
let readOnly: HttpServer;
const calls: string[] = [];
const paused: PauseScope[] = [];

const target: Controllable = {
  name: 'orders',
  topics: () => ['in'],
  pause(scope) {
    calls.push(`pause ${JSON.stringify(scope)}`);
    paused.push(scope);
    return { changed: true, paused: [...paused] };
  },
  resume(scope) {
    calls.push(`resume ${JSON.stringify(scope)}`);
    paused.length = 0;
    return { changed: true, paused: [] };
  },
  paused: () => [...paused],
  settings: () => ({
    batchers: { default: { batchSize: 100, batchTimeoutMs: 50 } },
    processors: { concurrency: 2 },
  }),
  setBatcher(name, s) {
    calls.push(`setBatcher ${name} ${JSON.stringify(s)}`);
  },
  setProcessors(s) {
    calls.push(`setProcessors ${JSON.stringify(s)}`);
  },
};

beforeAll(async () => {
  const registry = new Registry();
  server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry,
    control: createControlCenter({ token: 'tok', targets: [target], registry, logger }),
  });
  const other = new Registry();
  readOnly = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    registry: other,
    control: createControlCenter({ targets: [target], registry: other, logger }),
  });
});
afterAll(async () => {
  await server?.close();
  await readOnly?.close();
});

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  calls.length = 0;
  jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
});
afterEach(() => jest.restoreAllMocks());

const ctl = (...args: string[]) => main(['ctl', ...args]);

describe('kafka-stages ctl', () => {
  it('pauses a partition, a topic and the whole pipeline, resumes, and prints the status', async () => {
    expect(
      await ctl(
        'pause',
        '--topic',
        'in',
        '--partition',
        '2',
        '--url',
        server.url,
        '--token',
        'tok',
      ),
    ).toBe(0);
    expect(await ctl('pause', '--topic', 'in', '--url', server.url, '--token', 'tok')).toBe(0);
    expect(await ctl('resume', '--url', server.url, '--token', 'tok')).toBe(0);
    expect(out).toEqual([
      'paused partition in/2\n',
      "paused topic 'in'\n",
      'resumed the whole pipeline\n',
    ]);
    expect(calls).toEqual([
      'pause {"topic":"in","partition":2}',
      'pause {"topic":"in"}',
      'resume {}',
    ]);
    out.length = 0;
    expect(await ctl('status', '--url', server.url)).toBe(0);
    const status = out.join('');
    expect(status).toContain(
      'control: on\npipeline orders: paused nothing\n  batcher default: batchSize 100, batchTimeoutMs 50\n  processors: concurrency 2\n',
    );
    expect(status).toMatch(/Z resume applied: resumed the whole pipeline\n$/);
  });

  it('sets batch sizes and concurrency', async () => {
    expect(
      await ctl(
        'set',
        '--batcher',
        'default',
        '--batch-size',
        '500',
        '--batch-timeout-ms',
        '200',
        '--url',
        server.url,
        '--token',
        'tok',
      ),
    ).toBe(0);
    expect(await ctl('set', '--concurrency', '4', '--url', server.url, '--token', 'tok')).toBe(0);
    expect(calls).toEqual([
      'setBatcher default {"batchSize":500,"batchTimeoutMs":200}',
      'setProcessors {"concurrency":4}',
    ]);
  });

  it('reads the token from CONTROL_TOKEN and says so when it is wrong', async () => {
    const before = process.env.CONTROL_TOKEN;
    process.env.CONTROL_TOKEN = 'not-it';
    try {
      expect(await ctl('pause', '--url', server.url)).toBe(1);
    } finally {
      if (before === undefined) delete process.env.CONTROL_TOKEN;
      else process.env.CONTROL_TOKEN = before;
    }
    expect(err.join('')).toBe(
      'kafka-stages ctl: pause refused (401 unauthorized): the bearer token is not the one this process was started with\n',
    );
    expect(calls).toEqual([]);
  });

  it('explains a read-only process and an unreachable one', async () => {
    expect(await ctl('resume', '--url', readOnly.url, '--token', 'x')).toBe(1);
    expect(err.pop()).toBe(
      'kafka-stages ctl: resume refused (403 read_only): control is off: this process was started without CONTROL_TOKEN, so resume and every other action are refused (the page is read only)\n',
    );
    const closed = await startHttpServer({ port: 0, host: '127.0.0.1', registry: new Registry() });
    await closed.close();
    expect(await ctl('pause', '--url', closed.url, '--token', 'tok')).toBe(1);
    expect(err.pop()).toBe(
      `kafka-stages ctl: cannot reach ${closed.url}: ECONNREFUSED; is the pipeline running there? (--url)\n`,
    );
  });

  it.each([
    [[], 'which action? pause, resume, set or status'],
    [['stop'], "unknown action 'stop'; allowed: pause, resume, set, status"],
    [
      ['pause', '--partition', '1', '--token', 't'],
      "option '--topic' is missing; allowed: the topic of --partition (a partition is named by its topic)",
    ],
    [
      ['pause', '--topic', 'a', '--partition=-1', '--token', 't'],
      'option \'--partition\' is "-1"; allowed: an integer >= 0',
    ],
    [
      ['pause', '--batcher', 'x'],
      "option '--batcher' is not a flag of ctl pause; allowed: --topic, --partition, --url, --token, --pipeline, --json",
    ],
    [
      ['set', '--batch-size', '5', '--token', 't'],
      "option '--batcher' is missing; allowed: the name of the batcher to change (needed with --batch-size and --batch-timeout-ms)",
    ],
    [
      ['set', '--token', 't'],
      'nothing to set: give --batcher with --batch-size/--batch-timeout-ms, or --concurrency',
    ],
    [
      ['pause', '--url', 'ftp://x'],
      'option \'--url\' is "ftp://x"; allowed: a URL starting with http:// or https://',
    ],
  ])('usage error for %j', async (args, message) => {
    const before = process.env.CONTROL_TOKEN;
    delete process.env.CONTROL_TOKEN;
    try {
      expect(await ctl(...args)).toBe(2);
    } finally {
      if (before !== undefined) process.env.CONTROL_TOKEN = before;
    }
    expect(err.join('')).toBe(`kafka-stages ctl: ${message}\nSee kafka-stages ctl --help.\n`);
  });

  it('asks for a token before sending anything', async () => {
    const before = process.env.CONTROL_TOKEN;
    delete process.env.CONTROL_TOKEN;
    try {
      expect(await ctl('pause', '--url', server.url)).toBe(2);
    } finally {
      if (before !== undefined) process.env.CONTROL_TOKEN = before;
    }
    expect(err.join('')).toContain(
      "kafka-stages ctl: option '--token' is missing; allowed: the control token: --token or CONTROL_TOKEN",
    );
  });

  it('has --help', async () => {
    expect(await ctl('--help')).toBe(0);
    expect(out.join('')).toContain('Usage: kafka-stages ctl pause');
  });
});
