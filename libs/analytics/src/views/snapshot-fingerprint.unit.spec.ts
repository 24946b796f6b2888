/**
 * The snapshots' fingerprint (AnalyticsQueries.snapshotFingerprint, migration 0038) digests
 * every statement that writes what is kept per snapshot whole, its INSERT wrapper included, and
 * the version of the code that computes the rule-derived rows: a deploy that changes any of
 * them (and only them, here) gives another fingerprint, so nothing the old code wrote is read.
 * Each case loads AnalyticsQueries beside one changed module; no statement runs.
 */
import type { ClickHouseClient } from '@clickhouse/client';

type Queries = typeof import('./analytics.queries');

/** The fingerprint as AnalyticsQueries computes it, with `mock` standing in for one module. */
async function fingerprintWith(mock?: { path: string; factory: () => unknown }): Promise<string> {
  let loaded: Queries | undefined;
  jest.isolateModules(() => {
    if (mock !== undefined) jest.doMock(mock.path, mock.factory);
    loaded = jest.requireActual<Queries>('./analytics.queries');
    // Only for this load: a later one without `mock` reads the module as it is.
    if (mock !== undefined) jest.dontMock(mock.path);
  });
  const queries = new loaded!.AnalyticsQueries({} as ClickHouseClient);
  return queries.snapshotFingerprint();
}

const widened = (statement: string) => statement.replace('INSERT INTO', 'INSERT  INTO');

it('is the same for the same code', async () => {
  expect(await fingerprintWith()).toBe(await fingerprintWith());
});

it('changes with the INSERT wrapper of a rollup', async () => {
  const path = './funnel-rollups/funnel-rollups';
  const actual = jest.requireActual<typeof import('./funnel-rollups/funnel-rollups')>(path);
  const changed = await fingerprintWith({
    path,
    factory: () => ({
      ...actual,
      rollupRowsInsert: (moments: string) => widened(actual.rollupRowsInsert(moments)),
    }),
  });
  expect(changed).not.toBe(await fingerprintWith());
});

it('changes with the INSERT wrapper of each attribution credits statement', async () => {
  const path = './attribution-credits/attribution-credits';
  const actual =
    jest.requireActual<typeof import('./attribution-credits/attribution-credits')>(path);
  const unchanged = await fingerprintWith();
  for (const index of [0, 1, 2]) {
    const changed = await fingerprintWith({
      path,
      factory: () => ({
        ...actual,
        creditRowsInserts: (rows: string) =>
          actual
            .creditRowsInserts(rows)
            .map((statement, at) => (at === index ? widened(statement) : statement)),
      }),
    });
    expect(changed).not.toBe(unchanged);
  }
});

it('changes with the INSERT wrapper of each event-audit statement', async () => {
  const path = './reconciliation/lead-event-audits';
  const actual = jest.requireActual<typeof import('./reconciliation/lead-event-audits')>(path);
  const unchanged = await fingerprintWith();
  for (const index of [0, 1]) {
    const changed = await fingerprintWith({
      path,
      factory: () => ({
        ...actual,
        eventAuditRowsInserts: (rows: string) =>
          actual
            .eventAuditRowsInserts(rows)
            .map((statement, at) => (at === index ? widened(statement) : statement)),
      }),
    });
    expect(changed).not.toBe(unchanged);
  }
});

it('changes with the version of the code that computes the rule-derived rows', async () => {
  const path = '../rules/rule-facts-version';
  const actual = jest.requireActual<typeof import('../rules/rule-facts-version')>(path);
  const changed = await fingerprintWith({
    path,
    factory: () => ({ ...actual, ruleFactsVersion: () => 'another-build' }),
  });
  expect(changed).not.toBe(await fingerprintWith());
});
