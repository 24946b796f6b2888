/**
 * The dictionary's reporting calendar: the time zone every period grouping is computed in
 * (capture cohorts, the funnel trend, targets' periods) and the month the fiscal year starts,
 * so a week, a month or a fiscal quarter means the same thing to both teams and to every view.
 *
 * Both fields are optional and their defaults (UTC, January) are applied here, at evaluation,
 * never by the schema: a version published before the section existed parses to the content
 * it was hashed with, so its definition hash (and every rule set named by it) stays the same.
 * Pure: no clock, no I/O.
 */
import { z } from 'zod';

export const DEFAULT_REPORTING_TIME_ZONE = 'UTC';
export const DEFAULT_FISCAL_YEAR_START_MONTH = 1;

/**
 * An IANA zone name (`Europe/Rome`, `America/New_York`, `UTC`) the runtime's time-zone data
 * knows. Offsets such as `+01:00` are refused: ClickHouse groups by named zones only, and an
 * offset has no daylight-saving rules, so its weeks would drift from the business's.
 */
export function isIanaTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const spellings = new Map<string, string>();

/**
 * The zone's own name, as the runtime's time-zone data spells it (`utc` → `UTC`,
 * `europe/rome` → `Europe/Rome`, the alias `US/Hawaii` → `Pacific/Honolulu`). isIanaTimeZone
 * takes a name in any letter case and by its aliases, as the runtime does, but ClickHouse
 * loads a zone by its exact file name: a name validated here must reach it in this spelling.
 * A published definition keeps the name it was published with (its hash depends on it). For
 * some zones ICU's spelling is the legacy link (`Asia/Kathmandu` → `Asia/Katmandu`), which
 * ClickHouse loads too, with the same offsets.
 */
export function canonicalTimeZone(name: string): string {
  // Every view request asks this: one DateTimeFormat per zone, not per request. Keyed by the
  // lower-case name (the runtime reads zones in any case), so the map holds at most one entry
  // per zone the runtime knows, whatever casings callers send.
  const key = name.toLowerCase();
  let spelled = spellings.get(key);
  if (spelled === undefined) {
    spelled = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    spellings.set(key, spelled);
  }
  return spelled;
}

export const reportingSectionSchema = z.strictObject({
  timeZone: z
    .string()
    .refine(isIanaTimeZone, { message: 'must be an IANA time zone name, e.g. Europe/Rome or UTC' })
    .optional(),
  fiscalYearStartMonth: z
    .number()
    .int('must be a whole month number')
    .min(1, 'must be a month from 1 (January) to 12 (December)')
    .max(12, 'must be a month from 1 (January) to 12 (December)')
    .optional(),
});
export type ReportingSection = z.infer<typeof reportingSectionSchema>;

/** The calendar a definition reports in, defaults applied. */
export interface ReportingCalendar {
  readonly timeZone: string;
  /** 1 = January … 12 = December: the first month of fiscal quarter 1. */
  readonly fiscalYearStartMonth: number;
}

export function reportingCalendar(section: ReportingSection | undefined): ReportingCalendar {
  return {
    timeZone: canonicalTimeZone(section?.timeZone ?? DEFAULT_REPORTING_TIME_ZONE),
    fiscalYearStartMonth: section?.fiscalYearStartMonth ?? DEFAULT_FISCAL_YEAR_START_MONTH,
  };
}
