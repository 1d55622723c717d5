// make reliability: faults against a local broker, for every workload (the identity
// pipeline; the metric transformer plugs in through bench/reliability/workloads.ts), one
// table row per scenario (records in, out, lost, duplicated, time to recover, peak RSS)
// and a final JSON line. Exits 1 when a scenario lost a record or failed a check.
//
//   node dist/bench/reliability.js [--quick] [--only scenario,...] [--workload identity|transformer]
//
// The broker runs on fixed ports and a kept data directory so that the broker-stop
// scenario can restart it for real (platform/kafka/local-broker/restart.ts).
import { randomBytes } from 'node:crypto';
import { Cluster } from './reliability/harness';
import { PARTITIONS, SCENARIOS, type Scenario, ScenarioRun } from './reliability/scenarios';
import { NO_BAD_RECORDS, type ReadRecord, WORKLOADS, type Workload } from './reliability/workloads';

// kafkajs 2.2.4 sets timers with negative delays; Node 24 warns each time (#1751).
process.removeAllListeners('warning');

interface Row {
  readonly scenario: string;
  readonly records: number;
  readonly out: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly deadLettered: number;
  readonly recoverMs: number;
  readonly peakRssMiB: number;
  readonly seconds: number;
  readonly failures: readonly string[];
  /** The scenario did not finish: its undelivered records are not counted as lost. */
  readonly aborted: boolean;
}

const quick = process.argv.includes('--quick');
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set(process.argv[onlyIndex + 1]?.split(',')) : undefined;
const workloadIndex = process.argv.indexOf('--workload');
const onlyWorkloads =
  workloadIndex >= 0 ? new Set(process.argv[workloadIndex + 1]?.split(',')) : undefined;

const COLUMNS = [
  ['scenario', 30],
  ['in', 9],
  ['out', 9],
  ['lost', 6],
  ['dup', 7],
  ['dead', 6],
  ['recover_s', 10],
  ['rss_mib', 8],
  ['secs', 6],
  ['result', 0],
] as const;

function line(values: readonly (string | number)[]): string {
  return values
    .map((v, i) => {
      const width = COLUMNS[i]![1];
      return i === 0 ? String(v).padEnd(width) : String(v).padStart(width);
    })
    .join(' ');
}

async function runOne(cluster: Cluster, workload: Workload, scenario: Scenario): Promise<Row> {
  const records = quick ? scenario.records.quick : scenario.records.full;
  const bad = scenario.bad ?? NO_BAD_RECORDS;
  const id = `rel-${scenario.name}-${randomBytes(3).toString('hex')}`;
  const run = new ScenarioRun(cluster, workload, records, bad, quick, id);
  const started = Date.now();
  const failures: string[] = [];
  let recoverMs = Number.NaN;
  let aborted = false;
  let duplicateBound = Number.POSITIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;
  try {
    await cluster.createTopics(PARTITIONS, run.input, run.output);
    if (run.usesDeadLetter) await cluster.createTopics(1, run.deadLetter);
    // Exactly once: a read_committed reader follows the output through the whole run.
    if (workload.exactlyOnce) run.follower = await cluster.follow(run.output);
    // A scenario that hangs fails its row instead of the whole run.
    const limitMs = (quick ? 10 : 30) * 60_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`did not finish in ${limitMs / 60_000} min`)),
        limitMs,
      );
    });
    const outcome = await Promise.race([scenario.run(run), timeout]);
    recoverMs = outcome.recoverMs;
    // Exactly once: a result seen twice by a read_committed reader is a failure.
    duplicateBound = workload.exactlyOnce ? 0 : outcome.duplicateBound;
    for (const c of outcome.checks) if (!c.ok) failures.push(`${c.name}: ${c.detail}`);
  } catch (error) {
    aborted = true;
    failures.push(`error: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
  } finally {
    clearTimeout(timer);
    await Promise.all(run.running().map((i) => i.kill('SIGKILL')));
  }
  let output: readonly ReadRecord[];
  if (run.follower) {
    // The follower saw the output while it was written; what the topic holds is judged by
    // a fresh read_committed read once everything stopped (transactions left open by killed
    // instances are aborted by the broker within their timeout).
    await run.follower.stop();
    output = await cluster.readCommitted(run.output);
  } else {
    output = await cluster.readAll(run.output);
  }
  const dead = run.usesDeadLetter ? await cluster.readAll(run.deadLetter) : [];
  const verdict = workload.verify(records, bad, output, dead, run.input);
  if (verdict.lost > 0 && !aborted) failures.push(`LOST ${verdict.lost} records`);
  failures.push(...verdict.problems);
  if (verdict.duplicated > duplicateBound) {
    failures.push(`${verdict.duplicated} duplicates, above the bound ${duplicateBound}`);
  }
  const peak = Math.max(0, ...run.instances.map((i) => i.peakRss));
  return {
    scenario: `${workload.name}/${scenario.name}`,
    records,
    out: verdict.out,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    deadLettered: verdict.deadLettered,
    recoverMs,
    peakRssMiB: Math.round(peak / 2 ** 20),
    seconds: Math.round((Date.now() - started) / 1000),
    failures,
    aborted,
  };
}

async function main(): Promise<number> {
  const cluster = await Cluster.start();
  const rows: Row[] = [];
  try {
    console.log(
      `reliability${quick ? ' (quick)' : ''}: broker ${cluster.bootstrap}, ${PARTITIONS} partitions per topic`,
    );
    console.log(line(COLUMNS.map(([name]) => name)));
    for (const workload of WORKLOADS) {
      if (onlyWorkloads && !onlyWorkloads.has(workload.name)) continue;
      for (const scenario of SCENARIOS) {
        if (only && !only.has(scenario.name)) continue;
        if (!workload.scenarios.includes(scenario.name)) continue;
        const row = await runOne(cluster, workload, scenario);
        rows.push(row);
        console.log(
          line([
            row.scenario,
            row.records,
            row.out,
            row.aborted ? '-' : row.lost,
            row.duplicated,
            row.deadLettered,
            Number.isFinite(row.recoverMs) ? (row.recoverMs / 1000).toFixed(1) : 'never',
            row.peakRssMiB,
            row.seconds,
            row.failures.length === 0 ? 'ok' : `FAILED: ${row.failures.join('; ')}`,
          ]),
        );
      }
    }
  } finally {
    await cluster.close();
  }
  const failed = rows.filter((r) => r.failures.length > 0);
  const summary = {
    scenarios: rows.length,
    scenarios_failed: failed.length,
    records_lost: rows.reduce((sum, r) => sum + (r.aborted ? 0 : r.lost), 0),
    max_duplicate_ratio: Math.max(0, ...rows.map((r) => r.duplicated / r.records)),
    quick,
    rows: rows.map((r) => ({
      scenario: r.scenario,
      in: r.records,
      out: r.out,
      lost: r.lost,
      duplicated: r.duplicated,
      recover_ms: Number.isFinite(r.recoverMs) ? r.recoverMs : null,
      peak_rss_mib: r.peakRssMiB,
    })),
  };
  if (failed.length > 0) {
    console.error(`\nreliability: ${failed.length} scenario(s) FAILED:`);
    for (const r of failed) console.error(`  ${r.scenario}: ${r.failures.join('; ')}`);
  }
  console.log(JSON.stringify(summary));
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
