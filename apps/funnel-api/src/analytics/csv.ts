/**
 * RFC 4180 CSV for report rows: CRLF after every record, a header row first, and a field
 * quoted (quotes doubled) only when it holds a comma, a quote, CR or LF. Pure.
 *
 * Maps (money by currency, counts by reason, ROI by currency) are flattened to one column per
 * key, named `<column>.<key>` (e.g. `wonRevenue.EUR`, `rejectionReasons.no_budget`). The keys
 * are the union over all rows the header is built from, sorted, so every page of one query has
 * the same header. A key a row does not have, and a null, is an empty field; money stays the
 * exact decimal string the query returned. Values are written as they are: no formula escaping.
 */

type Cell = string | number | boolean | null | undefined | Readonly<Record<string, unknown>>;

export interface CsvColumn {
  /** The header of the field. */
  readonly header: string;
  readonly read: (row: object) => unknown;
}

const isMap = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The columns for `columns` over `rows`: scalar columns as they are, map columns expanded. */
export function csvColumns(columns: readonly string[], rows: readonly object[]): CsvColumn[] {
  const field = (row: object, name: string): unknown => (row as Record<string, unknown>)[name];
  return columns.flatMap((name): CsvColumn[] => {
    const values = rows.map((row) => field(row, name));
    if (!values.some(isMap)) return [{ header: name, read: (row) => field(row, name) }];
    const keys = [...new Set(values.flatMap((value) => (isMap(value) ? Object.keys(value) : [])))];
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map((key) => ({
      header: `${name}.${key}`,
      read: (row) => {
        const map = field(row, name);
        return isMap(map) ? map[key] : undefined;
      },
    }));
  });
}

/** One field, quoted when RFC 4180 requires it. */
export function csvField(value: unknown): string {
  const text = cellText(value as Cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value); // nested deeper than one map level: kept, not lost
}

/**
 * The CSV document for `body` rows: header built from `headerRows` (all rows of the query, so
 * pages agree), then one record per row of `body`.
 */
export function toCsv(
  columns: readonly string[],
  body: readonly object[],
  headerRows: readonly object[] = body,
): string {
  const fields = csvColumns(columns, headerRows);
  const records = [
    fields.map((column) => csvField(column.header)),
    ...body.map((row) => fields.map((column) => csvField(column.read(row)))),
  ];
  return records.map((record) => `${record.join(',')}\r\n`).join('');
}
