/**
 * How each /analytics view becomes a response: its columns (CSV header order), the row
 * filters it can apply, and whether it is one of the first four endpoints whose JSON stays a
 * plain array unless `limit` or `offset` is given. Then `present`: filter → page → JSON or CSV.
 * Pure: rows in, a body out.
 */
import {
  accountLensRow,
  alignmentRow,
  funnelStageRow,
  marketingAttributionRow,
  cohortFunnelRow,
  funnelLeadRow,
  funnelTrendRow,
  marketingLensRow,
  salesLensRow,
  salesPerformanceRow,
  stageDurationRow,
  targetProgressRow,
  type AccountLensRow,
  type AlignmentRow,
  type CohortFunnelRow,
  type FunnelLeadRow,
  type FunnelStageRow,
  type FunnelTrendRow,
  type MarketingAttributionRow,
  type MarketingLensRow,
  type ReconciliationCheck,
  type SalesLensRow,
  type SalesPerformanceRow,
  type StageDurationRow,
  type TargetProgressRow,
} from '@tandem/analytics';
import { toCsv } from './csv';
import { type PageWindow, paginate } from './pagination';
import type { ResponseFormat } from './response-format';
import { filterRows, type RowFilter } from './row-filter';

export interface ViewSpec<Row> {
  /** File name stem for CSV downloads. */
  readonly name: string;
  /** Every field of Row, in CSV order (checked by the compiler). */
  readonly columns: readonly (keyof Row & string)[];
  /**
   * The columns holding numbers (counts, rates, exact decimal strings, maps of them): CSV writes
   * them as they are. Every other column is text, neutralised against formula injection.
   */
  readonly numeric: readonly (keyof Row & string)[];
  readonly filters: readonly (RowFilter & keyof Row)[];
  /** JSON is the bare array unless limit/offset is given (backward compatible endpoints). */
  readonly plainArrayUnlessPaged: boolean;
}

/** Columns listed must be exactly the keys of Row: a field added to a row type fails here. */
const columns =
  <Row>() =>
  <const Listed extends readonly (keyof Row & string)[]>(
    ...listed: Listed & (Exclude<keyof Row, Listed[number]> extends never ? unknown : never)
  ): readonly (keyof Row & string)[] =>
    listed;

const view = <Row>(spec: ViewSpec<Row>): ViewSpec<Row> => spec;

// Columns and number columns come from each row's one declaration in @tandem/analytics.
export const views = {
  funnel: view<FunnelStageRow>({
    name: 'funnel',
    columns: funnelStageRow.columns,
    numeric: funnelStageRow.numeric,
    filters: [],
    plainArrayUnlessPaged: true,
  }),
  marketing: view<MarketingLensRow>({
    name: 'marketing',
    columns: marketingLensRow.columns,
    numeric: marketingLensRow.numeric,
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: true,
  }),
  sales: view<SalesLensRow>({
    name: 'sales',
    columns: salesLensRow.columns,
    numeric: salesLensRow.numeric,
    filters: ['owner'],
    plainArrayUnlessPaged: true,
  }),
  attribution: view<MarketingAttributionRow>({
    name: 'marketing-attribution',
    columns: marketingAttributionRow.columns,
    numeric: marketingAttributionRow.numeric,
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: false,
  }),
  alignment: view<AlignmentRow>({
    name: 'alignment',
    columns: alignmentRow.columns,
    numeric: alignmentRow.numeric,
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: false,
  }),
  timeInStage: view<StageDurationRow>({
    name: 'funnel-time-in-stage',
    columns: stageDurationRow.columns,
    numeric: stageDurationRow.numeric,
    filters: [],
    plainArrayUnlessPaged: false,
  }),
  cohorts: view<CohortFunnelRow>({
    name: 'funnel-cohorts',
    columns: cohortFunnelRow.columns,
    numeric: cohortFunnelRow.numeric,
    filters: [],
    plainArrayUnlessPaged: false,
  }),
  trend: view<FunnelTrendRow>({
    name: 'funnel-trend',
    columns: funnelTrendRow.columns,
    numeric: funnelTrendRow.numeric,
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: false,
  }),
  leads: view<FunnelLeadRow>({
    name: 'funnel-leads',
    columns: funnelLeadRow.columns,
    numeric: funnelLeadRow.numeric,
    filters: ['channel', 'campaign', 'owner'],
    plainArrayUnlessPaged: false,
  }),
  accounts: view<AccountLensRow>({
    name: 'accounts',
    columns: accountLensRow.columns,
    numeric: accountLensRow.numeric,
    filters: ['account'],
    plainArrayUnlessPaged: false,
  }),
  salesPerformance: view<SalesPerformanceRow>({
    name: 'sales-performance',
    columns: salesPerformanceRow.columns,
    numeric: salesPerformanceRow.numeric,
    filters: ['team', 'owner'],
    plainArrayUnlessPaged: false,
  }),
  targets: view<TargetProgressRow>({
    name: 'targets',
    columns: targetProgressRow.columns,
    numeric: targetProgressRow.numeric,
    filters: ['team', 'owner'],
    plainArrayUnlessPaged: false,
  }),
  reconciliationChecks: view<ReconciliationCheck>({
    name: 'reconciliation',
    columns: columns<ReconciliationCheck>()('metric', 'marketing', 'sales', 'events', 'ok'),
    numeric: ['marketing', 'sales', 'events'],
    filters: [],
    plainArrayUnlessPaged: true,
  }),
};

export interface ViewRequest {
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
  readonly channel?: string | undefined;
  readonly campaign?: string | undefined;
  readonly owner?: string | undefined;
  readonly team?: string | undefined;
  readonly account?: string | undefined;
}

/** `page` is set when the answer is one page of the matches (the Link header follows it). */
export type Presented =
  | { readonly kind: 'json'; readonly body: unknown; readonly page?: PageWindow }
  | {
      readonly kind: 'csv';
      readonly body: string;
      readonly filename: string;
      readonly total: number;
      readonly page: PageWindow;
    };

/**
 * Filters the rows, then pages them: JSON `{ items, total, limit, offset }` (or the bare
 * filtered array for the backward-compatible endpoints when no limit/offset is given); CSV the
 * page with a header row built from every filtered row, so all pages share one header.
 */
export function present<Row extends object>(
  spec: ViewSpec<Row>,
  rows: readonly Row[],
  request: ViewRequest,
  format: ResponseFormat,
): Presented {
  const criteria: Partial<Record<keyof Row, string | undefined>> = {};
  for (const name of spec.filters) criteria[name] = request[name];
  const matching = filterRows(rows, criteria);
  const paged = request.limit !== undefined || request.offset !== undefined;
  if (format === 'json' && spec.plainArrayUnlessPaged && !paged) {
    return { kind: 'json', body: matching };
  }
  const page = paginate(matching, request.limit, request.offset);
  const window = { total: page.total, limit: page.limit, offset: page.offset };
  if (format === 'json') return { kind: 'json', body: page, page: window };
  return {
    kind: 'csv',
    body: toCsv(spec.columns, page.items, matching, spec.numeric),
    filename: `tandem-${spec.name}.csv`,
    total: page.total,
    page: window,
  };
}
