import { join } from 'node:path';
import { type Manifest, run } from './helm';

export interface ValidationResult {
  apiVersion: string;
  kind: string;
  name: string;
  /** Empty when the manifest is valid. */
  error: string;
}

const SCRIPT = join(__dirname, 'validate-manifests.mts');

/**
 * Validates manifests against the kubernetes-models / prometheus-operator / KEDA schemas in
 * a child Node process (the model packages are ESM-only; see validate-manifests.mts).
 * Returns one result per manifest, in order.
 */
export function validateManifests(manifests: readonly Manifest[]): ValidationResult[] {
  // Type stripping is on by default from Node 22.18; the flag covers 22.15-22.17, which the
  // Makefile also accepts, and is a no-op on Node 24.
  const result = run(
    process.execPath,
    ['--experimental-strip-types', SCRIPT],
    JSON.stringify(manifests),
  );
  if (result.status !== 0) throw new Error(`validate-manifests.mts failed:\n${result.stderr}`);
  const results = JSON.parse(result.stdout) as ValidationResult[];
  if (results.length !== manifests.length) {
    throw new Error(`validated ${results.length} of ${manifests.length} manifests`);
  }
  return results;
}
