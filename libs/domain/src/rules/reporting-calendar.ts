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
import clickHouseTimeZoneNames from './clickhouse-time-zones.json';

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

/**
 * Every zone name ClickHouse loads, as it spells them (tzdata's zones and links:
 * `Asia/Kolkata` and `Asia/Calcutta`, `US/Hawaii`, `UTC`): ClickHouse 26.7's (chDB 3.4)
 * `SELECT time_zone FROM system.time_zones WHERE time_zone != 'Factory' ORDER BY time_zone`.
 * funnel-rollups.int.spec.ts (libs/analytics) checks it against the chDB in use.
 */
export const CLICKHOUSE_TIME_ZONES: readonly string[] = clickHouseTimeZoneNames;

let exactNames: ReadonlyMap<string, string> | null = null;

/**
 * Lower-case name → exact name: the runtime's zones (Intl lists only ICU's canonical names,
 * `Asia/Calcutta` and not `Asia/Kolkata`, and no `UTC`), then ClickHouse's names over them.
 */
function exactNamesByLowerCase(): ReadonlyMap<string, string> {
  if (exactNames === null) {
    const names = new Map<string, string>();
    for (const name of [...Intl.supportedValuesOf('timeZone'), ...CLICKHOUSE_TIME_ZONES])
      names.set(name.toLowerCase(), name);
    exactNames = names;
  }
  return exactNames;
}

/**
 * The zone as the caller named it, in its exact letter case (`utc` → `UTC`, `us/hawaii` →
 * `US/Hawaii`, `asia/kolkata` → `Asia/Kolkata`). isIanaTimeZone takes a name in any case, as
 * the runtime does, but ClickHouse loads a zone by its exact name only. The name itself is
 * kept: the runtime's own spelling (ICU's) is for some zones the legacy link (`Asia/Kolkata`
 * → `Asia/Calcutta`, `Europe/Kyiv` → `Europe/Kiev`), and a view asked in one zone must answer
 * under that zone, not another's name. Only a name neither the runtime's list nor
 * ClickHouse's has (a zone newer than both lists) takes the runtime's spelling.
 * A published definition keeps the name it was published with (its hash depends on it).
 */
export function exactTimeZoneName(name: string): string {
  return (
    exactNamesByLowerCase().get(name.toLowerCase()) ??
    new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  );
}

let clickHouseNames: ReadonlySet<string> | null = null;

/**
 * A zone a view can group periods in: one isIanaTimeZone knows and ClickHouse loads, under
 * the name exactTimeZoneName gives it. The runtime (ICU) also knows names tzdata dropped or
 * never had, `SystemV/AST4` among them; ClickHouse refuses those, so a view asked in one
 * failed as a 500. A link ICU resolves to a zone ClickHouse has (`US/Pacific-New` →
 * `America/Los_Angeles`) is taken. The schema keeps isIanaTimeZone, for it also decodes the
 * versions already published; a query parameter and a definition to publish take this.
 */
export function isReportingTimeZone(name: string): boolean {
  if (!isIanaTimeZone(name)) return false;
  clickHouseNames ??= new Set(CLICKHOUSE_TIME_ZONES.map((zone) => zone.toLowerCase()));
  return clickHouseNames.has(exactTimeZoneName(name).toLowerCase());
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
    timeZone: exactTimeZoneName(section?.timeZone ?? DEFAULT_REPORTING_TIME_ZONE),
    fiscalYearStartMonth: section?.fiscalYearStartMonth ?? DEFAULT_FISCAL_YEAR_START_MONTH,
  };
}
