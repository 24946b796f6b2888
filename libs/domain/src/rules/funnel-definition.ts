/**
 * The shared dictionary: one versioned, validated document that marketing and
 * sales agree on. Every automated decision and every rule-derived number names
 * the version it was made under. Validation messages name the offending field so
 * a rejected draft can be fixed without guessing.
 */
import { z } from 'zod';
import { COUNTRY_CODE_MESSAGE, isCountryCode } from '../country-code';
import { InvalidDefinitionError } from '../errors';
import {
  inNfc,
  hasVisibleCharacter,
  hiddenCharacterMessage,
  hiddenCharacterOf,
  isStorableText,
  STORABLE_TEXT_MESSAGE,
  VISIBLE_TEXT_MESSAGE,
} from '../text';
import { attributionSectionSchema } from './attribution';
import { isReportingTimeZone, reportingSectionSchema } from './reporting-calendar';
import { nullsAsAbsent } from './nulls-as-absent';
import { UNKNOWN_FIELD_MESSAGE, unknownFields } from './unknown-fields';

export const touchpointKinds = [
  'page_view',
  'content_download',
  'email_open',
  'email_click',
  'webinar',
  'social',
  'chatbot',
  'event',
  'trade_fair',
  'ad_click',
  'demo_request',
] as const;
export type TouchpointKind = (typeof touchpointKinds)[number];

export const funnelStages = [
  'captured',
  'mql',
  'handed_to_sales',
  'accepted',
  'sql',
  'opportunity',
  'won',
  'lost',
] as const;
export type FunnelStage = (typeof funnelStages)[number];

export { attributionModels, type AttributionModel } from './attribution';

export const mqlFields = ['name', 'email', 'productInterest', 'timeframe'] as const;
export type MqlField = (typeof mqlFields)[number];

/**
 * How a lead reaches sales. `marketing`: qualified as an MQL, then handed over (the path every
 * rule set has). `sales_sourced`: handed to sales directly, never an MQL — an event contact, a
 * referral, outbound prospecting — and only when the definition declares `salesSourced`.
 * Views keep the two apart so the sales-sourced path never counts as MQL (ADR 0008).
 */
export const salesEntryPaths = ['marketing', 'sales_sourced'] as const;
export type SalesEntryPath = (typeof salesEntryPaths)[number];

/**
 * The lead statuses transitions may name: LeadStatus without `initial` (before
 * capture) and `merged`/`erased`, which end a lead whatever the rules say.
 */
export const lifecycleStatuses = [
  'nurturing',
  'mql',
  'handed_to_sales',
  'accepted',
  'rejected',
  'sql',
  'opportunity',
  'won',
  'lost',
] as const;
export type LifecycleStatus = (typeof lifecycleStatuses)[number];

/** One entry per status: where a lead in `from` may move next. */
export interface LifecycleTransition {
  readonly from: LifecycleStatus;
  readonly to: readonly LifecycleStatus[];
}

/**
 * The lifecycle Tandem had before transitions were part of the definition. A
 * definition without a `transitions` section (every version published before
 * then) means exactly this graph. Opportunity stage changes are not lifecycle
 * transitions: they live in `opportunityStages`.
 */
export const defaultTransitions: readonly LifecycleTransition[] = [
  { from: 'nurturing', to: ['mql'] },
  { from: 'mql', to: ['handed_to_sales', 'nurturing'] },
  { from: 'handed_to_sales', to: ['accepted', 'rejected'] },
  { from: 'accepted', to: ['sql', 'nurturing'] },
  { from: 'rejected', to: ['nurturing'] },
  { from: 'sql', to: ['opportunity', 'nurturing'] },
  { from: 'opportunity', to: ['won', 'lost'] },
  { from: 'lost', to: ['nurturing'] },
];

/** Outcomes a lead may keep for good; a lead moved to any other status must be able to move on. */
const finalStatuses: readonly LifecycleStatus[] = ['won', 'lost'];

const code = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case: lower-case letters, digits and _');
const reason = z.object({ code, label: z.string().min(1) });
const weight = z.number().min(0).max(100);
const uniqueCodes = (items: readonly { code: string }[]) =>
  new Set(items.map((item) => item.code)).size === items.length;
const lifecycleStatus = z.enum(lifecycleStatuses);

/**
 * The graph must keep every lead able to progress, and each status must be
 * described once so ops read its exits in one place:
 * - a `from` appears in one entry only;
 * - a target is listed once per entry and is not the `from` itself;
 * - nurturing (where every lead starts) can move to mql;
 * - every target other than won and lost has an entry of its own, or leads
 *   moved there would be stuck for good.
 */
function refineTransitions(
  transitions: readonly LifecycleTransition[],
  ctx: z.RefinementCtx,
): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path: ['transitions', ...path], message });
  // Won and lost may be final. Nurturing's exit is checked once, below, rather
  // than at every entry that recycles a lead to it.
  const needsExit = (status: LifecycleStatus) =>
    !finalStatuses.includes(status) && status !== 'nurturing';
  const firstEntry = new Map<LifecycleStatus, number>();
  transitions.forEach(({ from, to }, index) => {
    const earlier = firstEntry.get(from);
    if (earlier === undefined) {
      firstEntry.set(from, index);
    } else {
      issue(
        [index, 'from'],
        `${from} is already listed at transitions.${earlier}; put all its targets there`,
      );
    }
    to.forEach((target, position) => {
      if (target === from) {
        issue([index, 'to', position], `${from} cannot move to itself`);
      } else if (to.indexOf(target) < position) {
        issue([index, 'to', position], `${target} is listed twice`);
      } else if (needsExit(target) && !transitions.some((t) => t.from === target)) {
        issue(
          [index, 'to', position],
          `a lead moved to ${target} could never leave it: add an entry from ${target} (only ${finalStatuses.join(' and ')} may be final)`,
        );
      }
    });
  });
  const nurturing = firstEntry.get('nurturing');
  if (nurturing === undefined) {
    issue(
      [],
      'must have an entry from nurturing that moves to mql: every lead starts in nurturing',
    );
  } else if (!transitions[nurturing]?.to.includes('mql')) {
    issue(
      [nurturing, 'to'],
      'must include mql: every lead starts in nurturing and qualifies from there',
    );
  }
}

export const funnelDefinitionSchema = z
  .object({
    version: z.number().int().positive(),
    name: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    stages: z
      .array(
        z.object({
          id: z.enum(funnelStages),
          label: z.string().min(1),
        }),
      )
      .min(1),
    icp: z.object({
      industries: z.array(z.string().min(1)),
      companySize: z
        .object({ min: z.number().int().nonnegative(), max: z.number().int().positive() })
        .refine((size) => size.min <= size.max, { message: 'min must not exceed max' }),
      countries: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')),
      roles: z.array(z.string().min(1)),
      productInterests: z.array(z.string().min(1)).min(1),
      weights: z.object({
        industry: weight,
        companySize: weight,
        country: weight,
        role: weight,
        productInterest: weight,
      }),
    }),
    intent: z.object({
      touchpointPoints: z.partialRecord(z.enum(touchpointKinds), z.number().min(0).max(100)),
      halfLifeDays: z.number().positive().max(3650),
      cap: z.number().positive().max(100),
    }),
    mql: z.object({
      threshold: z.number().min(0).max(100),
      fitWeight: z.number().min(0).max(1),
      intentWeight: z.number().min(0).max(1),
      requiredFields: z.array(z.enum(mqlFields)),
    }),
    sql: z.object({
      criteria: z.array(code).min(1),
      minimumMet: z.number().int().positive(),
    }),
    sla: z.object({
      acceptWithinHours: z
        .number()
        .positive()
        .max(24 * 90),
    }),
    rejectionReasons: z.array(reason).min(1).refine(uniqueCodes, 'codes must be unique'),
    lossReasons: z.array(reason).min(1).refine(uniqueCodes, 'codes must be unique'),
    opportunityStages: z.array(code).min(1),
    attribution: attributionSectionSchema,
    /**
     * The sales-sourced entry path and the sources it allows. Optional with no default: a
     * version without it (every version published before it existed) has the marketing path
     * only, and its definition hash stays what it was.
     */
    salesSourced: z
      .object({
        label: z.string().min(1),
        sources: z.array(reason).min(1).refine(uniqueCodes, 'codes must be unique'),
      })
      .optional(),
    /**
     * The reporting time zone and fiscal-year start (reporting-calendar.ts). Optional with no
     * default: a version without it reports in UTC from January, and its hash stays the same.
     */
    reporting: reportingSectionSchema.optional(),
    /** Absent in versions published before transitions existed: they mean the default graph. */
    transitions: z
      .array(z.object({ from: lifecycleStatus, to: z.array(lifecycleStatus).min(1) }))
      .default(() => defaultTransitions.map(({ from, to }) => ({ from, to: [...to] }))),
  })
  .superRefine((definition, ctx) => {
    const weights = definition.mql.fitWeight + definition.mql.intentWeight;
    if (Math.abs(weights - 1) > 1e-9) {
      ctx.addIssue({
        code: 'custom',
        path: ['mql', 'fitWeight'],
        message: `mql.fitWeight + mql.intentWeight must equal 1 (is ${weights})`,
      });
    }
    if (definition.sql.minimumMet > definition.sql.criteria.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['sql', 'minimumMet'],
        message: `cannot exceed the number of criteria (${definition.sql.criteria.length})`,
      });
    }
    if (!definition.attribution.models.includes(definition.attribution.default)) {
      ctx.addIssue({
        code: 'custom',
        path: ['attribution', 'default'],
        message: 'must be one of attribution.models',
      });
    }
    refineTransitions(definition.transitions, ctx);
    if (
      definition.salesSourced !== undefined &&
      !definition.transitions.some((t) => t.from === 'handed_to_sales')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['salesSourced'],
        message:
          'a sales-sourced lead enters at handed_to_sales: transitions need an entry from handed_to_sales',
      });
    }
  });

export type FunnelDefinition = z.infer<typeof funnelDefinitionSchema>;

/** Dotted path of a validation issue, e.g. `icp.companySize.min` or `stages.2.id`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/**
 * The longest text a definition may publish: a label, code or list value at most
 * DEFINITION_TEXT_MAX characters (as a command's labels and names, textSchema in
 * libs/contracts); the description, prose, keeps the schema's 4,000 (a note's bound).
 */
export const DEFINITION_TEXT_MAX = 500;
const DESCRIPTION_MAX = 4000;
/**
 * The most entries a definition's list may publish (ICP values, reasons, criteria, stages of
 * an opportunity, attribution channels…). Each list is compiled into the rules' SQL and shown
 * to both teams: a few hundred is a large real dictionary (ISO 3166 has 249 countries), while a
 * body of 100,000 industries would be accepted by the body limit and slow every rules pass.
 */
export const DEFINITION_LIST_MAX = 1000;

/**
 * The highest version a definition may be published or replayed as: what every view and the
 * what-if report take as `rulesVersion` (nine digits), well inside ClickHouse's UInt32
 * `rules_version`. A what-if draft may name any version; one above UInt32 was wrapped
 * (2^32 + 1 was kept as a second set of version 1) and none above this could be read back.
 */
export const MAX_RULES_VERSION = 999_999_999;

/**
 * What a definition must also be to be published, beyond its schema (which also decodes the
 * versions already published, so it cannot tighten): every list of codes or values names each
 * once (a criterion listed twice would count towards sql.minimumMet once, so that minimum
 * could never be met), all its text is storable (a NUL or a lone surrogate would fail the
 * append without naming the field), none of it longer than DEFINITION_TEXT_MAX (labels are
 * display text, copied into every later version; a 500,000-character one was published), no
 * list longer than DEFINITION_LIST_MAX entries, no text but the description without a visible
 * character (hasVisibleCharacter: a label, name or ICP value of spaces or invisible characters
 * shows nothing, and an ICP value of them matches no lead, whose text must show), none of it
 * but the description holding an invisible or bidi control character (hiddenCharacterOf,
 * ADR 0010's addendum: a stage label `Won\u200B` beside `Won`), every ICP
 * country one a lead can have (COUNTRY_CODES: `ZZ` or `EU` would never match a lead, as the
 * API refuses them on a lead), no version above MAX_RULES_VERSION, and a reporting time zone
 * ClickHouse loads (isReportingTimeZone: a view in another failed). Each issue names its
 * field.
 */
export function publishingIssues(
  definition: FunnelDefinition,
): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (definition.version > MAX_RULES_VERSION)
    issues.push({ path: 'version', message: `must be at most ${MAX_RULES_VERSION}` });
  const unique = (path: string, values: readonly string[]) => {
    if (new Set(values).size !== values.length)
      issues.push({ path, message: 'must not repeat a value' });
  };
  unique(
    'stages',
    definition.stages.map((stage) => stage.id),
  );
  unique('icp.industries', definition.icp.industries);
  unique('icp.countries', definition.icp.countries);
  unique('icp.roles', definition.icp.roles);
  unique('icp.productInterests', definition.icp.productInterests);
  unique('sql.criteria', definition.sql.criteria);
  unique('opportunityStages', definition.opportunityStages);
  definition.icp.countries.forEach((code, index) => {
    if (!isCountryCode(code))
      issues.push({ path: `icp.countries.${index}`, message: COUNTRY_CODE_MESSAGE });
  });
  const timeZone = definition.reporting?.timeZone;
  if (timeZone !== undefined && !isReportingTimeZone(timeZone))
    issues.push({
      path: 'reporting.timeZone',
      message: 'must be an IANA time zone name ClickHouse knows, e.g. Europe/Rome or UTC',
    });
  const visit = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value === 'string') {
      if (!isStorableText(value))
        issues.push({ path: issuePath(path), message: STORABLE_TEXT_MESSAGE });
      const prose = path.length === 1 && path[0] === 'description';
      const max = prose ? DESCRIPTION_MAX : DEFINITION_TEXT_MAX;
      if (value.length > max)
        issues.push({ path: issuePath(path), message: `must be at most ${max} characters` });
      // The schema asks a name for one character at least; one of spaces shows nothing. The
      // description is prose, which may be left empty.
      if (!prose && !hasVisibleCharacter(value))
        issues.push({ path: issuePath(path), message: VISIBLE_TEXT_MESSAGE });
      // A label, code or ICP value must not hide a character or reorder what it shows.
      const hidden = prose ? null : hiddenCharacterOf(value);
      if (hidden !== null)
        issues.push({ path: issuePath(path), message: hiddenCharacterMessage(hidden) });
    } else if (Array.isArray(value)) {
      if (value.length > DEFINITION_LIST_MAX)
        issues.push({
          path: issuePath(path),
          message: `must list at most ${DEFINITION_LIST_MAX} entries (has ${value.length})`,
        });
      else value.forEach((item, index) => visit(item, [...path, index]));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
    }
  };
  visit(definition, []);
  return issues;
}

/**
 * Validates a draft to be published: no field the schema does not know (unknownFields: a typo
 * such as `"mqll"` or `mql.treshold` would otherwise be dropped, and a definition the user did
 * not mean published), the schema, then publishingIssues. Throws InvalidDefinitionError naming
 * every offending field. What the dictionary's decider applies, the what-if draft of a replay,
 * and what `tandem rules publish` checks before it sends anything. Stored definitions are read
 * by parseFunnelDefinition, which stays tolerant so every version published still folds.
 */
export function parseDefinitionToPublish(given: unknown): FunnelDefinition {
  // A section or field that may be left out may be null, meaning left out (nullsAsAbsent).
  const draft = nullsAsAbsent(funnelDefinitionSchema, given);
  const unknown = unknownFields(funnelDefinitionSchema, draft).map((path) => ({
    path: issuePath(path),
    message: UNKNOWN_FIELD_MESSAGE,
  }));
  const result = funnelDefinitionSchema.safeParse(draft);
  if (!result.success) {
    throw new InvalidDefinitionError(withoutRepeats([...unknown, ...schemaIssues(result.error)]));
  }
  // Its text in NFC, as a command's: an ICP industry typed decomposed matches a lead's composed
  // one, and two spellings of one value are a value listed twice (publishingIssues).
  const definition = inNfc(result.data);
  const issues = [...unknown, ...publishingIssues(definition)];
  if (issues.length > 0) throw new InvalidDefinitionError(issues);
  return definition;
}

/** Validates a draft; throws InvalidDefinitionError naming every offending field. */
export function parseFunnelDefinition(draft: unknown): FunnelDefinition {
  const result = funnelDefinitionSchema.safeParse(draft);
  if (!result.success) throw new InvalidDefinitionError(schemaIssues(result.error));
  return result.data;
}

/**
 * The schema's issues, each naming its field. The sections that were strict from the start
 * (attribution weights, time decay, reporting) name an unknown key on their object; it is
 * named here as the field itself, as unknownFields names it in every other section.
 */
function schemaIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: issuePath([...issue.path, key]),
          message: UNKNOWN_FIELD_MESSAGE,
        }))
      : [{ path: issuePath(issue.path), message: issue.message }],
  );
}

const withoutRepeats = (
  issues: readonly { path: string; message: string }[],
): { path: string; message: string }[] => {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};
