/**
 * Every /analytics view declared once: its route, the zod schema of its query (rule set, asOf,
 * window, filters, paging, its own parameters), its presentation (columns, CSV, filters), its
 * OpenAPI text, and how it reads its rows. The controller serves each declaration the same way
 * (analytics.controller.ts `serve`), so every view resolves the asked rule set and names it in
 * the rules headers: a view can no longer accept rulesVersion and ignore it (issue 14).
 *
 * `read` gets the request's scope already resolved (rule set, window, asOf) and must pass it on;
 * it never sees the raw request, and nothing here builds SQL.
 */
import type { AnalyticsQueries, ViewOptions } from '@tandem/analytics';
import type { z } from 'zod';
import {
  accountsQuery,
  alignmentQuery,
  attributionQuery,
  cohortsQuery,
  funnelQuery,
  leadsQuery,
  trendQuery,
  marketingQuery,
  salesPerformanceQuery,
  salesQuery,
  targetsQuery,
  timeInStageQuery,
} from './analytics-query.schemas';
import { type ViewSpec, views } from './analytics-views';

export interface ViewDeclaration<Schema extends z.ZodType, Row> {
  /** Route under /analytics. */
  readonly path: string;
  readonly query: Schema;
  readonly presentation: ViewSpec<Row>;
  readonly summary: string;
  readonly description?: string;
  readonly read: (
    queries: AnalyticsQueries,
    query: z.infer<Schema>,
    scope: ViewOptions,
  ) => Promise<readonly Row[]>;
}

const declare = <Schema extends z.ZodType, Row>(
  declaration: ViewDeclaration<Schema, Row>,
): ViewDeclaration<Schema, Row> => declaration;

export const declaredViews = {
  funnel: declare({
    path: 'funnel',
    query: funnelQuery,
    presentation: views.funnel,
    summary: 'Shared funnel: leads that reached each stage, stage-to-stage conversion',
    read: (queries, _query, scope) => queries.sharedFunnel(scope),
  }),
  timeInStage: declare({
    path: 'funnel/time-in-stage',
    query: timeInStageQuery,
    presentation: views.timeInStage,
    summary: 'Time in stage: median and p90 hours from each stage to the next',
    read: (queries, _query, scope) => queries.funnelTimeInStage(scope),
  }),
  cohorts: declare({
    path: 'funnel/cohorts',
    query: cohortsQuery,
    presentation: views.cohorts,
    summary: "The funnel per capture cohort (week or month, in the rule set's reporting time zone)",
    read: (queries, query, scope) => queries.funnelByCohort(query.grain, scope),
  }),
  trend: declare({
    path: 'funnel/trend',
    query: trendQuery,
    presentation: views.trend,
    summary:
      'Funnel trend: leads reaching each stage per week or month of the event, per capture (channel, campaign), with won revenue and pipeline created',
    description:
      "Periods are in the rule set's reporting time zone (the dictionary's reporting.timeZone, UTC by default).",
    read: (queries, query, scope) => queries.funnelTrend(query.grain, scope),
  }),
  leads: declare({
    path: 'funnel/leads',
    query: leadsQuery,
    presentation: views.leads,
    summary:
      'The leads behind a number: lead ids of the window that reached a stage, with channel, campaign, owner and stage dates',
    description:
      'No personal data: lead ids and non-personal columns only. Roles that may read timelines follow an id to GET /leads/{leadId}/timeline.',
    read: (queries, query, scope) => queries.funnelLeads(query.stage, scope),
  }),
  marketing: declare({
    path: 'marketing',
    query: marketingQuery,
    presentation: views.marketing,
    summary: 'Marketing lens: the funnel per capture (channel, campaign)',
    read: (queries, _query, scope) => queries.marketingLens(scope),
  }),
  attribution: declare({
    path: 'marketing/attribution',
    query: attributionQuery,
    presentation: views.attribution,
    summary: 'Revenue attribution per (channel, campaign) under one model, with spend and ROI',
    read: (queries, query, scope) => queries.marketingAttribution(query.model, scope),
  }),
  sales: declare({
    path: 'sales',
    query: salesQuery,
    presentation: views.sales,
    summary: 'Sales lens: what each owner received and closed',
    read: (queries, _query, scope) => queries.salesLens(scope),
  }),
  salesPerformance: declare({
    path: 'sales/performance',
    query: salesPerformanceQuery,
    presentation: views.salesPerformance,
    summary: 'Sales performance per (team, owner): response time, win rate, cycle, loss reasons',
    read: (queries, _query, scope) => queries.salesPerformance(scope),
  }),
  alignment: declare({
    path: 'alignment',
    query: alignmentQuery,
    presentation: views.alignment,
    summary: 'Alignment per (channel, campaign): SLA compliance, leakage, recycling, rejections',
    read: (queries, _query, scope) => queries.alignment(scope),
  }),
  accounts: declare({
    path: 'accounts',
    query: accountsQuery,
    presentation: views.accounts,
    summary: "Accounts (ABM): every lens total per account ('' = leads without an account)",
    read: (queries, _query, scope) => queries.accountLens(scope),
  }),
  targets: declare({
    path: 'targets',
    query: targetsQuery,
    presentation: views.targets,
    summary: 'Targets of both teams beside their actuals for the period',
    description: 'No capture window: each target is measured by event time in its own period.',
    read: (queries, _query, scope) => queries.targetsProgress(scope),
  }),
};

/** The OpenAPI text of a declaration, for ApiAnalyticsView (or any document generator). */
export function viewDoc<Schema extends z.ZodType, Row>(declaration: ViewDeclaration<Schema, Row>) {
  return {
    summary: declaration.summary,
    ...(declaration.description !== undefined ? { description: declaration.description } : {}),
    plainArrayUnlessPaged: declaration.presentation.plainArrayUnlessPaged,
  };
}
