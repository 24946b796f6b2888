/**
 * Every /analytics view declared once: its route, its row (a declaration of @tandem/analytics),
 * its parameters, its OpenAPI text and how it reads its rows. The rest follows from it: the
 * strict query schema (rule set, asOf, paging and format for every view; the capture window,
 * the reporting calendar, the row filters and its own parameters as declared), the OpenAPI
 * parameters and row schemas, the presentation (CSV columns, filters) and the every-view
 * parameter test (test/analytics-view-parameters.int.spec.ts). The controller serves each
 * declaration the same way (analytics.controller.ts `serve`), so every view resolves the asked
 * rule set and names it in the rules headers (issue 14).
 *
 * `read` gets the request's scope already resolved (rule set, window, asOf, calendar) and must
 * pass it on; it never sees the raw request, and nothing here builds SQL.
 */
import {
  type AnalyticsQueries,
  type Columns,
  type PageRequest,
  type RowPage,
  type RowDeclaration,
  type RowOf,
  type TrendGrain,
  type ViewOptions,
  accountLensRow,
  alignmentRow,
  attributionModels,
  cohortFunnelRow,
  cohortGrains,
  funnelLeadRow,
  funnelReportStages,
  funnelStageRow,
  funnelTrendRow,
  marketingAttributionRow,
  marketingLensRow,
  salesLensRow,
  salesPerformanceRow,
  stageDurationRow,
  targetProgressRow,
  trendGrains,
} from '@tandem/analytics';
import { businessDateSchema } from '@tandem/contracts';
import { targetTeams } from '@tandem/domain';
import { z } from 'zod';
import { timestamp, type ViewParameters, viewQuerySchema } from './analytics-query.schemas';
import type { ViewSpec } from './analytics-views';
import type { RowFilter } from './row-filter';

export interface ViewDeclaration<Schema extends z.ZodType, Row> {
  /** Route under /analytics. */
  readonly path: string;
  /** What the view takes beyond the rule set, asOf, paging and format. */
  readonly parameters: ViewParameters<z.ZodRawShape, RowFilter>;
  /** Its query schema, built from `parameters`. */
  readonly query: Schema;
  /** The JSON Schema of one answered row (the OpenAPI 200 schema's items). */
  readonly rowSchema: () => Record<string, unknown>;
  readonly presentation: ViewSpec<Row>;
  readonly summary: string;
  readonly description?: string;
  readonly read: (
    queries: AnalyticsQueries,
    query: z.infer<Schema>,
    scope: ViewOptions,
  ) => Promise<readonly Row[]>;
  /**
   * One JSON page of the rows `read` gives, filtered as the presentation's filters say and
   * counted, all in ClickHouse: for views too large to read whole per page. CSV still reads
   * every row (its header is built from all of them).
   */
  readonly readPage?: (
    queries: AnalyticsQueries,
    query: z.infer<Schema>,
    scope: ViewOptions,
    page: PageRequest,
  ) => Promise<RowPage<Row>>;
}

interface Declared<Declared extends Columns, Own extends z.ZodRawShape, Filter extends RowFilter> {
  readonly path: string;
  /** File name stem of its CSV download. */
  readonly name: string;
  readonly row: RowDeclaration<Declared>;
  readonly parameters: ViewParameters<Own, Filter & keyof RowOf<Declared>>;
  /** One of the first four endpoints, whose JSON stays a bare array unless limit/offset is given. */
  readonly plainArrayUnlessPaged?: boolean;
  readonly summary: string;
  readonly description?: string;
  readonly read: (
    queries: AnalyticsQueries,
    query: z.infer<ReturnType<typeof viewQuerySchema<Own, Filter>>>,
    scope: ViewOptions,
  ) => Promise<readonly RowOf<Declared>[]>;
  readonly readPage?: (
    queries: AnalyticsQueries,
    query: z.infer<ReturnType<typeof viewQuerySchema<Own, Filter>>>,
    scope: ViewOptions,
    page: PageRequest,
  ) => Promise<RowPage<RowOf<Declared>>>;
}

const declare = <
  Cols extends Columns,
  const Own extends z.ZodRawShape,
  const Filter extends RowFilter,
>(
  view: Declared<Cols, Own, Filter>,
): ViewDeclaration<ReturnType<typeof viewQuerySchema<Own, Filter>>, RowOf<Cols>> => ({
  path: view.path,
  parameters: view.parameters,
  query: viewQuerySchema<Own, Filter>(view.parameters),
  rowSchema: () => view.row.jsonSchema(),
  presentation: {
    name: view.name,
    columns: view.row.columns,
    numeric: view.row.numeric,
    filters: view.parameters.filters,
    plainArrayUnlessPaged: view.plainArrayUnlessPaged ?? false,
  },
  summary: view.summary,
  ...(view.description !== undefined ? { description: view.description } : {}),
  read: view.read,
  ...(view.readPage !== undefined ? { readPage: view.readPage } : {}),
});

/** Nothing beyond what every view takes. */
const none = {} as const;

const trendGrain = z
  .enum(trendGrains)
  .describe(
    "Period grain: week (from Monday), month, or fiscal quarter (from the calendar's fiscalStartMonth), in the reporting time zone",
  );

export const declaredViews = {
  funnel: declare({
    path: 'funnel',
    name: 'funnel',
    row: funnelStageRow,
    parameters: { window: true, filters: [], calendar: [], own: none },
    plainArrayUnlessPaged: true,
    summary: 'Shared funnel: leads that reached each stage, stage-to-stage conversion',
    read: (queries, _query, scope) => queries.sharedFunnel(scope),
  }),
  timeInStage: declare({
    path: 'funnel/time-in-stage',
    name: 'funnel-time-in-stage',
    row: stageDurationRow,
    parameters: { window: true, filters: [], calendar: [], own: none },
    summary: 'Time in stage: median and p90 hours from each stage to the next',
    read: (queries, _query, scope) => queries.funnelTimeInStage(scope),
  }),
  cohorts: declare({
    path: 'funnel/cohorts',
    name: 'funnel-cohorts',
    row: cohortFunnelRow,
    parameters: {
      window: true,
      filters: [],
      calendar: ['timeZone'],
      own: {
        grain: z
          .enum(cohortGrains)
          .describe('Cohort grain (required): capture week or month, in the reporting time zone'),
      },
    },
    summary: "The funnel per capture cohort (week or month, in the rule set's reporting time zone)",
    read: (queries, query, scope) => queries.funnelByCohort(query.grain, scope),
  }),
  trend: declare({
    path: 'funnel/trend',
    name: 'funnel-trend',
    row: funnelTrendRow,
    parameters: {
      window: true,
      filters: ['channel', 'campaign'],
      calendar: ['timeZone', 'fiscalStartMonth'],
      own: { grain: trendGrain },
    },
    summary:
      'Funnel trend: leads reaching each stage per week, month or fiscal quarter of the event, per capture (channel, campaign), with won revenue and pipeline created',
    description:
      "Periods are in the rule set's reporting calendar (the dictionary's reporting.timeZone and fiscalYearStartMonth, UTC and January by default) unless timeZone / fiscalStartMonth name another.",
    read: (queries, query, scope) => queries.funnelTrend(query.grain, scope),
  }),
  leads: declare({
    path: 'funnel/leads',
    name: 'funnel-leads',
    row: funnelLeadRow,
    parameters: {
      window: true,
      filters: ['channel', 'campaign', 'owner'],
      calendar: ['timeZone', 'fiscalStartMonth'],
      own: {
        stage: z
          .enum(funnelReportStages)
          .describe(
            'The stage the leads reached (required); captured lists every lead of the window',
          ),
        grain: trendGrain.describe("With period: a trend point's grain").optional(),
        // A real calendar date (2026-13-45 was passed on, matched nothing, and answered an
        // empty list as if the period had no leads), inside Date32's range like every date.
        period: businessDateSchema
          .describe(
            'With grain: a trend point, the period (its first day) in which the leads reached the stage',
          )
          .optional(),
      },
      refine: bothOrNeither('grain', 'period'),
    },
    summary:
      'The leads behind a number: lead ids of the window that reached a stage (in a trend period, with grain and period), with channel, campaign, owner and stage dates',
    description:
      'No personal data: lead ids and non-personal columns only. Roles that may read timelines follow an id to GET /leads/{leadId}/timeline.',
    read: (queries, query, scope) => queries.funnelLeads(query.stage, scope, trendPoint(query)),
    // ~50k won leads at 10M events: one page leaves ClickHouse, not all of them.
    readPage: (queries, query, scope, page) =>
      queries.funnelLeadsPage(query.stage, scope, trendPoint(query), page, {
        channel: query.channel,
        campaign: query.campaign,
        owner: query.owner,
      }),
  }),
  marketing: declare({
    path: 'marketing',
    name: 'marketing',
    row: marketingLensRow,
    parameters: { window: true, filters: ['channel', 'campaign'], calendar: [], own: none },
    plainArrayUnlessPaged: true,
    summary: 'Marketing lens: the funnel per capture (channel, campaign)',
    read: (queries, _query, scope) => queries.marketingLens(scope),
  }),
  attribution: declare({
    path: 'marketing/attribution',
    name: 'marketing-attribution',
    row: marketingAttributionRow,
    parameters: {
      window: true,
      filters: ['channel', 'campaign'],
      calendar: [],
      own: {
        model: z
          .enum(attributionModels)
          .describe('Attribution model (required); see docs/analytics.md for the weights'),
      },
    },
    summary: 'Revenue attribution per (channel, campaign) under one model, with spend and ROI',
    read: (queries, query, scope) => queries.marketingAttribution(query.model, scope),
  }),
  sales: declare({
    path: 'sales',
    name: 'sales',
    row: salesLensRow,
    parameters: { window: true, filters: ['owner'], calendar: [], own: none },
    plainArrayUnlessPaged: true,
    summary: 'Sales lens: what each owner received and closed',
    read: (queries, _query, scope) => queries.salesLens(scope),
  }),
  salesPerformance: declare({
    path: 'sales/performance',
    name: 'sales-performance',
    row: salesPerformanceRow,
    parameters: { window: true, filters: ['team', 'owner'], calendar: [], own: none },
    summary: 'Sales performance per (team, owner): response time, win rate, cycle, loss reasons',
    read: (queries, _query, scope) => queries.salesPerformance(scope),
  }),
  alignment: declare({
    path: 'alignment',
    name: 'alignment',
    row: alignmentRow,
    parameters: {
      window: true,
      filters: ['channel', 'campaign'],
      calendar: [],
      own: {
        asOf: timestamp(
          'Business time: only events up to it count, and open hand-offs are judged against it (ISO-8601 with a zone); default the request time — pass it for reproducible numbers',
        ).optional(),
      },
    },
    summary: 'Alignment per (channel, campaign): SLA compliance, leakage, recycling, rejections',
    read: (queries, _query, scope) => queries.alignment(scope),
  }),
  accounts: declare({
    path: 'accounts',
    name: 'accounts',
    row: accountLensRow,
    parameters: { window: true, filters: ['account'], calendar: [], own: none },
    summary: "Accounts (ABM): every lens total per account ('' = leads without an account)",
    read: (queries, _query, scope) => queries.accountLens(scope),
    readPage: (queries, query, scope, page) =>
      queries.accountLensPage(scope, page, { account: query.account }),
  }),
  targets: declare({
    path: 'targets',
    name: 'targets',
    row: targetProgressRow,
    // No capture window: targets carry their own period.
    parameters: {
      window: false,
      filters: ['team', 'owner'],
      calendar: ['timeZone', 'fiscalStartMonth'],
      own: {
        // A target's team is one of two (TargetSet): any other value is a mistake, not a team
        // without targets, so it is refused naming the allowed values rather than answered [].
        team: z
          .enum(targetTeams)
          .describe('Only targets of this team (marketing or sales)')
          .optional(),
      },
    },
    summary: 'Targets of both teams beside their actuals for the period',
    description:
      "No capture window: each target is measured by event time in its own period, in the rule set's reporting calendar unless timeZone / fiscalStartMonth name another.",
    read: (queries, _query, scope) => queries.targetsProgress(scope),
  }),
};

export type DeclaredView = keyof typeof declaredViews;

/** The drill-down's trend point, when both of its parameters are given. */
function trendPoint(query: { grain?: TrendGrain | undefined; period?: string | undefined }) {
  return query.grain !== undefined && query.period !== undefined
    ? { grain: query.grain, period: query.period }
    : undefined;
}

/** Two parameters that only mean something together. */
function bothOrNeither(first: string, second: string) {
  return (query: object, ctx: z.RefinementCtx): void => {
    const given = query as Record<string, unknown>;
    if ((given[first] === undefined) === (given[second] === undefined)) return;
    const missing = given[first] === undefined ? first : second;
    const other = missing === first ? second : first;
    ctx.addIssue({ code: 'custom', path: [missing], message: `needed with ${other}` });
  };
}

/** The OpenAPI text of a declaration, for ApiAnalyticsView (or any document generator). */
export function viewDoc<Schema extends z.ZodType, Row>(declaration: ViewDeclaration<Schema, Row>) {
  return {
    summary: declaration.summary,
    ...(declaration.description !== undefined ? { description: declaration.description } : {}),
    plainArrayUnlessPaged: declaration.presentation.plainArrayUnlessPaged,
    columns: declaration.presentation.columns,
    rowSchema: declaration.rowSchema(),
  };
}
