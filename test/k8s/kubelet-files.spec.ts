// The scenarios whose brokers need TLS and SASL (keda: mutual TLS; sasl: SCRAM over TLS with
// the server's CA). The test broker speaks plaintext only, so these pods are not run against
// it; what the kubelet would hand them is checked instead: every file the environment names
// lies in a mounted Secret and holds that Secret's key, the credentials come from the Secret,
// and the files are readable only by the owner and the pod's group (fsGroup), as rendered.
import { readFileSync, statSync } from 'node:fs';
import type { Scenario } from '../deploy/support/helm';
import { get } from './support/kube';
import { cleanup, type LocalProcess, preparePod } from './support/kubelet';
import { installScenario, pods, type Release, removeRelease } from './support/release';

describe.each(['keda', 'sasl'] as Scenario[])(
  'scenario %s: what the kubelet hands the pod',
  (scenario) => {
    let release: Release | undefined;
    const procs: LocalProcess[] = [];
    beforeAll(async () => {
      release = await installScenario(scenario);
    });
    afterAll(async () => {
      for (const p of procs) cleanup(p);
      await removeRelease(release);
    });

    it('TLS files and SASL credentials resolve to the Secrets the values name', async () => {
      const ns = (release as Release).namespace;
      const [pod] = await pods(ns);
      const proc = await preparePod(pod, { brokers: '127.0.0.1:9' });
      procs.push(proc);
      expect(proc.env.KAFKA_TLS).toBe('true');
      const tlsVolume = pod.spec.volumes.find((v: { name: string }) => v.name === 'kafka-tls');
      const secret = await get(`/api/v1/namespaces/${ns}/secrets/${tlsVolume.secret.secretName}`);
      const files = Object.entries(proc.env).filter(([k]) => /^KAFKA_TLS_\w+_FILE$/.test(k));
      expect(files.map(([k]) => k).sort()).toEqual(
        scenario === 'keda'
          ? ['KAFKA_TLS_CA_FILE', 'KAFKA_TLS_CERT_FILE', 'KAFKA_TLS_KEY_FILE']
          : ['KAFKA_TLS_CA_FILE'],
      );
      const dir = proc.mounts.get('/etc/kafka-tls') as string;
      for (const [name, file] of files) {
        expect([name, file.startsWith(`${dir}/`)]).toEqual([name, true]);
        const key = file.slice(dir.length + 1);
        expect(readFileSync(file, 'utf8')).toBe(Buffer.from(secret.data[key], 'base64').toString());
        expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN /);
        // defaultMode 0440 as rendered (the test adds the owner's write bit to clean up).
        expect(statSync(file).mode & 0o077).toBe(0o040);
      }
      if (scenario === 'sasl') {
        const creds = await get(`/api/v1/namespaces/${ns}/secrets/kafka-credentials`);
        const decoded = (k: string) => Buffer.from(creds.data[k], 'base64').toString();
        expect(proc.env.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
        expect(proc.env.KAFKA_SASL_USERNAME).toBe(decoded('username'));
        expect(proc.env.KAFKA_SASL_PASSWORD).toBe(decoded('password'));
      } else {
        expect(proc.env.KAFKA_SASL_MECHANISM).toBeUndefined();
      }
    });
  },
);
