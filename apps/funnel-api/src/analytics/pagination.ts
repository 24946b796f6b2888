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
