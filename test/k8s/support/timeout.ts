// Rollouts, helm --wait and the pods' processes joining a consumer group take tens of
// seconds each; `testTimeout` is ignored inside a project config, so it is set here.
jest.setTimeout(300_000);
