/**
 * Every view of "now" that reads the per-lead funnel, answered by one AnalyticsQueries as the
 * API calls them, as one JSON text: what the specs of the kept copies compare between a
 * reader of the snapshots and a reader of the state alone. Never used outside tests.
 */
import type { AnalyticsQueries } from '../views/analytics.queries';
import type { RuleSet } from '../rules/rule-sets';

/** Every view of "now" that reads the per-lead funnel, as the API calls them. */
export async function everyView(queries: AnalyticsQueries, rules: RuleSet): Promise<string> {
  const scope = { rules };
  const windowed = {
    rules,
    capturedFrom: '2025-01-01T00:00:00Z',
    capturedTo: '2025-03-01T00:00:00Z',
  };
  const rome = { rules, calendar: { timeZone: 'Europe/Rome', fiscalYearStartMonth: 4 } };
  const answers: Record<string, unknown> = {
    funnel: await queries.sharedFunnel(scope),
    funnelWindowed: await queries.sharedFunnel(windowed),
    timeInStage: await queries.funnelTimeInStage(scope),
    cohortsWeek: await queries.funnelByCohort('week', scope),
    cohortsMonthRome: await queries.funnelByCohort('month', rome),
    trendMonth: await queries.funnelTrend('month', scope),
    trendQuarterRome: await queries.funnelTrend('quarter', rome),
    leadsWon: await queries.funnelLeads('won', scope),
    leadsMql: await queries.funnelLeads('mql', windowed),
    leadsPoint: await queries.funnelLeads('captured', scope, {
      grain: 'month',
      period: '2025-01-01',
    }),
    leadsPage: await queries.funnelLeadsPage('captured', scope, undefined, { limit: 3, offset: 2 }),
    leadsPageFiltered: await queries.funnelLeadsPage(
      'captured',
      scope,
      undefined,
      { limit: 2, offset: 0 },
      { channel: 'webinar' },
    ),
    leadsPagePast: await queries.funnelLeadsPage('won', scope, undefined, { limit: 5, offset: 99 }),
    marketing: await queries.marketingLens(scope),
    sales: await queries.salesLens(scope),
    performance: await queries.salesPerformance(scope),
    alignment: await queries.alignment(scope),
    accounts: await queries.accountLens(windowed),
    accountsPage: await queries.accountLensPage(scope, { limit: 2, offset: 1 }),
    targets: await queries.targetsProgress(scope),
    targetsRome: await queries.targetsProgress(rome),
    mqlConversion: await queries.mqlConversion(scope),
    stageCounts: await queries.ruleSetStageCounts(rules),
  };
  // Two models: attribution reads the same funnel columns whichever model splits the credit.
  for (const model of ['linear', 'w_shaped'] as const) {
    answers[`attribution ${model}`] = await queries.marketingAttribution(model, scope);
  }
  return JSON.stringify(answers, null, 1);
}
