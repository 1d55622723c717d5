import { renderScenario, SCENARIOS } from './support/helm';
import { strictFieldErrors } from './support/strict-fields';

describe('strictFieldErrors', () => {
  it('reports a misspelt field, a mistyped one and a kind no package models', () => {
    // The compiler reports the first problem of each object literal, so one problem each.
    const errors = strictFieldErrors([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'misspelt' },
        spec: { selectr: { app: 'x' } },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'mistyped' },
        spec: { ports: [{ port: 'http' }] },
      },
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
    ]);
    expect(errors).toHaveLength(3);
    expect(errors.join('\n')).toMatch(
      /Service\/misspelt: .*'"selectr"' does not exist in type 'IServiceSpec'/,
    );
    expect(errors.join('\n')).toMatch(
      /Service\/mistyped: Type 'string' is not assignable to type 'number'/,
    );
    expect(errors.join('\n')).toMatch(/import of example.com\/v1 Widget: Cannot find module/);
  });
});

describe.each(SCENARIOS)('scenario %s', (scenario) => {
  it('renders no field that the Kubernetes and CRD types do not have', () => {
    expect(strictFieldErrors(renderScenario(scenario))).toEqual([]);
  });
});
