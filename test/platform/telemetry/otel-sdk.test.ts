import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

// The SDK is tested in a child process running the compiled code, as an application runs
// it: the OTLP exporter uses dynamic import(), which jest's module sandbox refuses.
const CHILD = path.join(__dirname, 'fixtures', 'otel-sdk-child.js');
const BUILT = path.resolve(__dirname, '../../../dist/platform/telemetry/otel-sdk.js');

interface Received {
  path: string;
  bytes: number;
}

/** A stand-in OTLP/HTTP collector on loopback that records what it was sent. */
async function fakeCollector(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, received };
}

function startChild(env: NodeJS.ProcessEnv): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, [CHILD], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
  });
  return { child, firstLine };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`make build\` first`);
});

describe('startTracingSdk (in an application process)', () => {
  it('exports over OTLP/HTTP to the OTEL_* endpoint, flushing on SIGTERM', async () => {
    const collector = await fakeCollector();
    try {
      const { child, firstLine } = startChild({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
        OTEL_TRACES_SAMPLER: 'always_on',
        OTEL_BSP_SCHEDULE_DELAY: '600000', // nothing leaves before the shutdown
      });
      const exited = exitOf(child);
      const line = JSON.parse(await firstLine) as { enabled: boolean; traceparent: string };
      expect(line.enabled).toBe(true);
      expect(line.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(collector.received).toEqual([]);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 143, signal: null });
      expect(collector.received.map((r) => r.path)).toContain('/v1/traces');
      expect(collector.received[0]!.bytes).toBeGreaterThan(50);
    } finally {
      collector.server.close();
    }
  });

  it('is not loaded by importing the package: only an entry point that starts it loads the SDK', async () => {
    const entry = path.resolve(__dirname, '../../../dist/platform/index.js');
    // Which OpenTelemetry SDK modules a process holds after requiring the package, and after
    // starting the SDK (no exporter: nothing leaves the process).
    const script = `
      const sdkLoaded = () => Object.keys(require.cache).filter((k) => /@opentelemetry[\\/]sdk-/.test(k)).length;
      const platform = require(${JSON.stringify(entry)});
      const before = sdkLoaded();
      platform.startTracingSdk({ handleSignals: false }).shutdown();
      console.log(JSON.stringify({ before, after: sdkLoaded() }));`;
    const child = spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, OTEL_TRACES_EXPORTER: 'none' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    expect((await exitOf(child)).code).toBe(0);
    const counts = JSON.parse(out.trim().split('\n').pop()!) as { before: number; after: number };
    expect(counts.before).toBe(0);
    expect(counts.after).toBeGreaterThan(0);
  }, 30_000);

  it('registers nothing when OTEL_SDK_DISABLED=true', async () => {
    const { child, firstLine } = startChild({ OTEL_SDK_DISABLED: 'true' });
    const exited = exitOf(child);
    expect(JSON.parse(await firstLine)).toEqual({ enabled: false, traceparent: null });
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
  });
});
