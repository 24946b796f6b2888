/**
 * Time values as ClickHouse's DateTime64(3, 'UTC') columns take them: `YYYY-MM-DD hh:mm:ss.sss`.
 * Every writer and every query parameter converts through here, so a timestamp means the same
 * instant on every path. It must never accept a timestamp without a zone (its meaning would
 * depend on the machine) or one outside DateTime64(3)'s range (ClickHouse would clamp it).
 */
// An explicit zone is required: without one, Date parses local time, which differs by machine.
const isoTimestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
// DateTime64(3) covers 1900-01-01 .. 2299-12-31.
const MIN_TIME = Date.UTC(1900, 0, 1);
const MAX_TIME = Date.UTC(2300, 0, 1);

// The form Tandem writes every timestamp in (Date#toISOString, `YYYY-MM-DDThh:mm:ss.sssZ`) is
// converted by slicing, after the checks Date.parse would make: the projector converts two per
// event. Anything else goes the general way below.
const daysInMonth = (year: number, month: number): number =>
  new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Digits at [from, to) of `text` as a number, or -1 when any is not a digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    value = value * 10 + code;
  }
  return value;
}

/** The converted text, null when out of range, undefined when not canonical. */
function canonicalToClickHouse(iso: string): string | null | undefined {
  if (iso.length !== 24 || iso[4] !== '-' || iso[7] !== '-' || iso[10] !== 'T') return undefined;
  if (iso[13] !== ':' || iso[16] !== ':' || iso[19] !== '.' || iso[23] !== 'Z') return undefined;
  const year = digits(iso, 0, 4);
  const month = digits(iso, 5, 7);
  const day = digits(iso, 8, 10);
  const hour = digits(iso, 11, 13);
  const minute = digits(iso, 14, 16);
  const second = digits(iso, 17, 19);
  if (year < 0 || digits(iso, 20, 23) < 0) return undefined;
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return undefined;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (day > 28 && day > daysInMonth(year, month)) return undefined;
  if (year < 1900 || year >= 2300) return null;
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** ISO-8601 with zone -> ClickHouse DateTime64(3) text in UTC; null when not representable. */
export function toClickHouseDateTime(iso: string): string | null {
  const canonical = canonicalToClickHouse(iso);
  if (canonical !== undefined) return canonical;
  if (!isoTimestampPattern.test(iso)) return null;
  const time = Date.parse(iso);
  if (Number.isNaN(time) || time < MIN_TIME || time >= MAX_TIME) return null;
  return new Date(time).toISOString().replace('T', ' ').replace('Z', '');
}
