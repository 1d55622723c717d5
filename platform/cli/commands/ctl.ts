import { parseArgs } from 'node:util';
import { DEFAULT_HTTP_PORT, HTTP_PORT_ENV } from '../../http/http-server';
import { type Command, flagError, UsageError } from '../command';

const HELP = `Usage: kafka-stages ctl pause  [--topic T [--partition P]] [options]
       kafka-stages ctl resume [--topic T [--partition P]] [options]
       kafka-stages ctl set    (--batcher B [--batch-size N] [--batch-timeout-ms MS] | --concurrency N) [options]
       kafka-stages ctl status [options]

Steers a running pipeline through its control API (the same actions as the live page's
buttons). Pause and resume stop and restart fetching without leaving the consumer group:
without --topic, the whole pipeline; with --topic, that topic; with --partition too, one
partition. set changes a batcher's batch size and timeout, or the processors' concurrency.
status prints what is paused, the current settings and the last actions.

Options:
  --url URL             the pipeline's HTTP server (default KAFKA_STAGES_URL, else
                        http://localhost:$HTTP_PORT, else http://localhost:${DEFAULT_HTTP_PORT})
  --token TOKEN         the process's CONTROL_TOKEN (default: the CONTROL_TOKEN variable)
  --pipeline NAME       which pipeline, when the process runs several
  --json                print the server's answer as JSON

Exit status: 0 done (or already so), 1 refused or unreachable (the reason is printed), 2 bad
arguments.

Examples:
  kafka-stages ctl pause --topic metrics-influx --partition 3 --token "$CONTROL_TOKEN"
  kafka-stages ctl resume                       # the whole pipeline
  kafka-stages ctl set --batcher default --batch-size 500 --batch-timeout-ms 200
  kafka-stages ctl status --url http://10.0.0.7:9464
`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  pipeline: { type: 'string' },
  topic: { type: 'string' },
  partition: { type: 'string' },
  batcher: { type: 'string' },
  'batch-size': { type: 'string' },
  'batch-timeout-ms': { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

const ALLOWED: Record<string, readonly string[]> = {
  pause: ['topic', 'partition'],
  resume: ['topic', 'partition'],
  set: ['batcher', 'batch-size', 'batch-timeout-ms', 'concurrency'],
  status: [],
};
const COMMON = ['url', 'token', 'pipeline', 'json'];

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw flagError('ctl', { path: `--${flag}`, value, allowed: `an integer >= ${min}` });
  }
  return n;
}

/** The server's URL: --url, else KAFKA_STAGES_URL, else localhost on HTTP_PORT. */
function baseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const raw =
    flag ?? env.KAFKA_STAGES_URL ?? `http://localhost:${env[HTTP_PORT_ENV] || DEFAULT_HTTP_PORT}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw flagError('ctl', {
      path: '--url',
      value: raw,
      allowed: 'an http(s) URL such as http://localhost:9464',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw flagError('ctl', {
      path: '--url',
      value: raw,
      allowed: 'a URL starting with http:// or https://',
    });
  }
  return url.toString().replace(/\/+$/, '');
}

interface Answer {
  message?: string;
  error?: { code: string; message: string };
  [key: string]: unknown;
}

function scopeText(s: { topic?: string; partition?: number }): string {
  if (s.topic === undefined) return 'the whole pipeline';
  return s.partition === undefined ? `topic ${s.topic}` : `partition ${s.topic}/${s.partition}`;
}

function statusText(answer: Answer): string {
  const lines: string[] = [
    `control: ${answer.enabled ? 'on' : 'off (read only: no CONTROL_TOKEN)'}`,
  ];
  const pipelines = (answer.pipelines ?? []) as {
    pipeline: string;
    paused: { topic?: string; partition?: number }[];
    settings: {
      batchers: Record<string, { batchSize: number; batchTimeoutMs: number }>;
      processors: { concurrency: number } | null;
    } | null;
  }[];
  for (const p of pipelines) {
    lines.push(
      `pipeline ${p.pipeline}: paused ${p.paused.length === 0 ? 'nothing' : p.paused.map(scopeText).join(', ')}`,
    );
    if (p.settings) {
      for (const [name, b] of Object.entries(p.settings.batchers)) {
        lines.push(
          `  batcher ${name}: batchSize ${b.batchSize}, batchTimeoutMs ${b.batchTimeoutMs}`,
        );
      }
      if (p.settings.processors)
        lines.push(`  processors: concurrency ${p.settings.processors.concurrency}`);
    } else {
      lines.push('  settings: not adjustable at run time');
    }
  }
  for (const r of (answer.recent ?? []) as {
    at: number;
    action: string;
    outcome: string;
    message: string;
  }[]) {
    lines.push(`${new Date(r.at).toISOString()} ${r.action} ${r.outcome}: ${r.message}`);
  }
  return `${lines.join('\n')}\n`;
}

export const ctlCommand: Command = {
  name: 'ctl',
  summary: 'pause, resume or resize a running pipeline (its control API)',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const [action, ...rest] = argv;
    if (action === undefined || !(action in ALLOWED)) {
      throw new UsageError(
        action === undefined
          ? 'which action? pause, resume, set or status'
          : `unknown action '${action}'; allowed: pause, resume, set, status`,
      );
    }
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: rest,
        options: OPTIONS,
        allowPositionals: false,
        strict: true,
      }));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const allowed = new Set([...ALLOWED[action]!, ...COMMON]);
    for (const key of Object.keys(values)) {
      if (values[key] !== undefined && key !== 'json' && !allowed.has(key)) {
        throw flagError('ctl', {
          path: `--${key}`,
          is: `not a flag of ctl ${action}`,
          allowed: [...allowed].map((k) => `--${k}`).join(', '),
        });
      }
    }
    const url = baseUrl(values.url as string | undefined, process.env);
    const token = (values.token as string | undefined) ?? process.env.CONTROL_TOKEN;
    const body: Record<string, unknown> = {};
    if (values.pipeline !== undefined) body.pipeline = values.pipeline;
    if (action === 'pause' || action === 'resume') {
      const partition = integer('partition', values.partition as string | undefined, 0);
      if (partition !== undefined && values.topic === undefined) {
        throw flagError('ctl', {
          path: '--topic',
          is: 'missing',
          allowed: 'the topic of --partition (a partition is named by its topic)',
        });
      }
      if (values.topic !== undefined) body.topic = values.topic;
      if (partition !== undefined) body.partition = partition;
    } else if (action === 'set') {
      const batchSize = integer('batch-size', values['batch-size'] as string | undefined, 1);
      const batchTimeoutMs = integer(
        'batch-timeout-ms',
        values['batch-timeout-ms'] as string | undefined,
        1,
      );
      const concurrency = integer('concurrency', values.concurrency as string | undefined, 1);
      if (
        (batchSize !== undefined || batchTimeoutMs !== undefined) &&
        values.batcher === undefined
      ) {
        throw flagError('ctl', {
          path: '--batcher',
          is: 'missing',
          allowed:
            'the name of the batcher to change (needed with --batch-size and --batch-timeout-ms)',
        });
      }
      if (values.batcher !== undefined && batchSize === undefined && batchTimeoutMs === undefined) {
        throw flagError('ctl', {
          path: '--batch-size',
          is: 'missing',
          allowed: '--batch-size and/or --batch-timeout-ms with --batcher',
        });
      }
      if (values.batcher === undefined && concurrency === undefined) {
        throw new UsageError(
          'nothing to set: give --batcher with --batch-size/--batch-timeout-ms, or --concurrency',
        );
      }
      if (values.batcher !== undefined) body.batcher = values.batcher;
      if (batchSize !== undefined) body.batchSize = batchSize;
      if (batchTimeoutMs !== undefined) body.batchTimeoutMs = batchTimeoutMs;
      if (concurrency !== undefined) body.concurrency = concurrency;
    }
    if (action !== 'status' && !token) {
      throw flagError('ctl', {
        path: '--token',
        is: 'missing',
        allowed:
          'the control token: --token or CONTROL_TOKEN (the one the pipeline was started with)',
      });
    }

    let response: Response;
    try {
      response =
        action === 'status'
          ? await fetch(`${url}/control`, { signal: AbortSignal.timeout(10_000) })
          : await fetch(`${url}/control/${action}`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
              body: JSON.stringify(body),
              signal: AbortSignal.timeout(10_000),
            });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      process.stderr.write(
        `kafka-stages ctl: cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}; is the pipeline running there? (--url)\n`,
      );
      return 1;
    }
    const text = await response.text();
    let answer: Answer;
    try {
      answer = JSON.parse(text) as Answer;
    } catch {
      process.stderr.write(
        `kafka-stages ctl: ${url} answered ${response.status} with no JSON; is it a kafka-stages process? (${text.slice(0, 120)})\n`,
      );
      return 1;
    }
    if (!response.ok) {
      process.stderr.write(
        `kafka-stages ctl: ${action} refused (${response.status} ${answer.error?.code ?? ''}): ${answer.error?.message ?? text}\n`,
      );
      return 1;
    }
    if (values.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    else if (action === 'status') process.stdout.write(statusText(answer));
    else process.stdout.write(`${answer.message}\n`);
    return 0;
  },
};
