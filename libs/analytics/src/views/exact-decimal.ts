/**
 * Exact arithmetic on decimal strings, for money coming out of ClickHouse Decimal columns.
 * Reconciliation adds lens rows up in TypeScript; doing that with JS numbers would invent
 * rounding differences (0.1 + 0.2) and make two equal totals disagree. Pure, no rounding:
 * it must never lose a digit.
 */

const decimalPattern = /^(-)?(\d+)(?:\.(\d+))?$/;

interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

export class InvalidDecimalError extends Error {
  constructor(readonly value: string) {
    super(`${JSON.stringify(value)} is not a decimal number`);
    this.name = 'InvalidDecimalError';
  }
}

function parse(value: string): Scaled {
  const match = decimalPattern.exec(value);
  if (match === null) throw new InvalidDecimalError(value);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const units = BigInt(`${whole}${fraction}`);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

function rescale(value: Scaled, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

function format({ units, scale }: Scaled): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  const body = fraction === '' ? whole : `${whole}.${fraction}`;
  return negative && body !== '0' ? `-${body}` : body;
}

/** Canonical form: no trailing fractional zeros, no `-0` (matches ClickHouse's toString). */
export function normalizeDecimal(value: string): string {
  return format(parse(value));
}

/** The exact sum of decimal strings, in canonical form; `0` for none. */
export function sumDecimals(values: readonly string[]): string {
  const parsed = values.map(parse);
  const scale = Math.max(0, ...parsed.map((value) => value.scale));
  const units = parsed.reduce((total, value) => total + rescale(value, scale), 0n);
  return format({ units, scale });
}

export function decimalsEqual(a: string, b: string): boolean {
  return normalizeDecimal(a) === normalizeDecimal(b);
}
