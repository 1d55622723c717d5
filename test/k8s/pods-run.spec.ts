// What the pods would run really runs. For each pod the control plane scheduled, the test
// plays kubelet (support/kubelet.ts): it starts the container's command with the rendered
// environment and the ConfigMap/Secret files as local processes against the test's Kafka
// broker, then checks the probes as the kubelet would (path, named port, success window),
// feeds some samples through, and sends SIGTERM: each process drains, leaves its consumer
// group and exits 0 within terminationGracePeriodSeconds.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Scenario } from '../deploy/support/helm';
import { createTopic, produceRecords, withAdmin } from '../support/kafka';
import { get, waitFor } from './support/kube';
import { cleanup, type LocalProcess, preparePod, probe, start } from './support/kubelet';
import { installScenario, pods, RELEASE, type Release, removeRelease } from './support/release';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are inspected freely in tests
type Obj = any;

/** Waits for the process to exit; resolves with its code, or undefined after `ms`. */
function exitWithin(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: string | null } | undefined> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Polls an HTTP probe until it succeeds, as the kubelet does for startup and readiness. */
async function probeUntil(
  proc: LocalProcess,
  child: ChildProcess,
  spec: Obj,
  deadlineMs: number,
): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(
        `${proc.podName} exited (${child.exitCode}) before ${spec.httpGet.path} answered:\n${readFileSync(proc.logFile, 'utf8').slice(-3000)}`,
      );
    const status = await probe(proc, spec.httpGet, spec.timeoutSeconds ?? 1);
    if (status !== undefined && status >= 200 && status < 400) return status;
    if (Date.now() > deadline)
      throw new Error(
        `${proc.podName}: ${spec.httpGet.path} not successful within ${deadlineMs} ms (last ${status}):\n${readFileSync(proc.logFile, 'utf8').slice(-3000)}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

// The two scenarios whose brokers speak plaintext, as the test broker does. The TLS and SASL
// scenarios' files and credentials are checked in kubelet-files.spec.ts.
describe.each(['defaults', 'minimal'] as Scenario[])(
  'scenario %s: the pods run as local processes',
  (scenario) => {
    let release: Release | undefined;
    const procs: LocalProcess[] = [];
    const children: ChildProcess[] = [];

    beforeAll(async () => {
      release = await installScenario(scenario);
    });
    afterAll(async () => {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(children.map((c) => exitWithin(c, 5_000)));
      for (const p of procs) cleanup(p);
      await removeRelease(release);
    });

    it('starts each pod, answers its probes, processes samples and stops cleanly on SIGTERM', async () => {
      const ns = (release as Release).namespace;
      const running = await pods(ns);
      expect(running.length).toBeGreaterThan(0);
      const brokers = process.env.KAFKA_BROKERS as string;

      // The topics the rendered pipeline config names (in a cluster someone creates them).
      const cm = await get(`/api/v1/namespaces/${ns}/configmaps/${RELEASE}`);
      const config = parse(cm.data['pipeline.yaml']);
      const topics: string[] = [
        ...config.input.topics.map((t: { name: string }) => t.name),
        config.output.topic,
        config.dead_letter.topic,
      ];
      const existing = await withAdmin((admin) => admin.listTopics());
      for (const topic of topics) if (!existing.includes(topic)) await createTopic(topic, 3);

      for (const pod of running) procs.push(await preparePod(pod, { brokers }));
      for (const proc of procs) {
        // The rendered command and config path, mapped onto the checkout.
        expect(proc.argv.slice(1)).toEqual([
          '--enable-source-maps',
          'dist/platform/cli/main.js',
          'run',
          'metrics-transform',
          '--config',
          `${proc.mounts.get('/etc/kafka-stages')}/pipeline.yaml`,
        ]);
        children.push(start(proc));
      }

      const container = running[0].spec.containers[0];
      for (const [i, proc] of procs.entries()) {
        const child = children[i] as ChildProcess;
        const startup = container.startupProbe;
        if (startup) {
          // The kubelet allows periodSeconds x failureThreshold for the first success.
          await probeUntil(
            proc,
            child,
            startup,
            startup.periodSeconds * startup.failureThreshold * 1000,
          );
        }
        const liveness = container.livenessProbe;
        expect(liveness?.httpGet).toEqual({ path: '/healthz', port: 'http', scheme: 'HTTP' });
        // Without a startup probe, liveness failures count from the start: the process has
        // periodSeconds x failureThreshold to answer before it would be restarted.
        await probeUntil(
          proc,
          child,
          liveness,
          liveness.periodSeconds * liveness.failureThreshold * 1000,
        );
        if (container.readinessProbe) {
          expect(container.readinessProbe.httpGet).toEqual({
            path: '/readyz',
            port: 'http',
            scheme: 'HTTP',
          });
          // Ready = joined the group with partitions: well within a minute on a local broker.
          await probeUntil(proc, child, container.readinessProbe, 90_000);
        }
        // What the Service and the ServiceMonitor point at: /metrics on the port named http.
        const metrics = await probe(proc, { path: '/metrics', port: 'http' }, 3);
        expect(metrics).toBe(200);
      }

      // Samples through the running pods: the rendered config's first input topic (influx).
      const input = config.input.topics[0];
      expect(input.format).toBe('influx');
      const now = BigInt(Date.now()) * 1_000_000n; // nanoseconds
      await produceRecords(
        input.name,
        Array.from({ length: 30 }, (_, i) => ({
          key: `host-${i % 6}`,
          value: `cpu,host=host-${i % 6} usage_user=${i}.5 ${now}`,
        })),
      );
      await waitFor(
        'the pods to read the samples',
        async () => {
          let total = 0;
          for (const proc of procs) {
            const port = proc.ports.get('http')?.localPort;
            const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
            for (const line of text.split('\n'))
              if (line.startsWith('kafka_stages_transform_samples_in_total'))
                total += Number(line.split(' ').pop());
          }
          return total >= 30 ? total : undefined;
        },
        60_000,
        1_000,
      );

      // SIGTERM, as the kubelet sends it on a pod's deletion; exit 0 within the grace period.
      const graceMs = running[0].spec.terminationGracePeriodSeconds * 1000;
      const started = Date.now();
      for (const child of children) child.kill('SIGTERM');
      const exits = await Promise.all(children.map((c) => exitWithin(c, graceMs)));
      const tookMs = Date.now() - started;
      expect(exits).toEqual(children.map(() => ({ code: 0, signal: null })));
      expect(tookMs).toBeLessThan(graceMs);
      // Drained and gone from the group (no member left waiting for a session timeout).
      const group = await withAdmin((admin) => admin.describeGroups([config.input.group_id]));
      expect(group.groups[0]?.members).toEqual([]);
      expect(['Empty', 'Dead']).toContain(group.groups[0]?.state);
      // No error of the application's own (kafkajs logs the rebalances it retries as errors).
      for (const proc of procs) {
        const errors = readFileSync(proc.logFile, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { level: number; component?: string; msg: string })
          .filter((l) => l.level >= 50 && l.component !== 'kafkajs');
        expect([proc.podName, errors]).toEqual([proc.podName, []]);
      }
    });
  },
);
