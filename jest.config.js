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
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/**/*.int.spec.ts'],
      testTimeout: 120000,
    },
  ],
};
