/**
 * The account lens's page (account-lens.page.sql, which sums money only for the accounts of the
 * page) is the full lens (account-lens.sql) filtered and sliced: every page size and offset,
 * with and without an account filter and a capture window, over accounts with several
 * currencies, zero amounts, open and closed opportunities, and leads without an account. chDB.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { AnalyticsQueries } from './analytics.queries';
import { LogProjection } from '../projection/log-projection';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { funnelScenario } from '../testing/funnel-scenario.fixture';
import { createEventLog, leadEvent as e } from '../testing/event-log.fixture';

jest.setTimeout(300_000);

const analytics = useEmbeddedAnalytics('account-lens-page-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

function accountsScenario() {
  const log = funnelScenario(createEventLog());
  const deal = (
    lead: string,
    account: string | undefined,
    steps: 'won' | 'open',
    amount: number,
    currency: string,
  ) => {
    const options = account === undefined ? {} : { accountId: account };
    log.lead(lead, e.captured('events', 'fair'), options);
    log.lead(lead, e.mql(), options);
    log.lead(lead, e.handed('carol'), options);
    log.lead(lead, e.accepted('carol'), options);
    log.lead(lead, e.sql(), options);
    log.lead(lead, e.opened(`o-${lead}`, amount, currency), options);
    if (steps === 'won') log.lead(lead, e.won(`o-${lead}`, amount, currency), options);
  };
  deal('A1', 'acme', 'won', 100.25, 'EUR');
  deal('A2', 'acme', 'won', 50, 'USD');
  deal('A3', 'acme', 'open', 0, 'EUR');
  deal('A4', 'acme', 'open', 70.5, 'USD');
  deal('B1', 'beta', 'won', 0, 'EUR');
  deal('B2', 'beta', 'open', 10, 'GBP');
  deal('N1', undefined, 'open', 20, 'USD');
  deal('N2', undefined, 'won', 5, 'USD');
  for (const lead of ['C1', 'C2', 'C3'])
    log.lead(lead, e.captured('organic', null), { accountId: `c-${lead}` });
  return log;
}

it('pages the account lens exactly as the full lens, filtered and sliced', async () => {
  const database = await analytics.freshDatabase();
  const projection = new LogProjection(client, { database });
  await projection.start();
  await projection.project(accountsScenario().envelopes, { atHead: true });
  const queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });
  const window = { capturedFrom: '2025-01-06T09:30:00Z', capturedTo: '2026-01-01T00:00:00Z' };
  for (const scope of [{}, window]) {
    const all = await queries.accountLens(scope);
    expect(all.length).toBeGreaterThan(4);
    for (const limit of [1, 2, 3, all.length + 1]) {
      for (let offset = 0; offset <= all.length + 1; offset++) {
        expect(await queries.accountLensPage(scope, { limit, offset })).toEqual({
          rows: all.slice(offset, offset + limit),
          total: all.length,
        });
      }
    }
    for (const account of ['acme', 'beta', '', 'nope']) {
      const rows = all.filter((row) => row.account === account);
      expect(await queries.accountLensPage(scope, { limit: 5, offset: 0 }, { account })).toEqual({
        rows,
        total: rows.length,
      });
    }
  }
  const acme = (await queries.accountLens()).find((row) => row.account === 'acme');
  expect(acme).toMatchObject({ won: 2 });
  expect(JSON.stringify(acme)).toContain('EUR');
});
