// The jest project of `make test-k8s` (tools/k8s/test.sh), kept out of `make test`: it needs
// the local control plane that the script starts. Its files end in `.spec.ts`, which the
// `unit` project of the root jest.config.js does not match (it takes `*.test.ts`).
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '../..',
  displayName: 'k8s',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  testMatch: ['<rootDir>/test/k8s/**/*.spec.ts'],
  // One Kafka broker for the run (the pods' processes connect to it), as the kafka project.
  globalSetup: '<rootDir>/test/support/kafka-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/kafka-global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/k8s/support/timeout.ts'],
  // Two cores: the control plane, the broker and the pods' processes already share them.
  maxWorkers: 2,
};
