/**
 * The typed rows the analytics queries return, and the parsers that turn ClickHouse's JSON
 * into them. Parsing is strict on purpose: a view that changes shape fails loudly at this
 * boundary instead of handing the API `undefined`.
 *
 * ClickHouse's JSON output differs by setting between a server (64-bit integers quoted by
 * default) and chDB (unquoted), so counts accept both and become numbers (lead counts are far
 * below 2^53). Money is never a JS number: it stays an exact decimal string per currency.
 */
import { salesEntryPaths } from '@tandem/domain';
import { z } from 'zod';
import { declareRow, numeric, text, type RowOf } from './row-columns';

/** Currency code -> exact decimal amount, e.g. `{ EUR: '12000.5' }`. */
export type MoneyByCurrency = Readonly<Record<string, string>>;

/** Funnel stages as reported: the dictionary's stages plus `rejected` beside `accepted`. */
export const funnelReportStages = [
  'captured',
  'mql',
  'handed_to_sales',
  'accepted',
  'rejected',
  'sql',
  'opportunity',
  'won',
  'lost',
] as const;
export type FunnelReportStage = (typeof funnelReportStages)[number];

/** The totals both lenses share, which reconciliation compares. */
export interface SharedTotals {
  readonly handedToSales: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly opportunities: number;
  readonly won: number;
  readonly wonRevenue: MoneyByCurrency;
}

// Checked after the union, so the answer's JSON Schema (declareRow's) is a plain integer.
const count = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).pipe(
  z
    .number()
    .int()
    .nonnegative()
    .refine((value) => Number.isSafeInteger(value), 'count exceeds 2^53'),
);
const rate = z.number().nullable();
const money = z.record(z.string(), z.string().regex(/^-?\d+(\.\d+)?$/));
const stage = z.enum(funnelReportStages);

/** Shared funnel: one row per path and stage, in funnel order. */
export const funnelStageRow = declareRow({
  /**
   * How the leads entered sales (ADR 0008): each lead is on one path; the sales_sourced path
   * has no mql stage. Counts never rise from stage to stage within a path.
   */
  path: text(z.enum(salesEntryPaths)),
  /** 1-based order in the funnel (the sales_sourced path skips 2, mql). */
  position: numeric(count),
  stage: text(stage),
  /** Leads of the cohort that ever reached the stage. */
  leads: numeric(count),
  previous_stage: text(stage.nullable()),
  /** leads / leads of previous_stage, rounded to 4 places; null without a predecessor count. */
  conversion: numeric(rate),
});
export type FunnelStageRow = RowOf<typeof funnelStageRow.declared>;

/**
 * The stage totals from the hand-off on, in their column order: what the sales lens shows per
 * owner and what the lenses of captured leads show after their leads and MQLs.
 */
const salesStageTotals = {
  /** Leads received: MQLs handed over, and sales-sourced leads. */
  handed_to_sales: numeric(count),
  /** Of handed_to_sales, the leads that entered sales directly, without an MQL (ADR 0008). */
  sales_sourced: numeric(count),
  accepted: numeric(count),
  rejected: numeric(count),
  sqls: numeric(count),
  opportunities: numeric(count),
  won: numeric(count),
  /** Leads whose opportunity was lost: beside won, so marketing sees deals it fed that closed lost. */
  lost: numeric(count),
  won_revenue: numeric(money),
  /** Amount of currently open opportunities. */
  pipeline: numeric(money),
} as const;

/**
 * The stage totals a lens of captured leads shows per group (marketing per channel and
 * campaign, accounts per account), in their column order: leads that ever reached each stage,
 * then money.
 */
const leadStageTotals = {
  leads: numeric(count),
  mqls: numeric(count),
  ...salesStageTotals,
} as const;

/**
 * Marketing lens: one row per capture (channel, campaign); every captured lead of the cohort
 * in exactly one row. Counts are leads that ever reached the stage.
 */
export const marketingLensRow = declareRow({
  channel: text(z.string()),
  /** '' when the lead was captured without a campaign. */
  campaign: text(z.string()),
  ...leadStageTotals,
  /** mqls / leads. */
  mql_rate: numeric(rate),
  /** SQLs of the marketing path / mqls (sales-sourced SQLs had no MQL to convert from). */
  sql_rate: numeric(rate),
});
export type MarketingLensRow = RowOf<typeof marketingLensRow.declared>;

/** Sales lens: one row per owner of the lead's latest hand-off. */
export const salesLensRow = declareRow({
  owner: text(z.string()),
  ...salesStageTotals,
  /** accepted / handed_to_sales. */
  acceptance_rate: numeric(rate),
  /** won / leads whose opportunity closed (won or lost). */
  win_rate: numeric(rate),
});
export type SalesLensRow = RowOf<typeof salesLensRow.declared>;

/** The columns of a shared-totals row (a lens summed over its rows), as ClickHouse prints them. */
export const sharedTotalsColumns = {
  handed_to_sales: count,
  accepted: count,
  rejected: count,
  opportunities: count,
  won: count,
  won_revenue: money,
};

/** A row of sharedTotalsColumns, parsed, as the API answers it. */
export const toSharedTotals = (
  row: z.output<z.ZodObject<typeof sharedTotalsColumns>>,
): SharedTotals => ({
  handedToSales: row.handed_to_sales,
  accepted: row.accepted,
  rejected: row.rejected,
  opportunities: row.opportunities,
  won: row.won,
  wonRevenue: row.won_revenue,
});

const sharedTotalsSchema = z.object(sharedTotalsColumns).transform(toSharedTotals);

export const parseFunnelStageRows = (rows: unknown): FunnelStageRow[] => funnelStageRow.parse(rows);
export const parseMarketingLensRows = (rows: unknown): MarketingLensRow[] =>
  marketingLensRow.parse(rows);
export const parseSalesLensRows = (rows: unknown): SalesLensRow[] => salesLensRow.parse(rows);
export const parseSharedTotals = (rows: unknown): SharedTotals =>
  z.tuple([sharedTotalsSchema]).parse(rows)[0];

/** Attribution models of the marketing-attribution query (the dictionary's list); see its SQL for the weights. */
export { attributionModels, type AttributionModel } from '@tandem/domain';

/** Attribution: one row per touched (channel, campaign) under one model. */
export const marketingAttributionRow = declareRow({
  channel: text(z.string()),
  /** '' for touches without a campaign. */
  campaign: text(z.string()),
  /** Leads of the cohort with at least one touch on this (channel, campaign). */
  leads_touched: numeric(count),
  /** Won revenue credited to this (channel, campaign) under the model. */
  won_revenue: numeric(money),
  /** Open pipeline credited under the model. */
  pipeline: numeric(money),
  /** Sum of CampaignSpendRecorded for this (channel, campaign). */
  spend: numeric(money),
  /** Per currency with spend: credited won revenue / spend, rounded to 4 places. */
  roi: numeric(z.record(z.string(), z.number())),
});
export type MarketingAttributionRow = RowOf<typeof marketingAttributionRow.declared>;

/** Alignment: one row per capture (channel, campaign). */
export const alignmentRow = declareRow({
  channel: text(z.string()),
  campaign: text(z.string()),
  handed_to_sales: numeric(count),
  /** Of handed_to_sales, the leads that entered sales directly, without an MQL (ADR 0008). */
  sales_sourced: numeric(count),
  accepted_in_sla: numeric(count),
  rejected_in_sla: numeric(count),
  responded_late: numeric(count),
  open_past_due: numeric(count),
  open_in_sla: numeric(count),
  /** responded_late + open_past_due: MQLs nobody acted on within the SLA. */
  leaked: numeric(count),
  /** (accepted_in_sla + rejected_in_sla) / (handed_to_sales - open_in_sla). */
  sla_compliance: numeric(rate),
  recycled: numeric(count),
  /** recycled / handed_to_sales. */
  recycle_rate: numeric(rate),
  /** Rejection reason code -> leads. */
  rejection_reasons: numeric(z.record(z.string(), count)),
});
export type AlignmentRow = RowOf<typeof alignmentRow.declared>;

export const parseMarketingAttributionRows = (rows: unknown): MarketingAttributionRow[] =>
  marketingAttributionRow.parse(rows);
export const parseAlignmentRows = (rows: unknown): AlignmentRow[] => alignmentRow.parse(rows);

/** Capture cohorts of funnelByCohort. */
export const cohortGrains = ['week', 'month'] as const;
export type CohortGrain = (typeof cohortGrains)[number];

/** Periods of funnelTrend (and of a trend point's drill-down): quarters are fiscal quarters. */
export const trendGrains = ['week', 'month', 'quarter'] as const;
export type TrendGrain = (typeof trendGrains)[number];

/** Time in stage: one row per path and stage transition, in funnel order. */
export const stageDurationRow = declareRow({
  /** The path into sales (ADR 0008): sales_sourced goes from captured to handed_to_sales. */
  path: text(z.enum(salesEntryPaths)),
  /** 1-based order in the funnel: the position of to_stage's step (2 ends in handed_to_sales). */
  position: numeric(count),
  from_stage: text(stage),
  to_stage: text(stage),
  /** Leads that reached both stages (to at or after from). */
  leads: numeric(count),
  /** Hours from entering from_stage to reaching to_stage, rounded to 2 places; null without leads. */
  median_hours: numeric(rate),
  p90_hours: numeric(rate),
});
export type StageDurationRow = RowOf<typeof stageDurationRow.declared>;

/** The funnel per capture cohort, in cohort order. */
export const cohortFunnelRow = declareRow({
  /** `YYYY-MM-DD`: the Monday of the capture week or the first of the capture month, reporting time zone. */
  cohort: text(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)),
  captured: numeric(count),
  mql: numeric(count),
  handed_to_sales: numeric(count),
  /** Of handed_to_sales, the leads that entered sales directly, without an MQL (ADR 0008). */
  sales_sourced: numeric(count),
  accepted: numeric(count),
  rejected: numeric(count),
  sql: numeric(count),
  opportunity: numeric(count),
  won: numeric(count),
  lost: numeric(count),
  won_revenue: numeric(money),
});
export type CohortFunnelRow = RowOf<typeof cohortFunnelRow.declared>;

/**
 * The funnel trend: per (period, channel, campaign), the leads that reached each stage in the
 * period (event time, in the reporting time zone), and the money that moved with them.
 */
export const funnelTrendRow = declareRow({
  /**
   * `YYYY-MM-DD`: the Monday of the week, the first of the month, or the first day of the fiscal
   * quarter, in the reporting time zone.
   */
  period: text(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)),
  channel: text(z.string()),
  /** '' for leads captured without a campaign. */
  campaign: text(z.string()),
  captured: numeric(count),
  mqls: numeric(count),
  handed_to_sales: numeric(count),
  accepted: numeric(count),
  rejected: numeric(count),
  sqls: numeric(count),
  opportunities: numeric(count),
  won: numeric(count),
  lost: numeric(count),
  /** DealWon amounts of the leads won in the period. */
  won_revenue: numeric(money),
  /** Amounts of the opportunities opened in the period (their latest amount). */
  pipeline_created: numeric(money),
});
export type FunnelTrendRow = RowOf<typeof funnelTrendRow.declared>;
export const parseFunnelTrendRows = (rows: unknown): FunnelTrendRow[] => funnelTrendRow.parse(rows);

/** An ISO-8601 UTC instant as the drill-down writes it, or null when the stage was not reached. */
const instant = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  .nullable();

/**
 * The leads behind a number (drill-down): ids and non-personal columns only, never a name or
 * an e-mail (ClickHouse holds none).
 */
export const funnelLeadRow = declareRow({
  lead_id: text(z.string()),
  channel: text(z.string()),
  campaign: text(z.string()),
  /** Of the latest hand-off; '' when never handed to sales. */
  owner: text(z.string()),
  team: text(z.string()),
  path: text(z.enum(salesEntryPaths)),
  captured_at: text(instant.unwrap()),
  mql_at: text(instant),
  handed_at: text(instant),
  accepted_at: text(instant),
  rejected_at: text(instant),
  sql_at: text(instant),
  opportunity_at: text(instant),
  won_at: text(instant),
  lost_at: text(instant),
});
export type FunnelLeadRow = RowOf<typeof funnelLeadRow.declared>;
export const parseFunnelLeadRows = (rows: unknown): FunnelLeadRow[] => funnelLeadRow.parse(rows);

export const parseStageDurationRows = (rows: unknown): StageDurationRow[] =>
  stageDurationRow.parse(rows);
export const parseCohortFunnelRows = (rows: unknown): CohortFunnelRow[] =>
  cohortFunnelRow.parse(rows);

/** Accounts (ABM): every lens total per account. */
export const accountLensRow = declareRow({
  /** '' for leads without an account. */
  account: text(z.string()),
  ...leadStageTotals,
});
export type AccountLensRow = RowOf<typeof accountLensRow.declared>;

/** Sales performance per (team, owner). */
export const salesPerformanceRow = declareRow({
  team: text(z.string()),
  owner: text(z.string()),
  handed_to_sales: numeric(count),
  /** Of handed_to_sales, the leads that entered sales directly, without an MQL (ADR 0008). */
  sales_sourced: numeric(count),
  accepted: numeric(count),
  rejected: numeric(count),
  /** Hours from first hand-off to first acceptance or rejection. */
  median_response_hours: numeric(rate),
  p90_response_hours: numeric(rate),
  won: numeric(count),
  lost: numeric(count),
  win_rate: numeric(rate),
  /** Days from opportunity opened to won or lost. */
  median_cycle_days: numeric(rate),
  p90_cycle_days: numeric(rate),
  /** Loss reason code -> leads. */
  loss_reasons: numeric(z.record(z.string(), count)),
});
export type SalesPerformanceRow = RowOf<typeof salesPerformanceRow.declared>;

/** Every current target beside its actual for the period. */
export const targetProgressRow = declareRow({
  team: text(z.string()),
  metric: text(z.string()),
  period: text(z.string()),
  /** '' for a team-wide target. */
  owner: text(z.string()),
  /** Exact decimal string. */
  target: numeric(z.string().regex(/^-?\d+(\.\d+)?$/)),
  /** Null for money metrics (won_revenue, pipeline). */
  actual_count: numeric(count.nullable()),
  /** Per currency, money metrics only. */
  actual_amount: numeric(money),
  /** actual / target; null when not comparable (target 0, several currencies). */
  progress: numeric(rate),
});
export type TargetProgressRow = RowOf<typeof targetProgressRow.declared>;

export const parseAccountLensRows = (rows: unknown): AccountLensRow[] => accountLensRow.parse(rows);
export const parseSalesPerformanceRows = (rows: unknown): SalesPerformanceRow[] =>
  salesPerformanceRow.parse(rows);
export const parseTargetProgressRows = (rows: unknown): TargetProgressRow[] =>
  targetProgressRow.parse(rows);

/** Leads whose MQL classification differs between two rule sets. */
export interface ChangedLeads {
  readonly count: number;
  readonly becameMql: number;
  readonly lostMql: number;
  /** The first changed leads by id, with each set's verdict and score (null: no row). */
  readonly sample: readonly {
    readonly leadId: string;
    readonly base: boolean;
    readonly candidate: boolean;
    readonly baseScore: number | null;
    readonly candidateScore: number | null;
  }[];
}

const score = z
  .string()
  .nullable()
  .transform((value) => (value === null ? null : Number(value)));

const changedLeadsSchema = z
  .object({
    changed: count,
    became_mql: count,
    lost_mql: count,
    sample: z.array(z.tuple([z.string(), z.boolean(), z.boolean(), score, score])),
  })
  .transform((row) => ({
    count: row.changed,
    becameMql: row.became_mql,
    lostMql: row.lost_mql,
    sample: row.sample.map(([leadId, base, candidate, baseScore, candidateScore]) => ({
      leadId,
      base,
      candidate,
      baseScore,
      candidateScore,
    })),
  }));

export const parseChangedLeads = (rows: unknown): ChangedLeads =>
  z.tuple([changedLeadsSchema]).parse(rows)[0];

export interface MqlConversion {
  readonly mqls: number;
  readonly mqlsToSql: number;
  /** mqlsToSql / mqls, 4 places; null without MQLs. */
  readonly conversion: number | null;
}

const mqlConversionSchema = z
  .object({ mqls: count, mqls_to_sql: count, conversion: rate })
  .transform((row) => ({
    mqls: row.mqls,
    mqlsToSql: row.mqls_to_sql,
    conversion: row.conversion,
  }));

export const parseMqlConversion = (rows: unknown): MqlConversion =>
  z.tuple([mqlConversionSchema]).parse(rows)[0];
