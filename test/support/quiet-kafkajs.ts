// kafkajs 2.2.4 schedules its request-queue check with a delay computed from a "throttled
// until" time that starts at 0, so the delay is hugely negative; Node 24 clamps it to 1 ms
// (harmless) but prints a TimeoutNegativeWarning (kafkajs #1751, never fixed: the project is
// unmaintained). In test output it hides real failures, so this one warning, and only it, is
// dropped in the test processes. Library code does not do this.

/**
 * Drops TimeoutNegativeWarning in this process (jest's main process, where the global setup
 * and in-band tests run) and, through NODE_OPTIONS, in the jest workers started after the
 * global setup. Test files cannot do it themselves: jest hands them a copy of `process`,
 * and Node's timers warn through the real one.
 */
export function quietKafkajsWarnings(): void {
  const flag = '--disable-warning=TimeoutNegativeWarning';
  const options = process.env.NODE_OPTIONS ?? '';
  if (!options.includes(flag)) process.env.NODE_OPTIONS = `${options} ${flag}`.trim();
  const emitWarning = process.emitWarning.bind(process) as (
    w: string | Error,
    ...r: unknown[]
  ) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (warningType(warning, rest) === 'TimeoutNegativeWarning') return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}

function warningType(warning: string | Error, rest: unknown[]): unknown {
  if (typeof warning !== 'string') return warning.name;
  const second = rest[0];
  return typeof second === 'object' && second !== null
    ? (second as { type?: unknown }).type
    : second;
}
