// Two projects: `unit` (pure, no I/O, seconds) and `kafka` (real broker, started once per
// run by the global setup). A test needs a broker when its file ends in `.kafka.test.ts`.
/** @type {import('ts-jest').TsJestTransformerOptions} */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }];

/** @type {import('jest').Config} */
module.exports = {
  coverageDirectory: 'coverage',
  coverageReporters: ['text-summary', 'lcov'],
  collectCoverageFrom: ['stages/**/*.ts', 'platform/**/*.ts', '!**/*.d.ts'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.kafka\\.test\\.ts$', '/node_modules/'],
    },
    {
      displayName: 'kafka',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/**/*.kafka.test.ts'],
      globalSetup: '<rootDir>/test/support/kafka-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/kafka-global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/kafka-test-timeout.ts'],
    },
  ],
};
