import type { StopReason } from '../../../stages';
import { Counter } from './counter';
import { Evens } from './evens';
import { type LineFormat, type LineSink, Printer } from './printer';

/** Settings of {@link runSeed}. */
export interface SeedSettings {
  /** How many printers share the even numbers. */
  consumers: number;
  /** Emit exactly 0 … limit-1, then finish; Infinity runs until stopped. */
  limit: number;
  format: LineFormat;
  out: LineSink;
  /** maxDemand of every subscription (the lesson uses the default, 1000). */
  maxDemand?: number;
}

/** A running seed pipeline. */
export interface SeedRun {
  readonly counter: Counter;
  readonly evens: Evens;
  readonly printers: readonly Printer[];
  /** Resolves once every printer has stopped, with their reasons. */
  readonly done: Promise<StopReason[]>;
  /** Stops the pipeline from the counter down. */
  stop(): Promise<StopReason[]>;
  /** Stops every stage at once (e.g. the output is gone and a printer waits for 'drain'). */
  kill(): Promise<StopReason[]>;
}

/**
 * The GenStage lesson's pipeline, in-process: counter → evens → N printers. The printers
 * share the work through the default demand dispatcher.
 */
export function runSeed(settings: SeedSettings): SeedRun {
  const maxDemand = settings.maxDemand ?? 1000;
  const counter = new Counter(0, settings.limit).start();
  const evens = new Evens({ subscribeTo: [{ producer: counter, maxDemand }] }).start();
  const printers = Array.from({ length: settings.consumers }, (_, i) =>
    new Printer(settings.out, settings.format, {
      name: `consumer-${i + 1}`,
      subscribeTo: [{ producer: evens, maxDemand }],
    }).start(),
  );
  const done = Promise.all(printers.map((p) => p.done()));
  return {
    counter,
    evens,
    printers,
    done,
    async stop() {
      await counter.stop('shutdown');
      return done;
    },
    async kill() {
      for (const stage of [...printers, evens, counter]) await stage.kill('shutdown');
      return done;
    },
  };
}
