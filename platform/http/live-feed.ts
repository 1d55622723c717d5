import type { Request, Response } from 'express';
import type { Registry } from 'prom-client';
import type { ActionRecord, ControlCenter, ControlDescription } from '../control/control-center';
import type { TopologySnapshot } from '../telemetry/topology-snapshot';

/** One point of a pipeline's time plots: running totals, turned into rates by the page. */
export interface FeedPoint {
  readonly at: number;
  /** Events the sources emitted. */
  readonly in: number;
  /** Records confirmed by the sinks (or events the last stages took, without sinks). */
  readonly out: number;
  /** Summed over the partitions whose lag is known. */
  readonly lag: number;
  readonly deadLettered: number;
  readonly failures: number;
}

/** A recent failure or dead-lettering, read from the counters' increase between two ticks. */
export interface FeedError {
  readonly at: number;
  readonly pipeline: string;
  /** `dead-lettered` (to `where`, a topic) or `failed` (in `where`, a stage). */
  readonly kind: 'dead-lettered' | 'failed';
  readonly where: string;
  readonly reason: string;
  readonly count: number;
}

/** One `snapshot` event: everything the page draws, once per interval. */
export interface FeedSnapshot {
  readonly at: number;
  readonly pipelines: readonly TopologySnapshot[];
  readonly points: Readonly<Record<string, FeedPoint>>;
  readonly process: { readonly rssBytes: number; readonly eventLoopLagMs: number };
}

export interface LiveFeedOptions {
  readonly registry: Registry;
  readonly topology: () => readonly TopologySnapshot[];
  readonly eventLoopLagMs: () => number;
  readonly control?: ControlCenter;
  /** Sampling and push interval. */
  readonly intervalMs?: number;
  /** How far back the plots reach (the history sent to a page when it connects). */
  readonly historyMs?: number;
}

/** The server side of the live page: `GET /events`, a Server-Sent Events stream. */
export interface LiveFeed {
  handle(req: Request, res: Response): void;
  /** Samples now (the timer does it every interval); resolves with what was pushed. */
  tick(): Promise<FeedSnapshot>;
  close(): void;
}

type Sample = { labels: Record<string, string | number>; value: number };

async function samples(registry: Registry, name: string): Promise<Sample[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const data = await metric.get();
  return data.values as Sample[];
}

function isSource(s: TopologySnapshot['stages'][number]): boolean {
  return s.role !== undefined ? s.role === 'source' : s.kind === 'producer';
}

/**
 * Samples the pipelines every `intervalMs` (default 1 s): the topology, per-pipeline totals
 * for the time plots (kept for `historyMs`, default 5 minutes, so a page opened late still
 * shows them) and recent failures; pushes each sample to every connected page, and every
 * control action the moment it happens.
 *
 * Events: `history` (on connect: `{ points: { [pipeline]: FeedPoint[] }, errors }`),
 * `control` (on connect: what can be steered), `snapshot` ({@link FeedSnapshot}),
 * `errors` (new {@link FeedError}s), `action` (an {@link ActionRecord}).
 */
export function createLiveFeed(options: LiveFeedOptions): LiveFeed {
  const intervalMs = options.intervalMs ?? 1000;
  const keepPoints = Math.ceil((options.historyMs ?? 300_000) / intervalMs);
  const history = new Map<string, FeedPoint[]>();
  const errors: FeedError[] = [];
  const lastCounts = new Map<string, number>();
  const clients = new Set<Response>();
  let last: FeedSnapshot | undefined;
  let sampling: Promise<FeedSnapshot> | undefined;

  const send = (res: Response, event: string, data: unknown) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const broadcast = (event: string, data: unknown) => {
    for (const res of clients) send(res, event, data);
  };

  /** Per-pipeline sums of a counter, and the increases since the last tick by label set. */
  async function counter(
    name: string,
    whereLabel: string,
    kind: FeedError['kind'],
    at: number,
    fresh: FeedError[],
  ): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const s of await samples(options.registry, name)) {
      const pipeline = String(s.labels.pipeline ?? '');
      totals.set(pipeline, (totals.get(pipeline) ?? 0) + s.value);
      const where = String(s.labels[whereLabel] ?? '');
      const reason = String(s.labels.reason ?? '');
      const key = `${name}|${pipeline}|${where}|${reason}`;
      const before = lastCounts.get(key);
      lastCounts.set(key, s.value);
      const added = s.value - (before ?? 0);
      // The first sight of a series is not news unless it already counts something.
      if (added > 0) fresh.push({ at, pipeline, kind, where, reason, count: added });
    }
    return totals;
  }

  async function sample(): Promise<FeedSnapshot> {
    const at = Date.now();
    const pipelines = options.topology();
    const fresh: FeedError[] = [];
    const dead = await counter(
      'kafka_stages_dead_lettered_total',
      'topic',
      'dead-lettered',
      at,
      fresh,
    );
    const failed = await counter('kafka_stages_stage_failures_total', 'stage', 'failed', at, fresh);
    const sunk = new Map<string, number>();
    for (const s of await samples(options.registry, 'kafka_stages_sink_records_total')) {
      const p = String(s.labels.pipeline ?? '');
      sunk.set(p, (sunk.get(p) ?? 0) + s.value);
    }
    const points: Record<string, FeedPoint> = {};
    for (const p of pipelines) {
      const feeding = new Set(p.subscriptions.map((s) => s.from));
      // A hop's reading side is a source too, but of events already counted once.
      const hopTargets = new Set<string>();
      for (const hop of p.hops ?? []) {
        feeding.add(hop.from);
        hopTargets.add(hop.to);
      }
      let inTotal = 0;
      let lastStages = 0;
      for (const s of p.stages) {
        if (isSource(s) && (s.part ?? 0) === 0 && !hopTargets.has(s.stage)) inTotal += s.eventsOut;
        if (!feeding.has(s.stage)) lastStages += s.eventsIn;
      }
      let lag = 0;
      for (const q of p.partitions) lag += q.lag ?? 0;
      const point: FeedPoint = {
        at,
        in: inTotal,
        out: sunk.get(p.pipeline) ?? lastStages,
        lag,
        deadLettered: dead.get(p.pipeline) ?? 0,
        failures: failed.get(p.pipeline) ?? 0,
      };
      points[p.pipeline] = point;
      let list = history.get(p.pipeline);
      if (!list) {
        list = [];
        history.set(p.pipeline, list);
      }
      list.push(point);
      if (list.length > keepPoints) list.splice(0, list.length - keepPoints);
    }
    if (fresh.length > 0) {
      errors.push(...fresh);
      if (errors.length > 50) errors.splice(0, errors.length - 50);
      broadcast('errors', fresh);
    }
    const rss = process.memoryUsage.rss();
    last = {
      at,
      pipelines,
      points,
      process: { rssBytes: rss, eventLoopLagMs: options.eventLoopLagMs() },
    };
    broadcast('snapshot', last);
    return last;
  }

  function tick(): Promise<FeedSnapshot> {
    sampling ??= sample().finally(() => {
      sampling = undefined;
    });
    return sampling;
  }

  const timer = setInterval(() => void tick().catch(() => {}), intervalMs);
  timer.unref();
  // Keeps proxies and browsers from timing the stream out between snapshots.
  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();
  const unsubscribe = options.control?.onAction((record: ActionRecord) => {
    broadcast('action', record);
    broadcast('control', options.control!.describe());
  });
  void tick().catch(() => {});

  return {
    handle(req: Request, res: Response): void {
      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      res.write(`retry: ${Math.max(1000, intervalMs)}\n\n`);
      const control: ControlDescription = options.control?.describe() ?? {
        enabled: false,
        pipelines: [],
        recent: [],
      };
      send(res, 'control', control);
      send(res, 'history', { points: Object.fromEntries(history), errors });
      if (last) send(res, 'snapshot', last);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    tick,
    close(): void {
      clearInterval(timer);
      clearInterval(keepAlive);
      unsubscribe?.();
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
