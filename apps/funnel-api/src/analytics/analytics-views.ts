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

/** A view of a row declared in @tandem/analytics: its columns and number columns come from there. */
const declaredView = <Row>(
  row: {
    readonly columns: readonly (keyof Row & string)[];
    readonly numeric: readonly (keyof Row & string)[];
  },
  spec: Omit<ViewSpec<Row>, 'columns' | 'numeric'>,
): ViewSpec<Row> => ({ ...spec, columns: row.columns, numeric: row.numeric });

export const views = {
  funnel: declaredView<FunnelStageRow>(funnelStageRow, {
    name: 'funnel',
    filters: [],
    plainArrayUnlessPaged: true,
  }),
  marketing: declaredView<MarketingLensRow>(marketingLensRow, {
    name: 'marketing',
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: true,
  }),
  sales: declaredView<SalesLensRow>(salesLensRow, {
    name: 'sales',
    filters: ['owner'],
    plainArrayUnlessPaged: true,
  }),
  attribution: declaredView<MarketingAttributionRow>(marketingAttributionRow, {
    name: 'marketing-attribution',
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: false,
  }),
  alignment: declaredView<AlignmentRow>(alignmentRow, {
    name: 'alignment',
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: false,
  }),
  timeInStage: declaredView<StageDurationRow>(stageDurationRow, {
    name: 'funnel-time-in-stage',
    filters: [],
    plainArrayUnlessPaged: false,
  }),
  cohorts: declaredView<CohortFunnelRow>(cohortFunnelRow, {
    name: 'funnel-cohorts',
    filters: [],
    plainArrayUnlessPaged: false,
  }),
  trend: declaredView<FunnelTrendRow>(funnelTrendRow, {
    name: 'funnel-trend',
    filters: ['channel', 'campaign'],
    plainArrayUnlessPaged: false,
  }),
  leads: declaredView<FunnelLeadRow>(funnelLeadRow, {
    name: 'funnel-leads',
    filters: ['channel', 'campaign', 'owner'],
    plainArrayUnlessPaged: false,
  }),
  accounts: declaredView<AccountLensRow>(accountLensRow, {
    name: 'accounts',
    filters: ['account'],
    plainArrayUnlessPaged: false,
  }),
  salesPerformance: declaredView<SalesPerformanceRow>(salesPerformanceRow, {
    name: 'sales-performance',
    filters: ['team', 'owner'],
    plainArrayUnlessPaged: false,
  }),
  targets: declaredView<TargetProgressRow>(targetProgressRow, {
    name: 'targets',
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
