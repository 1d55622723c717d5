// kafkajs 2.2.4 schedules its request-queue check with a delay computed from a "throttled
// until" time that starts at 0, so the delay is hugely negative; Node 24 clamps it to 1 ms
// (harmless) but prints a TimeoutNegativeWarning (kafkajs #1751, never fixed: the project is
// unmaintained). In test output it hides real failures, so this one warning, and only it,
// is dropped in the test processes that import this module. Library code does not do this.
const emitWarning = process.emitWarning.bind(process) as (
  w: string | Error,
  ...r: unknown[]
) => void;

function warningType(warning: string | Error, rest: unknown[]): unknown {
  if (typeof warning !== 'string') return warning.name;
  const second = rest[0];
  return typeof second === 'object' && second !== null
    ? (second as { type?: unknown }).type
    : second;
}

process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  if (warningType(warning, rest) === 'TimeoutNegativeWarning') return;
  emitWarning(warning, ...rest);
}) as typeof process.emitWarning;
