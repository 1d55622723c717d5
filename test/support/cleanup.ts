// Stops what a test started, whether the test passed or failed. Call stopAfterEach() in a
// describe block (or at the top of a file); inside a test, hand it every stop function as
// soon as the thing is started:
//
//   const defer = stopAfterEach();
//   it('…', async () => {
//     const pipeline = createPipeline(…);
//     defer(() => pipeline.stop());
//     await pipeline.start();
//     …
//   });
//
// The deferred stops run after the test, newest first, each bounded, so one that hangs
// cannot keep the others (or jest) waiting. Stops must be idempotent: a test that stops
// its pipeline itself to check the report leaves the deferred stop with nothing to do.

/** Registers an afterEach that runs the deferred stops; returns the function that defers. */
export function stopAfterEach(timeoutMs = 30_000): (stop: () => unknown) => void {
  const pending: (() => unknown)[] = [];
  afterEach(async () => {
    const errors: string[] = [];
    for (const stop of pending.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.resolve()
          .then(stop)
          .then(
            () => undefined,
            (error: unknown) => `a deferred stop failed: ${String(error)}`,
          ),
        new Promise<string>((resolve) => {
          timer = setTimeout(
            () => resolve(`a deferred stop did not finish in ${timeoutMs} ms`),
            timeoutMs,
          );
        }),
      ]);
      clearTimeout(timer);
      if (outcome) errors.push(outcome);
    }
    if (errors.length > 0) throw new Error(errors.join('\n'));
  }, timeoutMs * 4);
  return (stop) => {
    pending.push(stop);
  };
}
