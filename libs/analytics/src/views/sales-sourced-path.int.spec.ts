/**
 * The sales-sourced entry path in the views (ADR 0008), given events → expected rows on
 * embedded chDB: a lead that reached sales without an MQL is on its own path, never counted as
 * MQL (not even after a recycle and a live MQL decision), every path's funnel is monotonic, the
 * maintained lead_state agrees with the raw fold, and reconciliation still finds nothing.
 * Expected numbers are worked out by hand from the scenario below.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { LeadEvent } from '@tandem/domain';
import { AnalyticsQueries } from './analytics.queries';
import type { FunnelStageRow } from './analytics.rows';
import { reconcileAll } from './reconciliation/rule-set-reconciliation';
import { resolveSqlDirectory } from '../clickhouse/sql-directory';
import { projectBatch } from '../projection/lead-events.writer';
import { useEmbeddedAnalytics } from '../testing/embedded-analytics.fixture';
import { createEventLog, leadEvent as e } from '../testing/event-log.fixture';

const analytics = useEmbeddedAnalytics('sales-sourced-path-int');
let client: ClickHouseClient;
beforeAll(() => {
  client = analytics.client();
});

const direct = (owner: string, salesSource: string): LeadEvent => ({
  type: 'LeadHandedToSales',
  data: {
    owner,
    team: 'emea',
    slaDueAt: '2025-01-10T09:00:00.000Z',
    rulesVersion: 1,
    path: 'sales_sourced',
    salesSource,
  },
});

/**
 * M1 marketing all the way to accepted; M2 captured only; S1 sales-sourced and won; S2
 * sales-sourced, rejected, recycled, then qualified live as MQL and handed over by marketing:
 * still on the sales-sourced path, the path of its first hand-off.
 */
function scenario() {
  const log = createEventLog();
  log.lead('M1', e.captured('paid_search', 'spring'));
  log.lead('M1', e.mql());
  log.lead('M1', e.handed('alice'));
  log.lead('M1', e.accepted('alice'));
  log.lead('M2', e.captured('paid_search', 'spring'));
  log.lead('S1', e.captured('trade_fair', null));
  log.lead('S1', direct('bob', 'event_contact'));
  log.lead('S1', e.accepted('bob'));
  log.lead('S1', e.sql());
  log.lead('S1', e.opened('o9', 5000, 'EUR'));
  log.lead('S1', e.won('o9', 5000, 'EUR'));
  log.lead('S2', e.captured('referral', null));
  log.lead('S2', direct('bob', 'referral'));
  log.lead('S2', e.rejected('bob', 'too_early'));
  log.lead('S2', e.recycled('rejected'));
  log.lead('S2', e.mql());
  log.lead('S2', e.handed('alice'));
  return log;
}

const row = (
  path: FunnelStageRow['path'],
  position: number,
  stage: FunnelStageRow['stage'],
  leads: number,
  previousStage: FunnelStageRow['previousStage'],
  conversion: number | null,
): FunnelStageRow => ({ path, position, stage, leads, previousStage, conversion });

it('shows each path as its own funnel, monotonic, with no MQL on the sales-sourced path', async () => {
  const database = await analytics.freshDatabase();
  await projectBatch(client, scenario().envelopes, { database });
  const queries = new AnalyticsQueries(client, { reader: analytics.reader(), database });

  expect(await queries.sharedFunnel()).toEqual([
    row('marketing', 1, 'captured', 2, null, null),
    row('marketing', 2, 'mql', 1, 'captured', 0.5),
    row('marketing', 3, 'handed_to_sales', 1, 'mql', 1),
    row('marketing', 4, 'accepted', 1, 'handed_to_sales', 1),
    row('marketing', 5, 'rejected', 0, 'handed_to_sales', 0),
    row('marketing', 6, 'sql', 0, 'accepted', 0),
    row('marketing', 7, 'opportunity', 0, 'sql', null),
    row('marketing', 8, 'won', 0, 'opportunity', null),
    row('marketing', 9, 'lost', 0, 'opportunity', null),
    row('sales_sourced', 1, 'captured', 2, null, null),
    row('sales_sourced', 3, 'handed_to_sales', 2, 'captured', 1),
    row('sales_sourced', 4, 'accepted', 1, 'handed_to_sales', 0.5),
    row('sales_sourced', 5, 'rejected', 1, 'handed_to_sales', 0.5),
    row('sales_sourced', 6, 'sql', 1, 'accepted', 1),
    row('sales_sourced', 7, 'opportunity', 1, 'sql', 1),
    row('sales_sourced', 8, 'won', 1, 'opportunity', 1),
    row('sales_sourced', 9, 'lost', 0, 'opportunity', 0),
  ]);

  // The lenses: the sales-sourced leads count from handed_to_sales on, never as MQLs, and the
  // MQL-to-SQL rate reads the marketing path only (S1's SQL had no MQL to convert from).
  const marketing = await queries.marketingLens();
  expect(
    marketing.map((r) => [r.channel, r.mqls, r.handedToSales, r.salesSourced, r.sqls, r.sqlRate]),
  ).toEqual([
    ['paid_search', 1, 1, 0, 0, 0],
    ['referral', 0, 1, 1, 0, null],
    ['trade_fair', 0, 1, 1, 1, null],
  ]);
  const sales = await queries.salesLens();
  expect(sales.map((r) => [r.owner, r.handedToSales, r.salesSourced, r.accepted, r.won])).toEqual([
    ['alice', 2, 1, 1, 0], // S2's latest hand-off is alice's
    ['bob', 1, 1, 1, 1],
  ]);
  expect((await queries.salesPerformance()).map((r) => [r.owner, r.salesSourced])).toEqual([
    ['alice', 1],
    ['bob', 1],
  ]);
  expect((await queries.accountLens()).map((r) => [r.handedToSales, r.salesSourced])).toEqual([
    [3, 2],
  ]);
  const alignment = await queries.alignment();
  expect(alignment.map((r) => [r.channel, r.handedToSales, r.salesSourced])).toEqual([
    ['paid_search', 1, 0],
    ['referral', 1, 1],
    ['trade_fair', 1, 1],
  ]);
  // Time in stage: the sales-sourced path's first step goes from captured to handed_to_sales.
  const timing = await queries.funnelTimeInStage();
  expect(
    timing
      .filter((row) => row.path === 'sales_sourced')
      .map((r) => [r.position, r.fromStage, r.toStage, r.leads]),
  ).toEqual([
    [2, 'captured', 'handed_to_sales', 2],
    [3, 'handed_to_sales', 'accepted', 1],
    [4, 'handed_to_sales', 'rejected', 1],
    [5, 'accepted', 'sql', 1],
    [6, 'sql', 'opportunity', 1],
    [7, 'opportunity', 'won', 1],
    [8, 'opportunity', 'lost', 0],
  ]);
  // The event log's minutes apart: S1 captured at position 6, handed at 7; S2 at 12 and 13.
  expect(timing.find((r) => r.path === 'sales_sourced' && r.position === 2)?.medianHours).toBe(
    0.02,
  );
  const [cohort] = await queries.funnelByCohort('month');
  expect(cohort).toMatchObject({ captured: 4, mql: 1, handedToSales: 3, salesSourced: 2 });

  // The live MQL decision S2 got after its recycle does not make it an MQL under the set.
  const ruleFacts = await client.query({
    query: 'SELECT lead_id, mql FROM {db:Identifier}.lead_rule_facts FINAL ORDER BY lead_id',
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  expect(await ruleFacts.json()).toEqual([
    { lead_id: 'M1', mql: true },
    { lead_id: 'M2', mql: false },
    { lead_id: 'S1', mql: false },
    { lead_id: 'S2', mql: false },
  ]);

  const verdict = await reconcileAll(client, queries, { database, attempts: 1 });
  expect(verdict.findings).toEqual([]);
  expect(verdict.ok).toBe(true);
  expect((await queries.reconcile()).ok).toBe(true);
});

it('keeps the path in lead_state exactly as the raw fold computes it, under redelivery', async () => {
  const database = await analytics.freshDatabase();
  const { envelopes } = scenario();
  // Every event twice, newest first the second time: one lead's hand-offs land in many parts.
  await projectBatch(client, envelopes, { database });
  await projectBatch(client, [...envelopes].reverse(), { database });

  const fold = async (file: '_lead-state' | '_lead-fold-as-of') => {
    const sql = await readFile(join(resolveSqlDirectory(), 'views', `${file}.sql`), 'utf8');
    const result = await client.query({
      query: `SELECT lead_id, handed_at, sales_sourced_at FROM (${sql}) ORDER BY lead_id`,
      query_params: { db: database, as_of: '2299-12-31 23:59:59.999' },
      format: 'JSONEachRow',
    });
    return result.json<{
      lead_id: string;
      handed_at: string | null;
      sales_sourced_at: string | null;
    }>();
  };
  const state = await fold('_lead-state');
  expect(state).toEqual(await fold('_lead-fold-as-of'));
  // S1's and S2's first hand-off is the sales-sourced one; the marketing leads have none.
  expect(state.map((lead) => [lead.lead_id, lead.sales_sourced_at === lead.handed_at])).toEqual([
    ['M1', false],
    ['M2', true], // both NULL: never handed over
    ['S1', true],
    ['S2', true],
  ]);
  expect(
    state.filter((lead) => lead.sales_sourced_at !== null).map((lead) => lead.lead_id),
  ).toEqual(['S1', 'S2']);
});
