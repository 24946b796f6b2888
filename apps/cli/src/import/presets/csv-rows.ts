/**
 * CSV exports as the presets read them: records keyed by header, each with the line it
 * ends on (for refusals), a content hash (for the import's checkpoint), and the two
 * value readers every preset needs. csv-parse does the parsing (quotes, embedded
 * commas and newlines, a BOM); the bytes must be UTF-8 (or UTF-16LE with its BOM) and the
 * header must name each column once. A header name is read without the spaces around it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { businessTimeSchema, readsAsWritten } from '@tandem/contracts';
import { COUNTRY_CODES, hiddenCharacterMessage, hiddenCharacterOf } from '@tandem/domain';
import { parse } from 'csv-parse/sync';
import { UsageError } from '../../usage-error';
import type { RowRef } from '../import-fact';
import { futureTimeProblem } from '../import-time';
import { assertUtf8 } from '../utf8-text';

export type Row = Readonly<Record<string, string>>;

export interface CsvFile {
  readonly file: string;
  readonly header: readonly string[];
  /** Each record, where it is: the line it starts on, and `lastLine` when it runs over more. */
  readonly rows: readonly { readonly row: Row; readonly where: RowRef }[];
  readonly hash: string;
}

/**
 * A CSV export's time cell as ISO-8601 in UTC, or null when the cell is empty or is not such
 * a time (readTime says why). Read strictly: `YYYY-MM-DD`, then optionally `T` or one space and
 * `HH:MM`, optional `:SS` and fraction, and an optional zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`); no
 * zone is UTC, a date alone is its midnight. A day the month does not have (`2025-02-30`), an
 * hour past 23, a locale's `01/06/2025` (January or June?), a spreadsheet serial number
 * (`45658`) or a bare `6` are not dates: JavaScript's lenient Date.parse would read them as some
 * other day, and an import must refuse what it cannot read rather than store a guess. A time
 * before 1900, from 2300, or in the future is not taken either, as in the canonical format: the
 * store would take it and the projector set it aside (a `9999-12-31` placeholder was imported,
 * never counted).
 */
export function time(value: string | undefined): string | null {
  const read = readTime(value);
  return read.ok ? read.at : null;
}

export type TimeCell =
  { readonly ok: true; readonly at: string } | { readonly ok: false; readonly problem: string };

/**
 * A time cell read (time), or what is wrong with it, as the end of a sentence naming the cell:
 * `is not a date`, `is not a date from 1900 to 2299`, or `is in the future: after <now> …`
 * (futureTimeProblem), a well-formed date ahead of the clock being no typo to look for.
 */
export function readTime(value: string | undefined): TimeCell {
  const match = EXPORT_TIME.exec((value ?? '').trim());
  if (match === null) return { ok: false, problem: 'is not a date' };
  const [, date, hoursMinutes = '00:00', seconds = ':00', zone] = match;
  const iso = `${date}T${hoursMinutes}${seconds}${isoZone(zone ?? 'Z')}`;
  const valid = businessTimeSchema.safeParse(iso);
  if (!valid.success) {
    const isoFormat = valid.error.issues.some((issue) => issue.code === 'invalid_format');
    return { ok: false, problem: isoFormat ? 'is not a date' : 'is not a date from 1900 to 2299' };
  }
  const future = futureTimeProblem(iso, zone !== undefined);
  if (future !== null) return { ok: false, problem: future };
  return { ok: true, at: new Date(Date.parse(iso)).toISOString() };
}

/** Why a time cell a fact hangs on cannot be read: `<column> "<cell>" <readTime's problem>`. */
export function timeRefusal(column: string, value: string | undefined): string {
  const read = readTime(value);
  return `${column} ${JSON.stringify(value ?? '')} ${read.ok ? 'is a date' : read.problem}`;
}

const EXPORT_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,9})?)? ?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** `Z`, `+01`, `+0100` → `Z`, `+01:00`, `+01:00`. */
const isoZone = (zone: string): string =>
  zone === 'Z' ? zone : `${zone.slice(0, 3)}:${zone.slice(3).replace(':', '') || '00'}`;

/**
 * The first of `columns` whose cell is not empty and yet `read` cannot read (it gives null or
 * undefined), as a refusal reason `<column> "<cell>" is not <what>`; null when every one reads
 * or is empty. A cell a preset cannot read refuses the lead: leaving the fact out would import
 * another history (an MQL date dropped makes a lead sales-sourced).
 */
function unreadableCell(
  row: Row,
  columns: readonly string[],
  read: (value: string | undefined) => unknown,
  what: string,
): string | null {
  return firstProblem(row, columns, (value) =>
    (read(value) ?? null) === null ? `is not ${what}` : null,
  );
}

/** The first of `columns` whose cell is not empty and has a `problem`, as `<column> "<cell>" <problem>`. */
function firstProblem(
  row: Row,
  columns: readonly string[],
  problem: (value: string | undefined) => string | null,
): string | null {
  for (const name of columns) {
    if (text(row[name]) === null) continue;
    const found = problem(row[name]);
    if (found !== null) return `${name} ${JSON.stringify(row[name])} ${found}`;
  }
  return null;
}

/** The first of `columns` holding something that is not a time it can take (readTime). */
export function unreadableTime(row: Row, columns: readonly string[]): string | null {
  return firstProblem(row, columns, (value) => {
    const read = readTime(value);
    return read.ok ? null : read.problem;
  });
}

/**
 * The first of `columns` whose cell holds a character a label, name or id of a new fact must
 * not hold (hiddenCharacterOf, libs/domain text.ts: U+FEFF, U+200B, a bidi control …), as a
 * refusal reason naming the column and the code point, never the cell (a person's name). The
 * API and the JSON Lines reader refuse them; a CSV cell was trimmed whole, and trim() takes
 * U+FEFF for a space, so `\uFEFFweb` was imported as `web`, and the presets' table keys
 * (sourceKey, `Web\u200B` → `web`) dropped any of them. A preset asks it of every cell it
 * reads, before anything else of the row, and refuses the row's lead.
 */
export function hiddenCharacterCell(row: Row, columns: readonly string[]): string | null {
  for (const name of columns) {
    const codePoint = hiddenCharacterOf(row[name] ?? '');
    if (codePoint !== null) return `${name} ${hiddenCharacterMessage(codePoint)}`;
  }
  return null;
}

export const text = (value: string | undefined): string | null => {
  const trimmed = (value ?? '').trim();
  return trimmed === '' ? null : trimmed;
};

/**
 * A number cell as a plain decimal (`420`, `25500.50`, `-3`); null when empty or anything
 * else. Number() would read `0x1A4` as 420 and `1e3` as 1000, and give NaN for `1,200` or
 * `25.500,00` (a thousands separator, a decimal comma), which a preset then left out: which
 * of those an export meant cannot be known, so a preset refuses them (unreadableNumber). So
 * is a decimal of more digits than a number keeps (`1.00000000000000001` would be read as 1,
 * an amount of no decimals; readsAsWritten in libs/contracts).
 */
export function decimal(value: string | undefined): number | null {
  const cell = text(value);
  if (cell === null || !DECIMAL.test(cell)) return null;
  const number = Number(cell);
  return readsAsWritten(cell, number) ? number : null;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Why an opportunity's empty amount cell refuses its lead: an opportunity is opened with an
 * amount above 0, and the decider's `amount: must be greater than 0` named no empty cell.
 */
export const EMPTY_AMOUNT = (column: string): string =>
  `${column} is empty: an opportunity is opened with its amount (more than 0)`;

/** Like unreadableTime, for number columns. */
export function unreadableNumber(row: Row, columns: readonly string[]): string | null {
  return unreadableCell(row, columns, decimal, 'a number');
}

/**
 * A yes/no cell: `true`/`yes`/`1` or `false`/`no`/`0` in any case; null when empty; undefined
 * for any other word, which a preset refuses (unreadableYesNo) rather than read as either.
 */
export function yesNo(value: string | undefined): boolean | null | undefined {
  const cell = text(value);
  if (cell === null) return null;
  if (/^(true|yes|1)$/i.test(cell)) return true;
  return /^(false|no|0)$/i.test(cell) ? false : undefined;
}

/** Like unreadableTime, for yes/no columns. */
export function unreadableYesNo(row: Row, columns: readonly string[]): string | null {
  return unreadableCell(row, columns, yesNo, 'a yes/no value');
}

/**
 * A country cell as its ISO 3166-1 alpha-2 code: the code itself (`IT`, `it`) or the English
 * name a CRM exports (`Italy`, `united states`, `UK`, `Cote d'Ivoire`), read without regard to
 * case, spaces or accents; null when empty; undefined for anything else, which a preset refuses
 * (unreadableCountry): the lead's company would otherwise lose its country, and the ICP rules
 * that weigh it.
 */
export function country(value: string | undefined): string | null | undefined {
  const cell = text(value);
  return cell === null ? null : countryCodes().get(countryKey(cell));
}

/** Like unreadableTime, for country columns. */
export function unreadableCountry(row: Row, columns: readonly string[]): string | null {
  return unreadableCell(
    row,
    columns,
    country,
    'a country: an ISO 3166-1 alpha-2 code or its English name',
  );
}

const countryKey = (name: string): string =>
  name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[’‘`]/g, "'")
    .replace(/[\s.]+/g, '')
    .toLowerCase();

/**
 * Names CRMs export that ICU's English names do not give: everyday ones (`USA`, `Turkey`,
 * `Czech Republic`, `Holland`) and ISO 3166's formal names, which Salesforce's country
 * picklists use (`Korea, Republic of`, `Russian Federation`, `Viet Nam`). Dots and spaces are
 * ignored as in every name (`U.S.A.`).
 */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = {
  USA: 'US',
  'United States of America': 'US',
  America: 'US',
  'Great Britain': 'GB',
  England: 'GB',
  Scotland: 'GB',
  Wales: 'GB',
  'Northern Ireland': 'GB',
  'United Kingdom of Great Britain and Northern Ireland': 'GB',
  Turkey: 'TR',
  'Czech Republic': 'CZ',
  Holland: 'NL',
  'The Netherlands': 'NL',
  'Netherlands, Kingdom of the': 'NL',
  Korea: 'KR',
  'Republic of Korea': 'KR',
  'Korea, Republic of': 'KR',
  "Korea, Democratic People's Republic of": 'KP',
  'Russian Federation': 'RU',
  'Viet Nam': 'VN',
  'Iran, Islamic Republic of': 'IR',
  'Syrian Arab Republic': 'SY',
  "Lao People's Democratic Republic": 'LA',
  'Moldova, Republic of': 'MD',
  'Tanzania, United Republic of': 'TZ',
  'Venezuela, Bolivarian Republic of': 'VE',
  'Bolivia, Plurinational State of': 'BO',
  'Taiwan, Province of China': 'TW',
  'Macedonia, the former Yugoslav Republic of': 'MK',
  Macedonia: 'MK',
  'Congo, the Democratic Republic of the': 'CD',
  'Micronesia, Federated States of': 'FM',
  'Palestine, State of': 'PS',
  'Holy See (Vatican City State)': 'VA',
  'Vatican City': 'VA',
  'Virgin Islands, British': 'VG',
  'Virgin Islands, U.S.': 'VI',
  'Brunei Darussalam': 'BN',
  'Falkland Islands (Malvinas)': 'FK',
  'Ivory Coast': 'CI',
  Swaziland: 'SZ',
  Burma: 'MM',
  UAE: 'AE',
  Macau: 'MO',
};

/**
 * Code and English names (ICU's long and short: `United Kingdom`, `UK`) → code, for the codes
 * a new fact may name (libs/domain's COUNTRY_CODES: the 249 assigned ISO 3166-1 codes and XK),
 * the ones the API takes. ICU also names reserved or withdrawn codes (`EU`, `UK`, `YU` …),
 * which no lead's company is in: only the names of these codes are read.
 */
const countryCodes = (() => {
  let codes: Map<string, string> | null = null;
  return (): Map<string, string> => {
    if (codes !== null) return codes;
    codes = new Map();
    const names = ['long', 'short'].map(
      (style) =>
        new Intl.DisplayNames(['en'], { type: 'region', style: style as 'long', fallback: 'none' }),
    );
    for (const code of COUNTRY_CODES) {
      codes.set(countryKey(code), code);
      for (const name of names) codes.set(countryKey(name.of(code) ?? code), code);
    }
    for (const [name, code] of Object.entries(COUNTRY_ALIASES)) codes.set(countryKey(name), code);
    return codes;
  };
})();

/**
 * The columns a preset reads, against a CSV's header. A column it needs (a lead's id, a time
 * every fact hangs on) missing is a usage error naming it: nothing could be read right. An
 * optional column missing (a partial export, a saved view without some columns) leaves what
 * it holds out of every lead, so it is said once, as a note for stderr; never silently.
 */
export function presetColumns(
  preset: string,
  csv: CsvFile,
  columns: { readonly required: readonly string[]; readonly optional: readonly string[] },
): string[] {
  const missing = columns.required.find((name) => !csv.header.includes(name));
  if (missing !== undefined) {
    throw new UsageError(
      `${csv.file}: the ${preset} preset needs column ${JSON.stringify(missing)}, which the header does not have`,
    );
  }
  const absent = columns.optional.filter((name) => !csv.header.includes(name)).sort();
  if (absent.length === 0) return [];
  const names = absent.map((name) => JSON.stringify(name)).join(', ');
  return [`${csv.file}: no column ${names}: imported without what they hold`];
}

export async function readCsv(file: string): Promise<CsvFile> {
  const bytes = await readFile(file);
  if (!startsWithUtf16Bom(bytes)) assertUtf8(file, bytes);
  // The header as csv-parse reads it, rows or none: an export with no rows yet (a header only)
  // is an export of nothing, not a file without the preset's columns.
  let header: string[] | null = null;
  // With `info`, csv-parse yields { record, info } per row; its typings do not say so.
  const parsed: unknown = parse(bytes, {
    columns: (names: string[]) => (header = uniqueHeader(file, names)),
    skip_empty_lines: true,
    bom: true,
    info: true,
  });
  const records = parsed as readonly { record: Row; info: { lines: number } }[];
  if (header === null) {
    throw new UsageError(`${file}: the file is empty: a CSV export starts with its header row`);
  }
  const spans = recordSpans(decoded(bytes));
  // One span per record, the header's first, for a file csv-parse read as RFC 4180 says; for
  // any other (mixed line ends), csv-parse's own count of the line a record ends on.
  const fits = spans.length === records.length + 1;
  return {
    file,
    header,
    rows: records.map(({ record, info }, index) => {
      const span = fits ? spans[index + 1] : undefined;
      if (span === undefined) return { row: record, where: { file, line: info.lines } };
      const where: RowRef =
        span.last === span.first
          ? { file, line: span.first }
          : { file, line: span.first, lastLine: span.last };
      return { row: record, where };
    }),
    hash: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** The file's text as csv-parse reads it (bom: UTF-8, or UTF-16LE by its byte order mark). */
const decoded = (bytes: Buffer): string =>
  startsWithUtf16Bom(bytes)
    ? bytes.subarray(2).toString('utf16le')
    : bytes.toString('utf8').replace(/^\uFEFF/, '');

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * The lines each record of a CSV text spans, header first, counted as an editor counts them
 * (LF, CRLF or CR ends a line). A refused row is named by the line it starts on, where a person
 * looks for it: a quoted cell holding line breaks (an address, a note) makes the record end
 * lines later, and csv-parse's `info.lines` is the line it ends on — in a CRLF file (Excel's)
 * counting each line break inside quotes twice. A line break outside quotes ends a record;
 * empty lines are none (skip_empty_lines). Quotes toggle: a `""` inside a quoted cell toggles
 * twice, and csv-parse refuses a quote that opens anywhere but at a cell's start.
 */
function recordSpans(text: string): { first: number; last: number }[] {
  const spans: { first: number; last: number }[] = [];
  let line = 1;
  let quoted = false;
  let first: number | null = null;
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (char !== CR && char !== LF) {
      if (char === QUOTE) quoted = !quoted;
      first ??= line;
      continue;
    }
    if (char === CR && text.charCodeAt(at + 1) === LF) at++;
    if (!quoted && first !== null) {
      spans.push({ first, last: line });
      first = null;
    }
    line += 1;
  }
  if (first !== null) spans.push({ first, last: line });
  return spans;
}

/** csv-parse reads a UTF-16LE file by its byte order mark (Excel's "Unicode text"). */
const startsWithUtf16Bom = (bytes: Uint8Array): boolean => bytes[0] === 0xff && bytes[1] === 0xfe;

/**
 * The header's names without the spaces around them: CRM exports and hand-edited sheets
 * write `Email ` or ` Deal Stage`, and read as written such a file was "neither a contacts
 * nor a deals export", or its mapped column "not in the header", though a person sees the
 * column. A column's name is what it is called, not a value imported, so nothing is altered
 * by reading it trimmed; the cells stay as they are.
 *
 * A header naming a column twice (trimmed, so `Email` and `Email `) is refused: a row keyed
 * by header keeps one of the two cells (csv-parse keeps the last) and drops the other
 * without a word, so which value is imported would depend on the column order, not on what
 * the file means.
 */
function uniqueHeader(file: string, names: readonly string[]): string[] {
  const trimmed = names.map((name) => name.trim());
  // Unnamed columns (a spreadsheet's trailing empty ones) hold nothing a preset reads.
  const twice = trimmed.findIndex((name, at) => name !== '' && trimmed.indexOf(name) !== at);
  if (twice >= 0) {
    const name = trimmed[twice] ?? '';
    const spelt =
      names[twice] === names[trimmed.indexOf(name)] ? '' : ' (once with spaces around it)';
    throw new UsageError(
      `${file}: the header names column ${JSON.stringify(name)} twice${spelt}; rename or remove one`,
    );
  }
  return trimmed;
}
