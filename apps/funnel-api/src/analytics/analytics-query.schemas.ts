/**
 * The pieces every /analytics query string is made of, and `viewQuerySchema`, which builds a
 * view's one strict zod schema from the parameters its declaration names
 * (analytics-view.declarations.ts): an unknown parameter, a filter a view cannot apply, or a
 * malformed value is a 400 naming it. Everything here is a value; none of it is ever spliced
 * into SQL (the capture window, model, grain, calendar and asOf travel as ClickHouse query
 * parameters; the row filters run in TypeScript).
 */
import { isReportingTimeZone, MAX_RULES_VERSION } from '@tandem/domain';
import { z } from 'zod';
import { DEFAULT_LIMIT, MAX_LIMIT } from './pagination';
import { responseFormats } from './response-format';
import type { RowFilter } from './row-filter';

// What AnalyticsQueries accepts for a capture window bound or asOf (DateTime64 range).
const isoWithZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const EARLIEST = Date.UTC(1900, 0, 1);
const AFTER_LATEST = Date.UTC(2300, 0, 1);

export function isTimestampWithZone(value: string): boolean {
  if (!isoWithZone.test(value) || !isRealDayAndHour(value)) return false;
  const time = Date.parse(value);
  return !Number.isNaN(time) && time >= EARLIEST && time < AFTER_LATEST;
}

/**
 * Date.parse refuses a month 13 or a minute 60 but rolls a day the month lacks (2025-02-30,
 * 2025-04-31) and hour 24 over to the next day: a query would silently count another window.
 */
function isRealDayAndHour(value: string): boolean {
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7)); // 1-12: Date.parse refuses other months
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return Number(value.slice(8, 10)) <= daysInMonth && Number(value.slice(11, 13)) <= 23;
}

export const timestamp = (description: string) =>
  z
    .string()
    .refine(isTimestampWithZone, {
      message: 'must be an ISO-8601 timestamp with a zone (Z or ±hh:mm), years 1900-2299',
    })
    .describe(description);

// A digit string of any length is a whole number: one past the bound (offset=1000000000) is
// refused for its size, not told it is not a number. Past 2^53 it is still above every max.
const wholeNumber = (
  min: number,
  max: number,
  description: string,
  digits: { pattern: RegExp; message: string } = {
    pattern: /^\d+$/,
    message: 'must be a whole number',
  },
) =>
  z
    .string()
    .regex(digits.pattern, digits.message)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .describe(description);

/**
 * A rules version as a URL spells it, in a path (`GET /definitions/3`) or a query
 * (`?rulesVersion=3`): a number a version may have, 1 to MAX_RULES_VERSION, in digits without a
 * leading zero, so a version has one spelling. The one definition of it both use.
 */
export const rulesVersionInUrl = (description: string) =>
  wholeNumber(1, MAX_RULES_VERSION, description, {
    pattern: /^(0|[1-9]\d*)$/,
    message: 'must be a whole number without leading zeros',
  });

const filter = (what: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(500)
    .describe(`Only rows whose ${what} is exactly this (case-sensitive; applied to the rows)`);

const common = {
  format: z
    .enum(responseFormats)
    .optional()
    .describe('json (default) or csv; overrides the Accept header (text/csv also selects CSV)'),
  limit: wholeNumber(
    1,
    MAX_LIMIT,
    `Page size, default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT}`,
  ).optional(),
  offset: wholeNumber(0, 999_999_999, 'Rows to skip, default 0').optional(),
};

/**
 * Which rule set and which business time a view is computed under (every funnel view):
 * rulesVersion alone names a published version, with definitionHash any kept set (a what-if's
 * shadow); neither, the active set. The response names the set in X-Tandem-Rules-Version and
 * X-Tandem-Definition-Hash.
 */
const rules = {
  rulesVersion: rulesVersionInUrl(
    'Rules version to compute under (a kept version); default the active one',
  ).optional(),
  definitionHash: z
    .string()
    .regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits')
    .describe("With rulesVersion: a kept set by its definition's hash (e.g. a what-if shadow)")
    .optional(),
};

const asOf = timestamp(
  'Business time: only events that occurred up to it count (ISO-8601 with a zone); default all events',
).optional();

const captureWindow = {
  capturedFrom: timestamp(
    'Capture cohort start, inclusive: leads whose LeadCaptured time is at or after it (ISO-8601 with a zone)',
  ).optional(),
  capturedTo: timestamp(
    'Capture cohort end, exclusive: leads captured before it (ISO-8601 with a zone)',
  ).optional(),
};

const filters = {
  channel: filter('capture channel').optional(),
  campaign: filter('capture campaign').optional(),
  owner: filter('sales owner').optional(),
  team: filter('sales team').optional(),
  account: filter('account id').optional(),
} satisfies Record<RowFilter, z.ZodType>;

/** capturedFrom must come before capturedTo: the window is half-open [from, to). */
function windowInOrder(query: object, ctx: z.RefinementCtx): void {
  const { capturedFrom, capturedTo } = query as { capturedFrom?: unknown; capturedTo?: unknown };
  if (typeof capturedFrom !== 'string' || typeof capturedTo !== 'string') return;
  if (Date.parse(capturedFrom) >= Date.parse(capturedTo)) {
    ctx.addIssue({
      code: 'custom',
      path: ['capturedTo'],
      message: 'must be later than capturedFrom',
    });
  }
}

/** definitionHash only together with rulesVersion. */
function hashNeedsVersion(query: object, ctx: z.RefinementCtx): void {
  const { rulesVersion, definitionHash } = query as {
    rulesVersion?: unknown;
    definitionHash?: unknown;
  };
  if (definitionHash !== undefined && rulesVersion === undefined) {
    ctx.addIssue({ code: 'custom', path: ['definitionHash'], message: 'needs rulesVersion' });
  }
}

/**
 * The reporting calendar a view groups periods in: by default the rule set's (its dictionary's
 * `reporting` section), or the one asked — as an analyst passes `time_zone` and
 * `fiscal_start_month` to the ClickHouse views.
 */
const calendar = {
  timeZone: z
    .string()
    .max(64)
    .refine(isReportingTimeZone, {
      message: 'must be an IANA time zone name ClickHouse knows, e.g. Europe/Rome or UTC',
    })
    .describe(
      "Reporting time zone of the periods (IANA name); default the rule set's reporting.timeZone",
    )
    .optional(),
  fiscalStartMonth: wholeNumber(
    1,
    12,
    "Month the fiscal year starts (1 = January … 12); default the rule set's reporting.fiscalYearStartMonth",
  ).optional(),
};
export type CalendarParameter = keyof typeof calendar;

/**
 * The parameters a view declares (analytics-view.declarations.ts), from which its query schema
 * follows. Every view takes the rule set (rulesVersion, definitionHash), asOf, paging (limit,
 * offset) and format; the rest is the view's to say.
 */
export interface ViewParameters<Own extends z.ZodRawShape, Filter extends RowFilter> {
  /** The capture window capturedFrom / capturedTo (targets have none: a target has a period). */
  readonly window: boolean;
  /** The exact-match row filters it applies (each a text column of its row). */
  readonly filters: readonly Filter[];
  /** The reporting calendar parameters that move its periods. */
  readonly calendar: readonly CalendarParameter[];
  /**
   * Its own parameters (model, grain, stage, …); may override asOf's description, or a row
   * filter's schema where its column holds a closed set of values (targets' team).
   */
  readonly own: Own;
  /** A check across its own parameters (both or neither, …). */
  readonly refine?: (query: object, ctx: z.RefinementCtx) => void;
}

/**
 * The shape every query schema is typed with. It names the window and calendar keys of every
 * view; a view that does not declare them refuses them (the schema is strict), so they are
 * never present in its parsed query.
 */
type BaseShape = typeof common &
  typeof rules & { asOf: typeof asOf } & typeof captureWindow &
  typeof calendar;

const pick = <Shape extends z.ZodRawShape, Key extends keyof Shape & string>(
  shape: Shape,
  keys: readonly Key[],
): Pick<Shape, Key> => Object.fromEntries(keys.map((key) => [key, shape[key]])) as Pick<Shape, Key>;

/** The strict query schema of a view, from its declared parameters. */
export function viewQuerySchema<Own extends z.ZodRawShape, Filter extends RowFilter>(
  parameters: ViewParameters<Own, Filter>,
) {
  const shape = {
    ...common,
    ...rules,
    asOf,
    ...(parameters.window ? captureWindow : {}),
    ...pick(calendar, parameters.calendar),
    ...pick(filters, parameters.filters),
    ...parameters.own,
  } as Omit<BaseShape, keyof Own> & Omit<Pick<typeof filters, Filter>, keyof Own> & Own;
  return z
    .strictObject(shape)
    .superRefine(windowInOrder)
    .superRefine(hashNeedsVersion)
    .superRefine(parameters.refine ?? (() => undefined));
}

/** The reconciliation is one verdict over all time: the format and the rule set are chosen. */
export const reconciliationQuery = z
  .strictObject({ format: common.format, ...rules })
  .superRefine(hashNeedsVersion);
export type ReconciliationQuery = z.infer<typeof reconciliationQuery>;

/** The CaptureWindow of AnalyticsQueries from a validated query. */
export function captureWindowOf(query: { capturedFrom?: string; capturedTo?: string }) {
  return {
    ...(query.capturedFrom !== undefined ? { capturedFrom: query.capturedFrom } : {}),
    ...(query.capturedTo !== undefined ? { capturedTo: query.capturedTo } : {}),
  };
}

/** What every view query may say about its rule set, business time, window and calendar. */
export interface ScopeQuery {
  rulesVersion?: number;
  definitionHash?: string;
  asOf?: string;
  capturedFrom?: string;
  capturedTo?: string;
  timeZone?: string;
  fiscalStartMonth?: number;
}

/** The calendar a query asks for over the rule set's (ViewOptions.calendar). */
export function calendarOf(query: ScopeQuery) {
  return {
    ...(query.timeZone !== undefined ? { timeZone: query.timeZone } : {}),
    ...(query.fiscalStartMonth !== undefined
      ? { fiscalYearStartMonth: query.fiscalStartMonth }
      : {}),
  };
}
