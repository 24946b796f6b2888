// Two tiers, chosen by file name: *.unit.spec.ts (pure, no I/O) and *.int.spec.ts
// (real engines: PGlite, the local PostgreSQL server, chDB, Kafka).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@tandem/domain$': '<rootDir>/libs/domain/src/index.ts',
  '^@tandem/contracts$': '<rootDir>/libs/contracts/src/index.ts',
  '^@tandem/event-store$': '<rootDir>/libs/event-store/src/index.ts',
  '^@tandem/analytics$': '<rootDir>/libs/analytics/src/index.ts',
  '^@tandem/config$': '<rootDir>/libs/config/src/index.ts',
  '^@tandem/messaging$': '<rootDir>/libs/messaging/src/index.ts',
  '^@tandem/logging$': '<rootDir>/libs/logging/src/index.ts',
};
const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

/** @type {import('jest').Config} */
module.exports = {
  // Only the top-level value counts in multi-project mode.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/**/*.int.spec.ts'],
      // Builds dist/ for worker processes, starts one real Kafka broker per run, and
      // KurrentDB + a ClickHouse server in containers where a Docker engine exists.
      globalSetup: '<rootDir>/test/support/int-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/int-global-teardown.ts',
    },
  ],
};
