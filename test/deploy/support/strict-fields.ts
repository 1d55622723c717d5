import { join } from 'node:path';
import ts from 'typescript';
import { type Manifest, ROOT } from './helm';

// The kubernetes-models validators check types, required fields and enums, but their JSON
// schemas allow unknown properties, so a misspelt field (`imagePullPolicyy`, a probe option
// at the wrong level) passes them, while the API server rejects it (kubectl's default
// field validation is Strict). The packages' TypeScript interfaces list the fields exactly,
// so this check writes each manifest as an object literal typed with its interface and lets
// the TypeScript compiler report excess (unknown) and mistyped properties.

const PACKAGE_BY_GROUP: Record<string, string> = {
  '': 'kubernetes-models',
  apps: 'kubernetes-models',
  autoscaling: 'kubernetes-models',
  policy: 'kubernetes-models',
  'networking.k8s.io': 'kubernetes-models',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
};

/** One message per problem: `<kind>/<name>: <compiler message>`; empty when all are exact. */
export function strictFieldErrors(manifests: readonly Manifest[]): string[] {
  const file = join(ROOT, 'test', 'deploy', '__rendered_manifests__.mts');
  // Line i imports the type of manifest i; line n + i declares manifest i (one line each),
  // so a diagnostic's line says which manifest it is about.
  const imports = manifests.map((m, i) => {
    const group = m.apiVersion.includes('/') ? (m.apiVersion.split('/')[0] ?? '') : '';
    const pkg = PACKAGE_BY_GROUP[group] ?? `unknown-api-group-${group}`;
    return `import type { I${m.kind} as T${i} } from '${pkg}/${m.apiVersion}/${m.kind}';`;
  });
  const declarations = manifests.map((m, i) => `export const m${i}: T${i} = ${JSON.stringify(m)};`);
  const lines = [...imports, ...declarations];
  const source = lines.join('\n');

  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2023,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = (name) => name === file || fileExists(name);
  host.getSourceFile = (name, languageVersion, onError) =>
    name === file
      ? ts.createSourceFile(name, source, languageVersion, true)
      : getSourceFile(name, languageVersion, onError);
  const program = ts.createProgram([file], options, host);
  const sourceFile = program.getSourceFile(file);
  const diagnostics = [
    ...program.getSyntacticDiagnostics(sourceFile),
    ...program.getSemanticDiagnostics(sourceFile),
  ];
  return diagnostics.map((d) => {
    const line =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const n = manifests.length;
    const m = manifests[line % n];
    const what =
      line < 0 || m === undefined
        ? 'manifests'
        : line < n
          ? `import of ${m.apiVersion} ${m.kind}`
          : `${m.kind}/${m.metadata?.name}`;
    return `${what}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
