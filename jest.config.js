// Three tiers, chosen by file name: *.unit.spec.ts (pure, no I/O), *.int.spec.ts (real
// engines in the test's own process: PGlite, the local PostgreSQL server, chDB, Kafka) and
// *.e2e.spec.ts (across processes: the built apps and CLI as child processes, SIGKILLs, a
// packed npm tarball, a browser).
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
// The @tandem/* aliases are declared once, in tsconfig.json's `paths`; jest's mapper is
// derived from them (tsc-alias derives the build's rewrites from the same place).
const { compilerOptions } = require('./tsconfig.json');
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${escape(alias)}$`,
    `<rootDir>/${target}`,
  ]),
);
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
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e.spec.ts'],
      // The same engines as the int tier, and the build its child processes run.
      globalSetup: '<rootDir>/test/support/int-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/int-global-teardown.ts',
    },
  ],
};
