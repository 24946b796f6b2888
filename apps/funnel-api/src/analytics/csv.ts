/**
 * RFC 4180 CSV for report rows: CRLF after every record, a header row first, and a field
 * quoted (quotes doubled) only when it holds a comma, a quote, CR or LF. Pure.
 *
 * Maps (money by currency, counts by reason, ROI by currency) are flattened to one column per
 * key, named `<column>.<key>` (e.g. `wonRevenue.EUR`, `rejectionReasons.no_budget`). The keys
 * are the union over all rows the header is built from, sorted, so every page of one query has
 * the same header. A key a row does not have, and a null, is an empty field; money stays the
 * exact decimal string the query returned.
 *
 * CSV injection (OWASP): a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or
 * CR as a formula, and campaign, channel, owner and account names are typed by whoever captures
 * a lead. So every text cell with such a first character gets a leading `'` and is always
 * quoted. Whether a cell is text is decided by its column, never by what the value looks like:
 * a campaign named `-12.5` is text and is neutralised, a revenue of `-12.5` is a number and
 * stays one. Sniffing ("does it parse as a number?") would make the escaping depend on a
 * parser's idea of a number (`-1e3`, `-0x1`, `-1,5`, locales) and would hand a spreadsheet
 * text as a number; the row types already know which columns hold numbers. A number column
 * still never passes through a string that is not a plain decimal: that would break the row
 * contract, so such a cell is neutralised like text rather than trusted.
 */

type Cell = string | number | boolean | null | undefined | Readonly<Record<string, unknown>>;

/** `number`: counts, rates, exact decimal strings, or maps of them; `text`: everything else. */
export type CsvKind = 'text' | 'number';

export interface CsvColumn {
  /** The header of the field. */
  readonly header: string;
  readonly kind: CsvKind;
  readonly read: (row: object) => unknown;
}

const isMap = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The columns for `columns` over `rows`: scalar columns as they are, map columns expanded. The
 * columns named in `numeric` (and the keys of their maps) are numbers; every other is text.
 */
export function csvColumns(
  columns: readonly string[],
  rows: readonly object[],
  numeric: readonly string[] = [],
): CsvColumn[] {
  const field = (row: object, name: string): unknown => (row as Record<string, unknown>)[name];
  return columns.flatMap((name): CsvColumn[] => {
    const kind: CsvKind = numeric.includes(name) ? 'number' : 'text';
    const values = rows.map((row) => field(row, name));
    if (!values.some(isMap)) return [{ header: name, kind, read: (row) => field(row, name) }];
    const keys = [...new Set(values.flatMap((value) => (isMap(value) ? Object.keys(value) : [])))];
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.map((key) => ({
      header: `${name}.${key}`,
      kind,
      read: (row) => {
        const map = field(row, name);
        return isMap(map) ? map[key] : undefined;
      },
    }));
  });
}

/** First characters a spreadsheet takes as the start of a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** What a number column may hold as a string: an exact decimal, as the analytics rows give it. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * One field: quoted when RFC 4180 requires it; a text field that a spreadsheet would run as a
 * formula is prefixed with `'` and always quoted.
 */
export function csvField(value: unknown, kind: CsvKind = 'text'): string {
  const text = cellText(value as Cell);
  const trusted =
    kind === 'number' &&
    (typeof value === 'number' || (typeof value === 'string' && DECIMAL.test(text)));
  if (!trusted && FORMULA_START.test(text)) return quote(`'${text}`);
  return /[",\r\n]/.test(text) ? quote(text) : text;
}

const quote = (text: string): string => `"${text.replace(/"/g, '""')}"`;

function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value); // nested deeper than one map level: kept, not lost
}

/**
 * The CSV document for `body` rows: header built from `headerRows` (all rows of the query, so
 * pages agree), then one record per row of `body`. Columns named in `numeric` hold numbers;
 * all others are text and neutralised against formula injection.
 */
export function toCsv(
  columns: readonly string[],
  body: readonly object[],
  headerRows: readonly object[] = body,
  numeric: readonly string[] = [],
): string {
  const fields = csvColumns(columns, headerRows, numeric);
  const records = [
    fields.map((column) => csvField(column.header)),
    ...body.map((row) => fields.map((column) => csvField(column.read(row), column.kind))),
  ];
  return records.map((record) => `${record.join(',')}\r\n`).join('');
}
