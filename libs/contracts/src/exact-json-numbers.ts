/**
 * Whether every number of a JSON text is read as it was written. JSON.parse reads a number
 * into the nearest double, silently: `1.00000000000000001` is read as 1 (and then passes the
 * "at most 4 decimals" rule of an amount), `9007199254740993` as 9007199254740992, `1e400` as
 * Infinity. The API's body parser and the importer's JSON Lines reader ask this first and
 * refuse such a number, naming its field and the text sent, so nothing is stored other than
 * it was sent; the CSV presets read a number cell with the same test (readsAsWritten).
 *
 * A number is exact when the decimal its text writes is the decimal of the double read (its
 * shortest round-trip spelling, String(value)): `1e3`, `100.50`, `1.000` and `0.1` are exact;
 * `-0` is zero and exact (it is stored as 0). It must never judge anything but numbers: what
 * a field may hold (decimals, range, integer) stays with the request schemas.
 */

/** A number of a JSON text that is not read as written: where, what was sent, what is read. */
export interface InexactJsonNumber {
  /** Dotted path of the field (`data.budget.amount`, `items.0`), `(body)` for the whole text. */
  readonly field: string;
  readonly sent: string;
  readonly read: number;
}

/**
 * A cheap test a text passes whenever it may hold an inexact number: a number of at most 15
 * significant digits and an exponent of at most two digits is always read exactly (a double
 * carries 15 decimal digits; 1e-99..1e99 is inside its normal range), and every longer one
 * writes 16 characters of digits and a point in a row, or an exponent of three digits. Text
 * inside strings matches too (a phone number): the full check, inexactJsonNumberOf, tells.
 */
const MAY_BE_INEXACT = /[0-9.]{16}|[eE][+-]?[0-9]{3}/;

export const mayHoldInexactNumber = (text: string): boolean => MAY_BE_INEXACT.test(text);

/** An inexact number, as the reviver marks it before the walk finds its path. */
class Inexact {
  constructor(
    readonly sent: string,
    readonly read: number,
  ) {}
}

/**
 * The first number of `text` (in document order) that is not read as written, or null when
 * every number is exact, or when `text` is not JSON (the caller's parse names that). Parses
 * only when mayHoldInexactNumber says it must, so the usual body costs one regular expression.
 */
export function inexactJsonNumberOf(text: string): InexactJsonNumber | null {
  if (!mayHoldInexactNumber(text)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, markInexact);
  } catch {
    return null;
  }
  return firstInexact(parsed, []);
}

/** The sentence a refusal says of one: what was sent and what it would have been read as. */
export const inexactNumberMessage = (number: InexactJsonNumber): string =>
  `must be a number read exactly as sent: ${number.sent} would be read as ${String(number.read)}`;

/**
 * The reviver: Node's JSON.parse hands it each number's source text (the JSON.parse source
 * text access of ES2026, on by default from Node 22). Where no source is given, nothing can
 * be told and the number is taken as read.
 */
function markInexact(this: unknown, _key: string, value: unknown, context?: { source?: string }) {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return readsAsWritten(context.source, value) ? value : new Inexact(context.source, value);
}

function firstInexact(value: unknown, path: readonly string[]): InexactJsonNumber | null {
  if (value instanceof Inexact) {
    return {
      field: path.length > 0 ? path.join('.') : '(body)',
      sent: value.sent,
      read: value.read,
    };
  }
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, child] of Object.entries(value)) {
    const found = firstInexact(child, [...path, key]);
    if (found !== null) return found;
  }
  return null;
}

const JSON_NUMBER = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * Whether `value` is the decimal `text` writes (a JSON number, or a CSV cell's plain decimal):
 * the double Number(text) reads, spelled back, names the same number.
 */
export const readsAsWritten = (text: string, value: number): boolean =>
  sameDecimal(text, String(value));

/**
 * Whether two spellings write one decimal. Each is reduced to its significant digits and a
 * power of ten (`100.50` and `1.005e2` are both 1005e-1); zero has no sign. A spelling that is
 * not a finite number (`Infinity`) writes no decimal.
 */
function sameDecimal(left: string, right: string): boolean {
  const a = decimalOf(left);
  return a !== null && a === decimalOf(right);
}

function decimalOf(text: string): string | null {
  const match = JSON_NUMBER.exec(text);
  if (match === null) return null;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  // BigInt: an exponent of any length is compared exactly (1e99999999999999999999).
  const power =
    BigInt(exponent) - BigInt(fraction.length) + BigInt(digits.length - significant.length);
  return `${sign}${significant}e${power}`;
}
