// `testTimeout` is a global jest option (ignored inside a project), so the kafka project sets
// its longer timeout here: broker round-trips, rebalances and restarts take tens of seconds.
jest.setTimeout(180_000);
