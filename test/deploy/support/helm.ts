import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root, the chart and the pinned helm that `make helm` builds. */
export const ROOT = resolve(__dirname, '..', '..', '..');
export const CHART_DIR = join(ROOT, 'helm', 'kafka-stages');
export const HELM = join(ROOT, '.tools', 'bin', 'helm');

/** The release name and namespace k8s/ is rendered with (tools/render-k8s.sh uses the same). */
export const RELEASE = 'kafka-stages';

/** The ci/ scenarios every chart test runs through. */
export const SCENARIOS = ['defaults', 'keda', 'sasl', 'minimal'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export function scenarioFile(scenario: Scenario): string {
  return join(CHART_DIR, 'ci', `${scenario}-values.yaml`);
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion. Throws when it cannot be started at all (as opposed to
 * exiting non-zero, which the caller asserts on).
 */
export function run(program: string, args: readonly string[], input?: string): RunResult {
  const result = spawnSync(program, args, {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      HELM_CACHE_HOME: '/tmp/kafka-stages-helm/cache',
      HELM_CONFIG_HOME: '/tmp/kafka-stages-helm/config',
      HELM_DATA_HOME: '/tmp/kafka-stages-helm/data',
    },
  });
  if (result.error) throw new Error(`cannot run ${program}: ${result.error.message}`);
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the pinned helm; fails with the fix when it has not been built. */
export function helm(args: readonly string[]): RunResult {
  if (!existsSync(HELM)) {
    throw new Error(`${HELM} is missing: run make helm (builds the pinned helm with go install)`);
  }
  return run(HELM, args);
}

/** `helm template` of the chart with the given values files and --set-json pairs. */
export function template(
  valuesFiles: readonly string[],
  setJson: readonly string[] = [],
): RunResult {
  const args = ['template', RELEASE, CHART_DIR, '--namespace', RELEASE];
  for (const file of valuesFiles) args.push('--values', file);
  for (const pair of setJson) args.push('--set-json', pair);
  return helm(args);
}

/** A rendered Kubernetes object, loosely typed: tests look into it by path. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML is inspected freely in tests
  spec?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** Splits `helm template` output into objects; a YAML error in any document throws. */
export function parseManifests(text: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0)
      throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value !== null) manifests.push(value);
  }
  return manifests;
}

/** Renders a scenario and returns its objects; throws with helm's message when it fails. */
export function renderScenario(scenario: Scenario): Manifest[] {
  const result = template([scenarioFile(scenario)]);
  if (result.status !== 0) throw new Error(`helm template (${scenario}) failed:\n${result.stderr}`);
  return parseManifests(result.stdout);
}

export function findManifest(
  manifests: readonly Manifest[],
  kind: string,
  name?: string,
): Manifest {
  const found = manifests.find(
    (m) => m.kind === kind && (name === undefined || m.metadata.name === name),
  );
  if (!found)
    throw new Error(
      `no ${kind}${name ? ` ${name}` : ''} among ${manifests.map((m) => m.kind).join(', ')}`,
    );
  return found;
}
