import type { Message } from '../../../../platform/message/message';
import { createPipeline } from '../../../../platform/pipeline/pipeline';
import { sendTestMessages, TestSource, testBatch } from '../../../../platform/pipeline/testing';
import {
  encodeWriteRequest,
  RemoteWriteOptionsError,
  RemoteWriteRefusedError,
  RemoteWriteSink,
  RemoteWriteUnavailableError,
  WriteRequestType,
} from '../../../../platform/sinks/remote-write/index';
import { type Answer, type ReceivedRequest, TestReceiver } from './receiver';

const T = 1_767_000_000_000;
const sample = (name: string, t: number, value: number, labels: Record<string, string> = {}) => ({
  name,
  value,
  timestamp: t,
  labels,
});
const FAST = { initialBackoffMs: 5, maxBackoffMs: 20 };

let receiver: TestReceiver | undefined;
let sink: RemoteWriteSink | undefined;
afterEach(async () => {
  sink?.close();
  sink = undefined;
  await receiver?.stop();
  receiver = undefined;
});

async function receive(answer: (r: ReceivedRequest, i: number) => Answer): Promise<TestReceiver> {
  receiver = await new TestReceiver(answer).start();
  return receiver;
}

const messages = (data: unknown[]): Message[] => testBatch(data);

describe('RemoteWriteSink options', () => {
  const errorOf = (options: unknown) => {
    try {
      new RemoteWriteSink(options as never);
    } catch (error) {
      return error as RemoteWriteOptionsError;
    }
    throw new Error('no error');
  };

  it.each([
    [{}, "RemoteWriteSink: option 'url' is missing; allowed: a string", 'url'],
    [
      { url: 'ftp://x' },
      'RemoteWriteSink: option \'url\' is "ftp://x"; allowed: an http:// or https:// URL, e.g. http://127.0.0.1:9090/api/v1/write',
      'url',
    ],
    [
      { url: 'http://h/w', timeoutMs: 0 },
      "RemoteWriteSink: option 'timeoutMs' is 0; allowed: a number >= 1",
      'timeoutMs',
    ],
    [
      { url: 'http://h/w', initialBackoffMs: 50, maxBackoffMs: 10 },
      "RemoteWriteSink: option 'initialBackoffMs' is 50; allowed: a delay <= maxBackoffMs (10)",
      'initialBackoffMs',
    ],
    [
      { url: 'http://h/w', headers: { 'Content-Type': 'text/plain' } },
      'RemoteWriteSink: option \'headers.Content-Type\' is "text/plain"; allowed: any header but content-encoding, content-type, x-prometheus-remote-write-version (the sink sets those)',
      'headers.Content-Type',
    ],
  ])('refuses %j', (options, message, path) => {
    const error = errorOf(options);
    expect(error).toBeInstanceOf(RemoteWriteOptionsError);
    expect(error.message).toBe(message);
    expect(error.path).toBe(path);
  });

  it('names an unknown key and the allowed ones', () => {
    expect(errorOf({ url: 'http://h/w', timeout: 5 }).message).toBe(
      "RemoteWriteSink: option 'timeout' is unknown; allowed: one of the keys url, timeoutMs, initialBackoffMs, maxBackoffMs, maxSamplesPerRequest, headers, samplesOf, telemetry",
    );
  });
});

describe('RemoteWriteSink against a local receiver', () => {
  it('sends protobuf + snappy with the protocol headers, series grouped, labels sorted', async () => {
    const r = await receive(() => ({ status: 204 }));
    sink = new RemoteWriteSink({ url: r.url, headers: { 'X-Scope-OrgID': 'team-a' } });
    const batch = messages([
      [sample('up', T, 1, { job: 'a', Zone: 'z', empty: '' }), sample('up', T, 2, { job: 'b' })],
      sample('up', T + 1000, 3, { Zone: 'z', job: 'a' }),
    ]);
    await sink.send(batch);
    expect(r.requests).toHaveLength(1);
    const [request] = r.requests;
    expect(request!.headers).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'x-scope-orgid': 'team-a',
    });
    expect(request!.series).toEqual([
      {
        labels: { Zone: 'z', __name__: 'up', job: 'a' },
        samples: [
          { value: 1, timestamp: T },
          { value: 3, timestamp: T + 1000 },
        ],
      },
      { labels: { __name__: 'up', job: 'b' }, samples: [{ value: 2, timestamp: T }] },
    ]);
    // The protocol wants labels sorted by name: Zone < __name__ < job in byte order.
    expect(Object.keys(request!.series[0]!.labels)).toEqual(['Zone', '__name__', 'job']);
    expect(batch.map((m) => m.status.kind)).toEqual(['pending', 'pending']);
  });

  it('retries 503, 429 (with Retry-After) and 500 until the receiver answers 2xx', async () => {
    const answers: Answer[] = [
      { status: 503 },
      { status: 429, headers: { 'Retry-After': '0' } },
      { status: 500, body: 'tsdb busy' },
      { status: 200 },
    ];
    const r = await receive((_, i) => answers[i] ?? { status: 200 });
    sink = new RemoteWriteSink({ url: r.url, ...FAST });
    const batch = messages([sample('a', T, 1)]);
    await sink.send(batch);
    expect(r.requests.map((q) => q.status)).toEqual([503, 429, 500, 200]);
    expect(r.accepted()).toEqual([`a@${T}=1`]);
    expect(batch[0]!.status.kind).toBe('pending');
  });

  it('retries a request that times out', async () => {
    const r = await receive((_, i) => (i === 0 ? 'hang' : { status: 204 }));
    sink = new RemoteWriteSink({ url: r.url, timeoutMs: 200, ...FAST });
    await sink.send(messages([sample('a', T, 1)]));
    expect(r.requests).toHaveLength(2);
    expect(r.accepted()).toEqual([`a@${T}=1`]);
  });

  it('keeps retrying while the receiver is down, and delivers once it is back', async () => {
    const r = await receive(() => ({ status: 204 }));
    const url = r.url;
    const port = Number(new URL(url).port);
    await r.stop();
    sink = new RemoteWriteSink({ url, ...FAST });
    const batch = messages([sample('a', T, 1)]);
    let settled = false;
    const sending = sink.send(batch).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    await r.start(port);
    await sending;
    expect(r.accepted()).toEqual([`a@${T}=1`]);
    expect(batch[0]!.status.kind).toBe('pending');
  });

  it('rejects with a retriable error when closed while the receiver is down; nothing marked failed', async () => {
    const r = await receive(() => ({ status: 503, body: 'down for maintenance' }));
    sink = new RemoteWriteSink({ url: r.url, ...FAST });
    const batch = messages([sample('a', T, 1)]);
    const sending = sink.send(batch);
    await new Promise((resolve) => setTimeout(resolve, 100));
    sink.close();
    const error = await sending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteWriteUnavailableError);
    expect((error as RemoteWriteUnavailableError).retriable).toBe(true);
    expect((error as Error).message).toContain('HTTP 503: down for maintenance');
    expect(batch[0]!.status.kind).toBe('pending');
    await expect(sink.send(batch)).rejects.toBeInstanceOf(RemoteWriteUnavailableError);
  });

  it('splits a batch refused with 400 until the refused messages stand alone; the rest is delivered once, in order', async () => {
    const refusing = (q: ReceivedRequest): Answer =>
      q.series.some((s) => s.labels.bad === '1')
        ? { status: 400, body: 'out of order sample' }
        : { status: 204 };
    const r = await receive(refusing);
    sink = new RemoteWriteSink({ url: r.url, ...FAST });
    const batch = messages(
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
        sample(`m${i}`, T + i, i, i === 2 || i === 5 ? { bad: '1' } : {}),
      ),
    );
    await sink.send(batch);
    expect(batch.map((m) => m.status.kind)).toEqual([
      'pending',
      'pending',
      'failed',
      'pending',
      'pending',
      'failed',
      'pending',
      'pending',
    ]);
    const failed = batch[2]!.status as unknown as {
      reason: string;
      error: RemoteWriteRefusedError;
    };
    expect(failed.reason).toBe('remote_write_refused');
    expect(failed.error).toBeInstanceOf(RemoteWriteRefusedError);
    expect(failed.error.status).toBe(400);
    expect(failed.error.body).toBe('out of order sample');
    expect(failed.error.message).toBe(
      `remote write to ${r.url} refused with HTTP 400: out of order sample`,
    );
    expect(r.accepted()).toEqual([0, 1, 3, 4, 6, 7].map((i) => `m${i}@${T + i}=${i}`));
  });

  it('refuses the whole request on 401 without splitting it', async () => {
    const r = await receive(() => ({ status: 401, body: 'no token' }));
    sink = new RemoteWriteSink({ url: r.url, ...FAST });
    const batch = messages([sample('a', T, 1), sample('b', T, 2), sample('c', T, 3)]);
    await sink.send(batch);
    expect(r.requests).toHaveLength(1);
    expect(batch.map((m) => m.status.kind)).toEqual(['failed', 'failed', 'failed']);
  });

  it('sends at most maxSamplesPerRequest samples per request, never splitting a message', async () => {
    const r = await receive(() => ({ status: 204 }));
    sink = new RemoteWriteSink({ url: r.url, maxSamplesPerRequest: 4 });
    const batch = messages(
      [0, 1, 2, 3, 4].map((i) => [sample('x', T + 2 * i, i), sample('x', T + 2 * i + 1, i)]),
    );
    await sink.send(batch);
    expect(r.requests.map((q) => q.series[0]!.samples.length)).toEqual([4, 4, 2]);
    expect(r.accepted()).toEqual(
      [0, 1, 2, 3, 4].flatMap((i) => [`x@${T + 2 * i}=${i}`, `x@${T + 2 * i + 1}=${i}`]),
    );
  });

  it('marks a message that carries no samples as remote_write_invalid and sends the others', async () => {
    const r = await receive(() => ({ status: 204 }));
    sink = new RemoteWriteSink({ url: r.url });
    const batch = messages([sample('a', T, 1), { name: 'b', value: 'high' }, 'text']);
    await sink.send(batch);
    expect(batch.map((m) => m.status.kind)).toEqual(['pending', 'failed', 'failed']);
    expect(batch[1]!.status).toMatchObject({
      reason: 'remote_write_invalid',
      error: { message: 'sample 0 (b) value is not a number' },
    });
    expect(r.accepted()).toEqual([`a@${T}=1`]);
  });
});

describe('RemoteWriteSink in a pipeline', () => {
  it('acknowledges only after the receiver answered 2xx, and dead-letters refused samples', async () => {
    let up = false;
    const r = await receive((q) => {
      if (!up) return { status: 503 };
      return q.series.some((s) => s.labels.bad)
        ? { status: 400, body: 'bad label' }
        : { status: 204 };
    });
    sink = new RemoteWriteSink({ url: r.url, ...FAST });
    const deadLettered: unknown[] = [];
    const pipeline = createPipeline({
      name: 'rw',
      source: (o) => new TestSource(o),
      batchers: { prom: { batchSize: 10, batchTimeoutMs: 20 } },
      sinks: { prom: sink },
      deadLetter: {
        topic: 'dlq',
        send: async (records) => {
          deadLettered.push(...records);
        },
      },
    });
    await pipeline.start();
    try {
      let settled = false;
      const result = sendTestMessages(pipeline, [
        sample('ok', T, 1),
        sample('no', T, 2, { bad: 'yes' }),
        sample('ok', T + 1, 3),
      ]).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false); // the receiver is down: nothing acknowledged, nothing dead-lettered
      expect(deadLettered).toEqual([]);
      up = true;
      const { successful, failed } = await result;
      expect(successful.map((m) => m.offset)).toEqual([0, 2]);
      expect(failed.map((m) => [m.offset, m.status.kind])).toEqual([[1, 'dead-lettered']]);
      expect(deadLettered).toHaveLength(1);
      expect(r.accepted()).toEqual([`ok@${T}=1`, `ok@${T + 1}=3`]);
    } finally {
      await pipeline.stop();
    }
  });
});

describe('encodeWriteRequest', () => {
  it('puts samples of one label set listed in different orders into one series, in order', () => {
    const decoded = WriteRequestType.toObject(
      WriteRequestType.decode(
        encodeWriteRequest([
          sample('m', T, 1, { a: '1', b: '2' }),
          sample('m', T + 1, 2, { b: '2', a: '1' }),
          sample('m', T + 2, 3, { a: '1', b: '2', c: '' }),
          sample('m', T + 3, 4, { a: '1' }),
        ]),
      ),
      { longs: Number },
    );
    expect(decoded).toEqual({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'm' },
            { name: 'a', value: '1' },
            { name: 'b', value: '2' },
          ],
          samples: [1, 2, 3].map((v, i) => ({ value: v, timestamp: T + i })),
        },
        {
          labels: [
            { name: '__name__', value: 'm' },
            { name: 'a', value: '1' },
          ],
          samples: [{ value: 4, timestamp: T + 3 }],
        },
      ],
    });
  });
});
