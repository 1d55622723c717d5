import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import SnappyJS from 'snappyjs';
import { WriteRequestType } from '../../../../platform/sinks/remote-write/write-request';

/** A decoded remote-write request as the test receiver saw it. */
export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  series: { labels: Record<string, string>; samples: { value: number; timestamp: number }[] }[];
  /** The status answered; undefined while hanging. */
  status?: number;
}

/** What the receiver answers: a status (and body, headers), or `hang` (never answer). */
export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/**
 * A local HTTP server that decodes remote-write requests (snappy, then protobuf with the
 * sink's schema) and answers as the test says. Only loopback.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private hanging: ServerResponse[] = [];

  constructor(private answer: (request: ReceivedRequest, index: number) => Answer) {}

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/v1/write`;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = SnappyJS.uncompress(Buffer.concat(chunks));
        const decoded = WriteRequestType.toObject(WriteRequestType.decode(raw), {
          longs: Number,
          defaults: true,
        }) as {
          timeseries: {
            labels: { name: string; value: string }[];
            samples: { value: number; timestamp: number }[];
          }[];
        };
        const request: ReceivedRequest = {
          headers: req.headers,
          series: decoded.timeseries.map((ts) => ({
            labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])),
            samples: ts.samples,
          })),
        };
        const index = this.requests.length;
        this.requests.push(request);
        const answer = this.answer(request, index);
        if (answer === 'hang') {
          this.hanging.push(res);
          return;
        }
        request.status = answer.status;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this;
  }

  /** Changes what later requests get. */
  answerWith(answer: (request: ReceivedRequest, index: number) => Answer): void {
    this.answer = answer;
  }

  /** Every sample of requests answered 2xx, as `name@time=value`, in the order received. */
  accepted(): string[] {
    const out: string[] = [];
    for (const r of this.requests) {
      if (r.status === undefined || r.status >= 300) continue;
      for (const s of r.series) {
        for (const p of s.samples) out.push(`${s.labels.__name__}@${p.timestamp}=${p.value}`);
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging = [];
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }
}
