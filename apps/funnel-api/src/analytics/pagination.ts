/** Offset pagination over rows already read and filtered. Pure. */

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface Page<Row> {
  readonly items: Row[];
  /** Rows matching the query before paging. */
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}

export function paginate<Row>(
  rows: readonly Row[],
  limit: number = DEFAULT_LIMIT,
  offset: number = 0,
): Page<Row> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`limit must be an integer in [1, ${MAX_LIMIT}]; got ${limit}`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`offset must be a non-negative integer; got ${offset}`);
  }
  return { items: rows.slice(offset, offset + limit), total: rows.length, limit, offset };
}

/** Where a page sits among the matching rows: all `pageLinks` needs. */
export type PageWindow = Pick<Page<unknown>, 'total' | 'limit' | 'offset'>;

/**
 * The RFC 8288 `Link` header value of a page: `first`, and `prev` / `next` where such a page
 * has rows, each the request's own path and query with only `offset` and `limit` changed (so
 * filters, format and rule set carry over). References are relative to the request, as RFC
 * 8288 §3.1 allows, so they hold behind any proxy that keeps the path.
 */
export function pageLinks(requestUrl: string, page: PageWindow): string {
  const at = (offset: number): string => {
    const url = new URL(requestUrl, 'http://tandem.invalid');
    url.searchParams.set('limit', String(page.limit));
    url.searchParams.set('offset', String(offset));
    return `${url.pathname}${url.search}`;
  };
  const links = [`<${at(0)}>; rel="first"`];
  if (page.offset > 0) {
    // A page before the first full one starts at 0: `prev` never skips rows.
    links.push(`<${at(Math.max(0, page.offset - page.limit))}>; rel="prev"`);
  }
  if (page.offset + page.limit < page.total) {
    links.push(`<${at(page.offset + page.limit)}>; rel="next"`);
  }
  return links.join(', ');
}
