import type { Sample } from '../model/sample';
import { Prng } from './prng';

export interface GeneratorOptions {
  /** Same seed, same samples. */
  seed: number;
  /** Distinct series to cycle through (≥ 1). */
  series: number;
  /** Samples per second of event time: the virtual clock advances 1000/rate ms per sample. */
  rate: number;
  /** Event time of the first sample, ms. */
  start: number;
  /**
   * Clock skew, ± ms, drawn once per series (each host's clock is a little off), so
   * samples of different series arrive out of event-time order while each series stays
   * in order, as an agent writes them. Default 200.
   */
  jitterMs?: number;
  /** Share of samples stamped up to 5 × jitter in the past (out of order). Default 0.05. */
  outOfOrder?: number;
  /** Share of samples stamped `lateByMs` in the past (late for most windows). Default 0.01. */
  late?: number;
  /** How far in the past late samples are. Default 60 000. */
  lateByMs?: number;
}

type Kind = 'counter' | 'gauge' | 'histogram';

interface Series {
  kind: Kind;
  name: string;
  labels: Record<string, string>;
  /** Counter total, or gauge level. */
  level: number;
  /** This series' clock skew, ms: its host's clock is a little off, constantly. */
  skew: number;
}

const SERVICES = [
  'checkout',
  'cart',
  'search',
  'auth',
  'catalog',
  'payments',
  'shipping',
  'users',
  'reviews',
  'ads',
];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const METHOD_WEIGHTS = [70, 20, 7, 3];
const CODES = ['200', '201', '404', '500', '503'];
const CODE_WEIGHTS = [85, 5, 6, 3, 1];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];

/**
 * Realistic metric samples, deterministic for a seed: counters (`http_requests_total`,
 * with occasional resets), gauges (`process_resident_memory_bytes`, `cpu_usage_ratio`) and
 * histogram-like latency observations (`http_request_duration_ms`, log-normal). Labels
 * have realistic cardinality: 10 services, a few instances each, 4 methods and 5 codes
 * with skewed weights. Event times follow a virtual clock with jitter, some out-of-order
 * and some late samples.
 */
export class SampleGenerator {
  private readonly prng: Prng;
  private readonly series: Series[] = [];
  private readonly options: Required<GeneratorOptions>;
  private clock: number;
  private cursor = 0;

  constructor(options: GeneratorOptions) {
    this.options = { jitterMs: 200, outOfOrder: 0.05, late: 0.01, lateByMs: 60_000, ...options };
    this.prng = new Prng(options.seed);
    this.clock = options.start;
    for (let i = 0; i < Math.max(1, options.series); i++) this.series.push(this.makeSeries(i));
  }

  /** The virtual clock: event time of the latest on-time sample. */
  get now(): number {
    return this.clock;
  }

  next(): Sample {
    const o = this.options;
    const s = this.series[this.cursor] as Series;
    this.cursor = (this.cursor + 1) % this.series.length;
    this.clock += 1000 / o.rate;
    let timestamp = Math.round(this.clock + s.skew);
    const roll = this.prng.next();
    if (roll < o.late) timestamp = Math.round(this.clock - o.lateByMs);
    else if (roll < o.late + o.outOfOrder)
      timestamp = Math.round(this.clock - this.prng.next() * 5 * o.jitterMs);
    return { name: s.name, value: this.value(s), timestamp, labels: { ...s.labels } };
  }

  batch(n: number): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    return out;
  }

  private makeSeries(i: number): Series {
    const service = SERVICES[i % SERVICES.length] as string;
    // Unique per generated series, so no two of them share an identity (a counter written
    // by two "hosts" would look like resets).
    const instance = `${service}-${Math.floor(i / SERVICES.length)}`;
    const region = REGIONS[i % REGIONS.length] as string;
    const kind = this.prng.weighted<Kind>(['counter', 'gauge', 'histogram'], [5, 2, 3]);
    const skew = (this.prng.next() * 2 - 1) * this.options.jitterMs;
    if (kind === 'counter') {
      return {
        kind,
        name: 'http_requests_total',
        labels: {
          service,
          instance,
          region,
          method: this.prng.weighted(METHODS, METHOD_WEIGHTS),
          code: this.prng.weighted(CODES, CODE_WEIGHTS),
        },
        level: this.prng.int(10_000),
        skew,
      };
    }
    if (kind === 'gauge') {
      const memory = this.prng.next() < 0.5;
      return {
        kind,
        name: memory ? 'process_resident_memory_bytes' : 'cpu_usage_ratio',
        labels: { service, instance, region },
        level: memory ? 2e8 + this.prng.next() * 8e8 : this.prng.next(),
        skew,
      };
    }
    return {
      kind,
      name: 'http_request_duration_ms',
      labels: { service, instance, region, method: this.prng.weighted(METHODS, METHOD_WEIGHTS) },
      level: 20 + this.prng.next() * 200,
      skew,
    };
  }

  private value(s: Series): number {
    switch (s.kind) {
      case 'counter':
        // One in a thousand samples finds a restarted process: the counter starts over.
        if (this.prng.next() < 0.001) s.level = 0;
        s.level += this.prng.int(20);
        return s.level;
      case 'gauge': {
        const ratio = s.name === 'cpu_usage_ratio';
        s.level = Math.max(0, s.level * (1 + (this.prng.next() - 0.5) * 0.02));
        if (ratio) s.level = Math.min(1, s.level);
        return s.level;
      }
      case 'histogram':
        return Math.round(this.prng.logNormal(s.level, 0.6) * 1000) / 1000;
    }
  }
}
