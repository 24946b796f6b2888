/**
 * Binds a statement's `{name:Type}` parameters in this process, for the embedded read connection
 * (clickhouse.client.ts): chDB runs every statement it binds itself one at a time per process
 * (libchdb's parameter set/reset is process-wide, so chdb-node chains them), while a statement
 * without parameters runs beside the others. Each placeholder becomes a typed literal —
 * `CAST(<literal> AS Type)`, the literal written by @clickhouse/client-common's own formatter
 * (the one the HTTP client sends parameters with), an identifier backquoted — so the value is
 * read by ClickHouse's parser as one literal and never as SQL.
 *
 * It must never guess: a placeholder of a type not listed here, a missing parameter or a value
 * of the wrong kind is an error (InvalidQueryParameterValueError), and braces inside string
 * literals, quoted identifiers and comments are left alone. query-param-binder.int.spec.ts
 * checks it against chDB's own binding over random and adversarial values.
 */
import { formatQueryParams } from '@clickhouse/client-common';

export class InvalidQueryParameterValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQueryParameterValueError';
  }
}

/** How a placeholder's value becomes SQL: a scalar, an array of one, or Nullable of one. */
type Shape =
  | { readonly kind: 'identifier' }
  | { readonly kind: 'scalar'; readonly text: ScalarText }
  | { readonly kind: 'array'; readonly of: Shape }
  | { readonly kind: 'nullable'; readonly of: Shape };

/**
 * What a scalar's text must look like. Only a String takes any text; the others take what
 * chDB's own binding takes from Tandem's callers (unsigned digits, `YYYY-MM-DD`,
 * `YYYY-MM-DD hh:mm:ss[.fff]`), because a CAST would also read other forms (an ISO `T…Z`) that
 * the engine's binding refuses, and the two must agree.
 */
type ScalarText = 'string' | 'unsigned' | 'date' | 'datetime' | 'count';
const textForms: Readonly<Record<Exclude<ScalarText, 'string' | 'count'>, RegExp>> = {
  unsigned: /^[0-9]+$/,
  date: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/,
  datetime: /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?$/,
};

const string: Shape = { kind: 'scalar', text: 'string' };
const unsigned: Shape = { kind: 'scalar', text: 'unsigned' };
/**
 * An element of an array of unsigned integers: a JS number only (a safe integer, not negative),
 * as the attribution credits bind their weights; chDB's binding writes a string element quoted,
 * which such an array does not read, so no text is taken here either.
 */
const count: Shape = { kind: 'scalar', text: 'count' };

/**
 * The types the views bind (normalised: no whitespace outside quotes), and no other. A type is
 * added here only with values of it in the differential spec.
 */
const supportedTypes: ReadonlyMap<string, Shape> = new Map<string, Shape>([
  ['Identifier', { kind: 'identifier' }],
  ['String', string],
  ['UInt8', unsigned],
  ['UInt32', unsigned],
  ['UInt64', unsigned],
  ['Date', { kind: 'scalar', text: 'date' }],
  ['Date32', { kind: 'scalar', text: 'date' }],
  ['DateTime64(3)', { kind: 'scalar', text: 'datetime' }],
  ["DateTime64(3,'UTC')", { kind: 'scalar', text: 'datetime' }],
  ['Array(String)', { kind: 'array', of: string }],
  ['Array(UInt32)', { kind: 'array', of: count }],
  ['Array(UInt64)', { kind: 'array', of: count }],
  ['Nullable(String)', { kind: 'nullable', of: string }],
]);

/** `type` without whitespace outside its quoted parts: `DateTime64(3, 'UTC')` → `DateTime64(3,'UTC')`. */
function normaliseType(type: string): string {
  return type.replace(
    /('(?:[^'\\]|\\.)*')|\s+/g,
    (match, quoted: string | undefined) => quoted ?? '',
  );
}

/** What the formatter escapes in a string (tab, newline, carriage return, quote, backslash), and NUL. */
const escaped = /[\t\n\r'\\\0]/;

/**
 * The formatter's literal, with a NUL written out (`\\0`): the formatter leaves it raw, which
 * chDB 3.4 reads right (its statements are length-counted) but a C-string path would cut the
 * statement at.
 */
function literalOf(value: unknown): string {
  // The leads changed since a snapshot: thousands of ids per read, which the formatter copies
  // character by character (a tenth of the API's main thread at 2,000 events/s). A string with
  // nothing to escape is its own literal, quoted: the formatter writes exactly that.
  if (typeof value === 'string' && !escaped.test(value)) return `'${value}'`;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && !escaped.test(v))) {
    return `[${value.map((v: string) => `'${v}'`).join(',')}]`;
  }
  return formatQueryParams({
    value,
    wrapStringInQuotes: true,
    printNullAsKeyword: true,
  }).replaceAll('\0', '\\0');
}

function checkValue(value: unknown, shape: Shape, name: string): void {
  const wrong = (expected: string) =>
    new InvalidQueryParameterValueError(
      `query parameter ${name} must be ${expected}; got ${value === null ? 'null' : typeof value}`,
    );
  switch (shape.kind) {
    case 'identifier':
      if (typeof value !== 'string' || value === '' || value.includes('\0')) {
        throw wrong('a non-empty string without NUL');
      }
      return;
    case 'scalar':
      if (shape.text === 'string') {
        if (typeof value !== 'string') throw wrong('a string');
        return;
      }
      if (shape.text === 'unsigned' || shape.text === 'count') {
        if (shape.text === 'unsigned' && typeof value === 'bigint' && value >= 0n) return;
        if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return;
      }
      if (shape.text === 'count') throw wrong('a non-negative safe integer (a number)');
      if (typeof value !== 'string' || !textForms[shape.text].test(value)) {
        throw new InvalidQueryParameterValueError(
          `query parameter ${name} must match ${String(textForms[shape.text])}`,
        );
      }
      return;
    case 'array':
      if (!Array.isArray(value)) throw wrong('an array');
      for (const element of value as unknown[]) checkValue(element, shape.of, `${name}[]`);
      return;
    case 'nullable':
      if (value === null) return;
      checkValue(value, shape.of, name);
      return;
  }
}

/** The SQL that stands for one placeholder. */
function bindOne(name: string, type: string, params: Readonly<Record<string, unknown>>): string {
  const shape = supportedTypes.get(normaliseType(type));
  if (shape === undefined) {
    throw new InvalidQueryParameterValueError(
      `query parameter ${name} has type ${type}, which the in-process binder does not support`,
    );
  }
  if (!Object.hasOwn(params, name) || params[name] === undefined) {
    throw new InvalidQueryParameterValueError(`query parameter ${name} is missing`);
  }
  const value = params[name];
  checkValue(value, shape, name);
  if (shape.kind === 'identifier') {
    return `\`${(value as string).replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
  }
  return `CAST(${literalOf(value)} AS ${type})`;
}

/** Where a quoted part that starts at `start` (with `quote`) ends: past its closing quote. */
function skipQuoted(sql: string, start: number, quote: string): number {
  let at = start + 1;
  while (at < sql.length) {
    const char = sql[at];
    if (char === '\\') at += 2;
    else if (char === quote) {
      // A doubled quote is an escaped one.
      if (sql[at + 1] === quote) at += 2;
      else return at + 1;
    } else at += 1;
  }
  throw new InvalidQueryParameterValueError('the statement has an unterminated quoted part');
}

/** Where a block comment that starts at `start` ends; ClickHouse nests them. */
function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let at = start;
  while (at < sql.length) {
    if (sql.startsWith('/*', at)) {
      depth += 1;
      at += 2;
    } else if (sql.startsWith('*/', at)) {
      depth -= 1;
      at += 2;
      if (depth === 0) return at;
    } else at += 1;
  }
  throw new InvalidQueryParameterValueError('the statement has an unterminated comment');
}

function skipLine(sql: string, start: number): number {
  const end = sql.indexOf('\n', start);
  return end === -1 ? sql.length : end + 1;
}

// `{name:Type}` as ClickHouse reads a substitution: a name, a colon and a type, the type's own
// quoted parts (a time zone) skipped whole; whitespace allowed between the parts.
const placeholder = /\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*((?:'(?:[^'\\]|\\.)*'|[^{}'])+?)\s*\}/y;

/**
 * `sql` with every `{name:Type}` placeholder outside literals and comments replaced by its
 * value from `params` as a typed literal (identifiers backquoted). Throws
 * InvalidQueryParameterValueError on an unsupported type, a missing parameter, a value of the
 * wrong kind, or a statement whose quotes or comments do not close.
 */
export function bindQueryParams(sql: string, params: Readonly<Record<string, unknown>>): string {
  let bound = '';
  let copiedTo = 0;
  let at = 0;
  while (at < sql.length) {
    const char = sql[at];
    if (char === "'" || char === '"' || char === '`') at = skipQuoted(sql, at, char);
    else if (sql.startsWith('--', at)) at = skipLine(sql, at);
    else if (char === '#' && (sql[at + 1] === ' ' || sql[at + 1] === '!')) at = skipLine(sql, at);
    else if (sql.startsWith('/*', at)) at = skipBlockComment(sql, at);
    else if (char === '{') {
      placeholder.lastIndex = at;
      const match = placeholder.exec(sql);
      if (match === null) {
        at += 1;
        continue;
      }
      const [whole, name, type] = match as unknown as [string, string, string];
      bound += sql.slice(copiedTo, at) + bindOne(name, type, params);
      at += whole.length;
      copiedTo = at;
    } else at += 1;
  }
  return bound + sql.slice(copiedTo);
}
