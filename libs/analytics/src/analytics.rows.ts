/**
 * The typed rows the analytics queries return, and the parsers that turn ClickHouse's JSON
 * into them. Parsing is strict on purpose: a view that changes shape fails loudly at this
 * boundary instead of handing the API `undefined`.
 *
 * ClickHouse's JSON output differs by setting between a server (64-bit integers quoted by
 * default) and chDB (unquoted), so counts accept both and become numbers (lead counts are far
 * below 2^53). Money is never a JS number: it stays an exact decimal string per currency.
 */
import { z } from 'zod';

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

export interface FunnelStageRow {
  /** 1-based order in the funnel. */
  readonly position: number;
  readonly stage: FunnelReportStage;
  /** Leads of the cohort that ever reached the stage. */
  readonly leads: number;
  readonly previousStage: FunnelReportStage | null;
  /** leads / leads of previousStage, rounded to 4 places; null without a predecessor count. */
  readonly conversion: number | null;
}

export interface MarketingLensRow {
  readonly channel: string;
  /** '' when the lead was captured without a campaign. */
  readonly campaign: string;
  readonly leads: number;
  readonly mqls: number;
  readonly handedToSales: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly sqls: number;
  readonly opportunities: number;
  readonly won: number;
  readonly wonRevenue: MoneyByCurrency;
  /** Amount of currently open opportunities. */
  readonly pipeline: MoneyByCurrency;
  /** mqls / leads. */
  readonly mqlRate: number | null;
  /** sqls / mqls. */
  readonly sqlRate: number | null;
}

export interface SalesLensRow {
  /** Owner of the lead's latest hand-off. */
  readonly owner: string;
  /** MQLs received. */
  readonly handedToSales: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly sqls: number;
  readonly opportunities: number;
  readonly won: number;
  readonly lost: number;
  readonly wonRevenue: MoneyByCurrency;
  readonly pipeline: MoneyByCurrency;
  /** accepted / handedToSales. */
  readonly acceptanceRate: number | null;
  /** won / leads whose opportunity closed (won or lost). */
  readonly winRate: number | null;
}

/** The totals both lenses share, which reconciliation compares. */
export interface SharedTotals {
  readonly handedToSales: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly opportunities: number;
  readonly won: number;
  readonly wonRevenue: MoneyByCurrency;
}

const count = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .refine((value) => Number.isSafeInteger(value), 'count exceeds 2^53'),
]);
const rate = z.number().nullable();
const money = z.record(z.string(), z.string().regex(/^-?\d+(\.\d+)?$/));
const stage = z.enum(funnelReportStages);

const funnelStageSchema = z
  .object({
    position: count,
    stage,
    leads: count,
    previous_stage: stage.nullable(),
    conversion: rate,
  })
  .transform((row): FunnelStageRow => ({
    position: row.position,
    stage: row.stage,
    leads: row.leads,
    previousStage: row.previous_stage,
    conversion: row.conversion,
  }));

const marketingLensSchema = z
  .object({
    channel: z.string(),
    campaign: z.string(),
    leads: count,
    mqls: count,
    handed_to_sales: count,
    accepted: count,
    rejected: count,
    sqls: count,
    opportunities: count,
    won: count,
    won_revenue: money,
    pipeline: money,
    mql_rate: rate,
    sql_rate: rate,
  })
  .transform((row): MarketingLensRow => ({
    channel: row.channel,
    campaign: row.campaign,
    leads: row.leads,
    mqls: row.mqls,
    handedToSales: row.handed_to_sales,
    accepted: row.accepted,
    rejected: row.rejected,
    sqls: row.sqls,
    opportunities: row.opportunities,
    won: row.won,
    wonRevenue: row.won_revenue,
    pipeline: row.pipeline,
    mqlRate: row.mql_rate,
    sqlRate: row.sql_rate,
  }));

const salesLensSchema = z
  .object({
    owner: z.string(),
    handed_to_sales: count,
    accepted: count,
    rejected: count,
    sqls: count,
    opportunities: count,
    won: count,
    lost: count,
    won_revenue: money,
    pipeline: money,
    acceptance_rate: rate,
    win_rate: rate,
  })
  .transform((row): SalesLensRow => ({
    owner: row.owner,
    handedToSales: row.handed_to_sales,
    accepted: row.accepted,
    rejected: row.rejected,
    sqls: row.sqls,
    opportunities: row.opportunities,
    won: row.won,
    lost: row.lost,
    wonRevenue: row.won_revenue,
    pipeline: row.pipeline,
    acceptanceRate: row.acceptance_rate,
    winRate: row.win_rate,
  }));

const sharedTotalsSchema = z
  .object({
    handed_to_sales: count,
    accepted: count,
    rejected: count,
    opportunities: count,
    won: count,
    won_revenue: money,
  })
  .transform((row): SharedTotals => ({
    handedToSales: row.handed_to_sales,
    accepted: row.accepted,
    rejected: row.rejected,
    opportunities: row.opportunities,
    won: row.won,
    wonRevenue: row.won_revenue,
  }));

export const parseFunnelStageRows = (rows: unknown): FunnelStageRow[] =>
  z.array(funnelStageSchema).parse(rows);
export const parseMarketingLensRows = (rows: unknown): MarketingLensRow[] =>
  z.array(marketingLensSchema).parse(rows);
export const parseSalesLensRows = (rows: unknown): SalesLensRow[] =>
  z.array(salesLensSchema).parse(rows);
export const parseSharedTotals = (rows: unknown): SharedTotals =>
  z.tuple([sharedTotalsSchema]).parse(rows)[0];
