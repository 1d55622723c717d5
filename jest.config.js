// Two projects: `unit` (pure, no I/O, seconds) and `kafka` (real broker, started once per
// run by the global setup). A test needs a broker when its file ends in `.kafka.test.ts`.
/** @type {import('ts-jest').TsJestTransformerOptions} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }];

// Installed tools (.tools/: Go module cache, Kafka, Node) are not the project's files: jest's
// file map must not see them (their *.snap files showed up as obsolete snapshots, exit 1).
const notProject = ['<rootDir>/.tools/'];

/** @type {import('jest').Config} */
module.exports = {
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov'],
  collectCoverageFrom: ['stages/**/*.ts', 'platform/**/*.ts', '!**/*.d.ts'],
  // The progress log and the exit guard that make a hang fail the run (tools/run-jest.sh).
  reporters: ['default', '<rootDir>/tools/jest-progress-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      modulePathIgnorePatterns: notProject,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.kafka\\.test\\.ts$', '/node_modules/'],
    },
    {
      displayName: 'kafka',
      // Node's environment plus a leak check: a test that leaves a Kafka client or broker
      // running fails, naming it (test/support/kafka-environment.ts).
      testEnvironment: '<rootDir>/test/support/kafka-environment.ts',
      modulePathIgnorePatterns: notProject,
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/**/*.kafka.test.ts'],
      globalSetup: '<rootDir>/test/support/kafka-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/kafka-global-teardown.ts',
      setupFilesAfterEnv: [
        '<rootDir>/test/support/kafka-test-timeout.ts',
        '<rootDir>/test/support/kafka-leak-setup.ts',
      ],
    },
  ],
};
