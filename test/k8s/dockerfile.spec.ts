// The image cannot be built here (no container engine), so this keeps the Dockerfile's
// final stage honest against the two things that rely on it: the Deployment the chart
// renders (which gives only args, so the image's ENTRYPOINT runs) and the local-process run
// of pods-run.spec.ts (support/kubelet.ts, which maps the image onto this checkout).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findManifest, ROOT, renderScenario } from '../deploy/support/helm';
import { imageConfig } from './support/image';
import { cleanup, preparePod } from './support/kubelet';

const image = imageConfig();
const deployment = findManifest(renderScenario('defaults'), 'Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];

describe('the Dockerfile against the rendered Deployment and the local run', () => {
  it('the container sets no command, so the image ENTRYPOINT runs node on the CLI', () => {
    expect(container.command).toBeUndefined();
    expect(image.entrypoint).toEqual([
      '/usr/bin/tini',
      '--',
      'node',
      '--enable-source-maps',
      'dist/platform/cli/main.js',
    ]);
  });

  it('the image CMD is what the Deployment passes as args for the default job', () => {
    expect(container.args).toEqual(image.cmd);
    expect(image.cmd).toEqual([
      'run',
      'metrics-transform',
      '--config',
      '/etc/kafka-stages/pipeline.yaml',
    ]);
  });

  it('the config path in CMD is the ConfigMap mount plus its key', () => {
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'config');
    const config = image.cmd[image.cmd.indexOf('--config') + 1] as string;
    expect(config).toBe(`${mount.mountPath}/pipeline.yaml`);
    const volume = pod.volumes.find((v: { name: string }) => v.name === 'config');
    const cm = findManifest(renderScenario('defaults'), 'ConfigMap', volume.configMap.name);
    expect(Object.keys(cm.data ?? {})).toEqual(['pipeline.yaml']);
  });

  it('the image runs from /app, where it copies what `make build` produces here', () => {
    expect(image.workdir).toBe('/app');
    const script = image.entrypoint[image.entrypoint.length - 1] as string;
    // COPY --from=build /app/dist/platform ./dist/platform: the script lies in a copied tree.
    const copied = image.copies.filter((c) => c.from === 'build').map((c) => c.dest);
    expect(copied.some((dest) => join(image.workdir, script).startsWith(`${dest}/`))).toBe(true);
    expect(image.copies).toContainEqual({
      from: 'deps',
      sources: ['/app/node_modules'],
      dest: '/app/node_modules',
    });
    expect(image.copies).toContainEqual({ sources: ['package.json'], dest: '/app/' });
    // The same file exists in this checkout after make build: the local run starts it.
    expect(existsSync(join(ROOT, script))).toBe(true);
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
    expect(tsconfig.compilerOptions?.outDir ?? 'dist').toMatch(/^(\.\/)?dist$/);
  });

  it('the image user is the uid the pod runs as (node is uid 1000 in the official image)', () => {
    expect(image.user).toBe('node');
    expect(pod.securityContext.runAsUser).toBe(1000);
    expect(container.securityContext.runAsUser).toBe(1000);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
  });

  it('the exposed port is the container port http, HTTP_PORT and the healthcheck path the liveness probe', () => {
    const http = container.ports.find((p: { name: string }) => p.name === 'http');
    expect(image.expose).toEqual([http.containerPort]);
    const env = Object.fromEntries(
      container.env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(env.HTTP_PORT).toBe(String(http.containerPort));
    expect(env.NODE_ENV).toBe(image.env.NODE_ENV);
    expect(image.healthcheck?.join(' ')).toContain(container.livenessProbe.httpGet.path);
  });

  it('the local run starts the image entrypoint and args on this checkout, only tini left out', async () => {
    const proc = await preparePod(
      {
        metadata: { name: 'dockerfile-check', namespace: 'none' },
        spec: {
          ...pod,
          volumes: pod.volumes.filter((v: { emptyDir?: unknown }) => v.emptyDir),
          containers: [
            {
              ...container,
              volumeMounts: container.volumeMounts.filter(
                (m: { name: string }) => m.name === 'tmp',
              ),
            },
          ],
        },
        status: {},
      },
      { brokers: '127.0.0.1:9', image },
    );
    try {
      expect(proc.argv).toEqual([process.execPath, ...image.entrypoint.slice(3), ...image.cmd]);
      expect(proc.cwd).toBe(ROOT);
      expect(proc.env.NODE_ENV).toBe('production');
    } finally {
      cleanup(proc);
    }
  });
});
