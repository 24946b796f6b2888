/**
 * Test support: eleven leads with known outcomes, and the numbers every view must show for
 * them. The expected rows are worked out by hand from the stories below (not by running the
 * code), so the integration spec checks the SQL against an independent reading of the rules.
 *
 *   L1  paid_search/spring  MQL → alice accepts → SQL → opp 10000 EUR → 12000 → won 12000 EUR
 *   L2  paid_search/spring  MQL → bob rejects (no_budget)
 *   L3  paid_search/spring  captured, one touchpoint
 *   L4  webinar/launch      MQL → alice accepts → SQL → opp 5000 EUR → lost (price)
 *   L5  webinar/launch      MQL → bob accepts → SQL → opp 8000 EUR → 9000 (still open)
 *   L6  webinar/launch      MQL, not handed
 *   L7  organic/(none)      MQL → alice rejects → recycled → MQL → bob accepts → SQL →
 *                           opp 3000 USD → won 3000.5 USD          (latest owner: bob)
 *   L8  organic/(none)      captured → erased
 *   L9  paid_search/spring  MQL → bob accepts → recycled
 *   L10 webinar/launch      MQL → alice accepts → SQL → opp 2000 EUR → lost → recycled →
 *                           MQL → alice accepts → SQL → opp 2500 EUR → won 2500 EUR
 *   L11 organic/(none)      captured → merged into L3
 * Plus two planning events (a target, campaign spend) that the lead projection skips.
 */
import type { FunnelStageRow, MarketingLensRow, SalesLensRow } from '../views/analytics.rows';
import type { Reconciliation } from '../views/reconciliation';
import { createEventLog, leadEvent as e, type EventLog } from './event-log.fixture';

export function funnelScenario(log: EventLog = createEventLog()): EventLog {
  log.planning('targets', {
    type: 'TargetSet',
    data: { team: 'marketing', metric: 'mqls', period: '2025-Q1', value: 10, owner: null },
  });
  log.planning('campaign-spring', {
    type: 'CampaignSpendRecorded',
    data: {
      campaign: 'spring',
      channel: 'paid_search',
      amount: 1500,
      currency: 'EUR',
      spentOn: '2025-01-05',
    },
  });

  log.lead('L1', e.captured('paid_search', 'spring'), { accountId: 'account-1' });
  log.lead('L1', e.touchpoint('tp-1', 'paid_search'), { accountId: 'account-1' });
  log.lead('L1', e.mql());
  log.lead('L1', e.handed('alice'));
  log.lead('L1', e.accepted('alice'));
  log.lead('L1', e.sql());
  log.lead('L1', e.opened('o1', 10000, 'EUR'));
  log.lead('L1', e.stageChanged('o1', 'discovery', 'proposal', 12000));
  log.lead('L1', e.won('o1', 12000, 'EUR'));

  log.lead('L2', e.captured('paid_search', 'spring'));
  log.lead('L2', e.mql());
  log.lead('L2', e.handed('bob'));
  log.lead('L2', e.rejected('bob', 'no_budget'));

  log.lead('L3', e.captured('paid_search', 'spring'));
  log.lead('L3', e.touchpoint('tp-3', 'social'));

  log.lead('L4', e.captured('webinar', 'launch'));
  log.lead('L4', e.mql());
  log.lead('L4', e.handed('alice'));
  log.lead('L4', e.accepted('alice'));
  log.lead('L4', e.sql());
  log.lead('L4', e.opened('o4', 5000, 'EUR'));
  log.lead('L4', e.lost('o4', 'price'));

  log.lead('L5', e.captured('webinar', 'launch'));
  log.lead('L5', e.mql());
  log.lead('L5', e.handed('bob'));
  log.lead('L5', e.accepted('bob'));
  log.lead('L5', e.sql());
  log.lead('L5', e.opened('o5', 8000, 'EUR'));
  log.lead('L5', e.stageChanged('o5', 'discovery', 'proposal', 9000));

  log.lead('L6', e.captured('webinar', 'launch'));
  log.lead('L6', e.mql());

  log.lead('L7', e.captured('organic', null));
  log.lead('L7', e.mql());
  log.lead('L7', e.handed('alice'));
  log.lead('L7', e.rejected('alice', 'bad_fit'));
  log.lead('L7', e.recycled('rejected'));
  log.lead('L7', e.mql());
  log.lead('L7', e.handed('bob'));
  log.lead('L7', e.accepted('bob'));
  log.lead('L7', e.sql());
  log.lead('L7', e.opened('o7', 3000, 'USD'));
  log.lead('L7', e.won('o7', 3000.5, 'USD'));

  log.lead('L8', e.captured('organic', null));
  log.lead('L8', e.erased());

  log.lead('L9', e.captured('paid_search', 'spring'));
  log.lead('L9', e.mql());
  log.lead('L9', e.handed('bob'));
  log.lead('L9', e.accepted('bob'));
  log.lead('L9', e.recycled('accepted'));

  log.lead('L10', e.captured('webinar', 'launch'));
  log.lead('L10', e.mql());
  log.lead('L10', e.handed('alice'));
  log.lead('L10', e.accepted('alice'));
  log.lead('L10', e.sql());
  log.lead('L10', e.opened('o10a', 2000, 'EUR'));
  log.lead('L10', e.lost('o10a', 'timing'));
  log.lead('L10', e.recycled('lost'));
  log.lead('L10', e.mql());
  log.lead('L10', e.handed('alice'));
  log.lead('L10', e.accepted('alice'));
  log.lead('L10', e.sql());
  log.lead('L10', e.opened('o10b', 2500, 'EUR'));
  log.lead('L10', e.won('o10b', 2500, 'EUR'));

  log.lead('L11', e.captured('organic', null));
  log.lead('L11', e.merged('L3'));
  return log;
}

/** Lead events in the scenario (planning events excluded). */
export const scenarioLeadEventCount = 65;

export const expectedFunnel: FunnelStageRow[] = [
  {
    path: 'marketing',
    position: 1,
    stage: 'captured',
    leads: 11,
    previousStage: null,
    conversion: null,
  },
  {
    path: 'marketing',
    position: 2,
    stage: 'mql',
    leads: 8,
    previousStage: 'captured',
    conversion: 0.7273,
  },
  {
    path: 'marketing',
    position: 3,
    stage: 'handed_to_sales',
    leads: 7,
    previousStage: 'mql',
    conversion: 0.875,
  },
  {
    path: 'marketing',
    position: 4,
    stage: 'accepted',
    leads: 6,
    previousStage: 'handed_to_sales',
    conversion: 0.8571,
  },
  {
    path: 'marketing',
    position: 5,
    stage: 'rejected',
    leads: 2,
    previousStage: 'handed_to_sales',
    conversion: 0.2857,
  },
  {
    path: 'marketing',
    position: 6,
    stage: 'sql',
    leads: 5,
    previousStage: 'accepted',
    conversion: 0.8333,
  },
  {
    path: 'marketing',
    position: 7,
    stage: 'opportunity',
    leads: 5,
    previousStage: 'sql',
    conversion: 1,
  },
  {
    path: 'marketing',
    position: 8,
    stage: 'won',
    leads: 3,
    previousStage: 'opportunity',
    conversion: 0.6,
  },
  {
    path: 'marketing',
    position: 9,
    stage: 'lost',
    leads: 2,
    previousStage: 'opportunity',
    conversion: 0.4,
  },
  // No lead of the scenario took the sales-sourced path: its stages show, at 0.
  ...(
    [
      [1, 'captured', null],
      [3, 'handed_to_sales', 'captured'],
      [4, 'accepted', 'handed_to_sales'],
      [5, 'rejected', 'handed_to_sales'],
      [6, 'sql', 'accepted'],
      [7, 'opportunity', 'sql'],
      [8, 'won', 'opportunity'],
      [9, 'lost', 'opportunity'],
    ] as const
  ).map(([position, stage, previousStage]): FunnelStageRow => ({
    path: 'sales_sourced',
    position,
    stage,
    leads: 0,
    previousStage,
    conversion: null,
  })),
];

export const expectedMarketingLens: MarketingLensRow[] = [
  {
    channel: 'organic',
    campaign: '',
    leads: 3,
    mqls: 1,
    handedToSales: 1,
    salesSourced: 0,
    accepted: 1,
    rejected: 1,
    sqls: 1,
    opportunities: 1,
    won: 1,
    lost: 0,
    wonRevenue: { USD: '3000.5' },
    pipeline: {},
    mqlRate: 0.3333,
    sqlRate: 1,
  },
  {
    channel: 'paid_search',
    campaign: 'spring',
    leads: 4,
    mqls: 3,
    handedToSales: 3,
    salesSourced: 0,
    accepted: 2,
    rejected: 1,
    sqls: 1,
    opportunities: 1,
    won: 1,
    lost: 0,
    wonRevenue: { EUR: '12000' },
    pipeline: {},
    mqlRate: 0.75,
    sqlRate: 0.3333,
  },
  {
    channel: 'webinar',
    campaign: 'launch',
    leads: 4,
    mqls: 4,
    handedToSales: 3,
    salesSourced: 0,
    accepted: 3,
    rejected: 0,
    sqls: 3,
    opportunities: 3,
    won: 1,
    lost: 2,
    wonRevenue: { EUR: '2500' },
    pipeline: { EUR: '9000' },
    mqlRate: 1,
    sqlRate: 0.75,
  },
];

export const expectedSalesLens: SalesLensRow[] = [
  {
    owner: 'alice',
    handedToSales: 3,
    salesSourced: 0,
    accepted: 3,
    rejected: 0,
    sqls: 3,
    opportunities: 3,
    won: 2,
    lost: 2,
    wonRevenue: { EUR: '14500' },
    pipeline: {},
    acceptanceRate: 1,
    winRate: 0.6667,
  },
  {
    owner: 'bob',
    handedToSales: 4,
    salesSourced: 0,
    accepted: 3,
    rejected: 2,
    sqls: 2,
    opportunities: 2,
    won: 1,
    lost: 0,
    wonRevenue: { USD: '3000.5' },
    pipeline: { EUR: '9000' },
    acceptanceRate: 0.75,
    winRate: 1,
  },
];

export const expectedReconciliation: Reconciliation = {
  ok: true,
  checks: [
    { metric: 'handed_to_sales', marketing: '7', sales: '7', events: '7', ok: true },
    { metric: 'accepted', marketing: '6', sales: '6', events: '6', ok: true },
    { metric: 'rejected', marketing: '2', sales: '2', events: '2', ok: true },
    { metric: 'opportunities', marketing: '5', sales: '5', events: '5', ok: true },
    { metric: 'won', marketing: '3', sales: '3', events: '3', ok: true },
    { metric: 'won_revenue:EUR', marketing: '14500', sales: '14500', events: '14500', ok: true },
    { metric: 'won_revenue:USD', marketing: '3000.5', sales: '3000.5', events: '3000.5', ok: true },
  ],
};
