// Which package and folder may import which — the architecture as a table, checked by
// `npm run lint:boundaries` (part of `npm test`). docs/architecture.md explains the layers.
//
//   lib            may import (besides itself and npm packages)
//   domain         —                      (pure; eslint also bans frameworks and drivers)
//   logging        —
//   http           —                      (problem details every HTTP server answers alike)
//   testing        —                      (test-only helpers; never from production code)
//   contracts      domain
//   config         contracts              (the default topic name is the published one)
//   messaging      contracts, config, http
//   event-store    domain, contracts
//   auth           domain, config
//   analytics      domain, contracts
//   observability  event-store, http      (the append decorator; the /metrics 401 problem)
//   apps/*         any lib, never another app (a process boundary: HTTP, Kafka, spawn)
//   test/, bench/  anything
//
// Inside libs/analytics the folders are layered one way:
//   clickhouse → rules → projection → views   (a folder imports only those to its left)
const libs = {
  domain: [],
  logging: [],
  http: [],
  testing: [],
  contracts: ['domain'],
  config: ['contracts'],
  messaging: ['contracts', 'config', 'http'],
  'event-store': ['domain', 'contracts'],
  auth: ['domain', 'config'],
  analytics: ['domain', 'contracts'],
  observability: ['event-store', 'http'],
};

const spec = '\\.spec\\.ts$';
const testingCode = '(^libs/testing/|/testing/|/testing\\.ts$|\\.contract\\.ts$)';

const libRules = Object.entries(libs).map(([lib, allowed]) => ({
  name: `lib-${lib}-layer`,
  comment: `libs/${lib} may import only ${allowed.length ? allowed.map((l) => `libs/${l}`).join(', ') : 'npm packages'}`,
  severity: 'error',
  from: { path: `^libs/${lib}/`, pathNot: [spec, testingCode] },
  to: { path: '^libs/([^/]+)/', pathNot: [`^libs/(${[lib, ...allowed].join('|')})/`] },
}));

const analyticsLayers = ['clickhouse', 'rules', 'projection', 'views'];
const analyticsRules = analyticsLayers.slice(0, -1).map((layer, index) => ({
  name: `analytics-${layer}-layer`,
  comment: `libs/analytics/src/${layer} must not import the layers above it`,
  severity: 'error',
  from: { path: `^libs/analytics/src/${layer}/`, pathNot: spec },
  to: { path: `^libs/analytics/src/(${analyticsLayers.slice(index + 1).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'apps-never-import-apps',
      comment: 'An app reaches another over HTTP, Kafka or a child process, never by import.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'example-service-uses-only-the-package',
      comment:
        'apps/sla-watch is what a downstream team would write: of Tandem, only @tandem/contracts.',
      severity: 'error',
      from: { path: '^apps/sla-watch/', pathNot: spec },
      to: { path: '^libs/', pathNot: '^libs/contracts/' },
    },
    {
      name: 'libs-never-import-apps-test-bench',
      comment: 'Libraries sit below the apps, and their specs use @tandem/testing, not test/.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(apps|test|bench)/' },
    },
    {
      name: 'apps-never-import-test-or-bench',
      comment: 'Production code of an app never reaches test/ or bench/.',
      severity: 'error',
      from: { path: '^apps/', pathNot: spec },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'production-never-imports-testing',
      comment: 'Testing helpers and contract suites are a separate entry point for specs.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: [spec, testingCode] },
      to: { path: testingCode },
    },
    {
      name: 'production-never-imports-dev-dependencies',
      comment:
        'What the built apps load must be a runtime dependency. A type-only import loads nothing: the kafkajs adapters (contracts, sla-watch) name its types, and the team that picks kafkajs brings it.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: [spec, testingCode] },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-cycles',
      comment: 'An import cycle makes load order and change impact unreadable.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'every-lib-in-the-table',
      comment: 'Every lib has a row in the table above (what it may import).',
      severity: 'error',
      from: { path: `^libs/(?!(${Object.keys(libs).join('|')})/)` },
      to: { path: '^libs/' },
    },
    ...libRules,
    ...analyticsRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|dist-bench|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
