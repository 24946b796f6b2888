/**
 * The query strings of the /analytics endpoints, one strict zod schema each: an unknown
 * parameter, a filter a view cannot apply, or a malformed value is a 400 naming it.
 * Everything here is a value; none of it is ever spliced into SQL (the capture window, model,
 * grain and asOf travel as ClickHouse query parameters; the row filters run in TypeScript).
 */
import { attributionModels, cohortGrains, funnelReportStages } from '@tandem/analytics';
import { z } from 'zod';
import { DEFAULT_LIMIT, MAX_LIMIT } from './pagination';
import { responseFormats } from './response-format';
import type { RowFilter } from './row-filter';

// What AnalyticsQueries accepts for a capture window bound or asOf (DateTime64 range).
const isoWithZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const EARLIEST = Date.UTC(1900, 0, 1);
const AFTER_LATEST = Date.UTC(2300, 0, 1);

export function isTimestampWithZone(value: string): boolean {
  if (!isoWithZone.test(value)) return false;
  const time = Date.parse(value);
  return !Number.isNaN(time) && time >= EARLIEST && time < AFTER_LATEST;
}

const timestamp = (description: string) =>
  z
    .string()
    .refine(isTimestampWithZone, {
      message: 'must be an ISO-8601 timestamp with a zone (Z or ±hh:mm), years 1900-2299',
    })
    .describe(description);

const wholeNumber = (min: number, max: number, description: string) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .describe(description);

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
  rulesVersion: wholeNumber(
    1,
    999_999_999,
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

const windowed = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z
    .strictObject({ ...common, ...rules, asOf, ...captureWindow, ...shape })
    .superRefine(windowInOrder)
    .superRefine(hashNeedsVersion);

export const funnelQuery = windowed({});
export const marketingQuery = windowed({ channel: filters.channel, campaign: filters.campaign });
export const salesQuery = windowed({ owner: filters.owner });
export const attributionQuery = windowed({
  model: z
    .enum(attributionModels)
    .describe('Attribution model (required); see docs/analytics.md for the weights'),
  channel: filters.channel,
  campaign: filters.campaign,
});
export const alignmentQuery = windowed({
  asOf: timestamp(
    'Business time: only events up to it count, and open hand-offs are judged against it (ISO-8601 with a zone); default the request time — pass it for reproducible numbers',
  ).optional(),
  channel: filters.channel,
  campaign: filters.campaign,
});
export const timeInStageQuery = windowed({});
export const cohortsQuery = windowed({
  grain: z
    .enum(cohortGrains)
    .describe(
      "Cohort grain (required): capture week or month, in the rule set's reporting time zone",
    ),
});
export const trendQuery = windowed({
  grain: z
    .enum(cohortGrains)
    .describe(
      "Period grain (required): week (from Monday) or month, in the rule set's reporting time zone",
    ),
  channel: filters.channel,
  campaign: filters.campaign,
});
export const leadsQuery = windowed({
  stage: z
    .enum(funnelReportStages)
    .describe('The stage the leads reached (required); captured lists every lead of the window'),
  channel: filters.channel,
  campaign: filters.campaign,
  owner: filters.owner,
});
export const accountsQuery = windowed({ account: filters.account });
export const salesPerformanceQuery = windowed({ team: filters.team, owner: filters.owner });
/** targets-progress has no capture window: targets carry their own period. */
export const targetsQuery = z
  .strictObject({ ...common, ...rules, asOf, team: filters.team, owner: filters.owner })
  .superRefine(hashNeedsVersion);
/** The reconciliation is one verdict over all time: the format and the rule set are chosen. */
export const reconciliationQuery = z
  .strictObject({ format: common.format, ...rules })
  .superRefine(hashNeedsVersion);

export type FunnelQuery = z.infer<typeof funnelQuery>;
export type MarketingQuery = z.infer<typeof marketingQuery>;
export type SalesQuery = z.infer<typeof salesQuery>;
export type AttributionQuery = z.infer<typeof attributionQuery>;
export type AlignmentQuery = z.infer<typeof alignmentQuery>;
export type TimeInStageQuery = z.infer<typeof timeInStageQuery>;
export type CohortsQuery = z.infer<typeof cohortsQuery>;
export type TrendQuery = z.infer<typeof trendQuery>;
export type LeadsQuery = z.infer<typeof leadsQuery>;
export type AccountsQuery = z.infer<typeof accountsQuery>;
export type SalesPerformanceQuery = z.infer<typeof salesPerformanceQuery>;
export type TargetsQuery = z.infer<typeof targetsQuery>;
export type ReconciliationQuery = z.infer<typeof reconciliationQuery>;

/** The CaptureWindow of AnalyticsQueries from a validated query. */
export function captureWindowOf(query: { capturedFrom?: string; capturedTo?: string }) {
  return {
    ...(query.capturedFrom !== undefined ? { capturedFrom: query.capturedFrom } : {}),
    ...(query.capturedTo !== undefined ? { capturedTo: query.capturedTo } : {}),
  };
}

/** What every view query may say about its rule set, business time and capture window. */
export interface ScopeQuery {
  rulesVersion?: number;
  definitionHash?: string;
  asOf?: string;
  capturedFrom?: string;
  capturedTo?: string;
}
