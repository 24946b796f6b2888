/**
 * How each /analytics view becomes a response: its presentation (CSV columns and name, the row
 * filters it applies, whether it is one of the first four endpoints whose JSON stays a plain
 * array unless `limit` or `offset` is given), built from its declaration
 * (analytics-view.declarations.ts). Then `present`: filter → page → JSON or CSV.
 * Pure: rows in, a body out.
 */
import type { ReconciliationCheck } from '@tandem/analytics';
import { toCsv } from './csv';
import { DEFAULT_LIMIT, type Page, type PageWindow, paginate } from './pagination';
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

/** The reconciliation's CSV: its lens checks (its JSON is the whole verdict, not rows). */
export const reconciliationChecks: ViewSpec<ReconciliationCheck> = {
  name: 'reconciliation',
  columns: columns<ReconciliationCheck>()('metric', 'marketing', 'sales', 'events', 'ok'),
  numeric: ['marketing', 'sales', 'events'],
  filters: [],
  plainArrayUnlessPaged: true,
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

/**
 * The page a paged JSON request asks for: `limit` (default DEFAULT_LIMIT) rows from `offset`
 * (default 0), as `present` pages them.
 */
export function requestedPage(request: ViewRequest): { limit: number; offset: number } {
  return { limit: request.limit ?? DEFAULT_LIMIT, offset: request.offset ?? 0 };
}

/** A page already filtered, cut and counted by the query: JSON exactly as `present` answers it. */
export function presentPage<Row>(page: Page<Row>): Presented {
  return {
    kind: 'json',
    body: { items: page.items, total: page.total, limit: page.limit, offset: page.offset },
    page: { total: page.total, limit: page.limit, offset: page.offset },
  };
}
